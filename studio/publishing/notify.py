"""Telling people when a post needs them. E-mail for now; in-app notifications arrive with the
portal's notification centre."""
from flask import current_app
from sqlalchemy import select

from studio.accounts.models import Membership, User, Workspace
from studio.extensions import db
from studio.notify.mail import MailError, send_mail
from studio.platforms import get_platform
from studio.publishing.models import Delivery
from studio.urls import public_base_url


def delivery_needs_attention(delivery: Delivery) -> None:
    workspace = db.session.get_one(Workspace, delivery.workspace_id)
    people = db.session.execute(
        select(User).join(Membership).where(Membership.workspace_id == workspace.id,
                                            Membership.role.in_(("owner", "admin")))
    ).scalars().all()
    account = f"@{delivery.connection.username}" if delivery.connection else "a disconnected account"
    link = f"{public_base_url()}/w/{workspace.slug}/posts/{delivery.post_id}"
    subject = f"A post to {get_platform(delivery.platform).name} {account} did not go out"
    for person in people:
        try:
            send_mail(person.email, subject, "delivery_failed", user=person, delivery=delivery, account=account,
                      link=link, workspace=workspace)
        except MailError as error:
            current_app.logger.warning("could not e-mail %s about a failed delivery: %s", person.email, error)
