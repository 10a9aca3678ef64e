"""The pages an invitation link opens, the team's and the client portal's alike: the same steps,
while each kind says what redeeming it does, in which words, and where the person goes next (an
`Arrive`: given the link, who redeems it and whether they just signed up, it redeems the link and
answers (welcome, destination)). A link that cannot be used is answered by `refused_link`."""
from collections.abc import Callable

from flask import flash
from flask_login import current_user, login_user

from studio.accounts import links, service
from studio.accounts.forms import InvitedSignupForm
from studio.accounts.links import LinkRefused
from studio.accounts.models import Invitation, InvitationKind, User
from studio.extensions import db
from studio.refusal import Refused
from studio.web import go_to, page, show_form

Arrive = Callable[[Invitation, User, bool], tuple[str, str]]


def invitation_page(token: str, kind: InvitationKind, template: str, arrive: Arrive):
    """The page a link opens: accept it when logged in (or log in first, when the address has an
    account), or create the account it is for."""
    invite = links.find(token, kind)
    if current_user.is_authenticated or service.find_user_by_email(invite.email):
        return page(template, invite=invite, token=token, form=None, has_account=not current_user.is_authenticated)
    form = InvitedSignupForm(invite.email)
    if form.validate_on_submit():
        user = service.create_user(invite.email, form.name.data, form.password.data, form.timezone.data)
        welcome, destination = arrive(invite, user, True)  # a link spent meanwhile: the refused-link page
        login_user(user)
        flash(welcome, "success")
        return go_to(destination)
    return show_form(template, form, invite=invite, token=token)


def accept_page(token: str, kind: InvitationKind, template: str, arrive: Arrive):
    """Accept a link as the person logged in; one sent to someone else says so on its page (409)."""
    invite = links.find(token, kind)
    try:
        welcome, destination = arrive(invite, current_user, False)
    except LinkRefused:
        raise  # spent meanwhile: the refused-link page
    except Refused as refusal:
        return page(template, invite=invite, token=token, form=None, error=str(refusal), status=409)
    flash(welcome, "success")
    return go_to(destination)


def refused_link(refusal: LinkRefused):
    """A clear page for an e-mailed link that cannot be used, wherever it was opened: 400 if
    forged, 410 if it is spent."""
    db.session.rollback()
    status = 400 if refusal.reason == "invalid" else 410
    return page("accounts/link_refused.html", refusal=refusal, kind=refusal.link, status=status)
