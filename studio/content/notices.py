"""Telling people about content: an in-app notification, and an e-mail with the same words."""
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import select

from studio.accounts.models import Membership, User
from studio.extensions import db
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.urls import external_url, path_for

APPROVER_ROLES = ("owner", "admin")


def approvers_of(workspace_id: int) -> list[User]:
    """Who approves for the team: the workspace's owners and admins."""
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, Membership.role.in_(APPROVER_ROLES)).order_by(User.id)
    ).scalars())


def tell(people: Iterable[User | None], kind: str, title: str, message: str, endpoint: str,
         link_values: dict[str, Any], *, workspace_id: int | None = None, client_id: int | None = None,
         skip: User | None = None) -> int:
    """Notify each person once (not `skip`, who did the thing) with a link to `endpoint` and e-mail
    them; returns how many. `client_id` puts the notification in that client's portal."""
    told: set[int] = set()
    for person in people:
        if person is None or person.id in told or (skip is not None and person.id == skip.id):
            continue
        told.add(person.id)
        notify.notify(person.id, kind, title, message[:500], path_for(endpoint, **link_values),
                      workspace_id=workspace_id, client_id=client_id)
        try:
            send_mail(person.email, title, "content_notice", person=person, title=title, message=message,
                      link=external_url(endpoint, **link_values))
        except MailError as error:  # the in-app notification still tells them
            current_app.logger.warning("content e-mail to %s failed: %s", person.email, error)
    return len(told)
