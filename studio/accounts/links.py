"""Invitation links, the team's and the client portal's alike: issued with a token that only the
e-mail carries (its hash is stored), sent again with a fresh token, withdrawn, found by token with
a clear refusal when they cannot be used, and redeemed once by the person they were sent to.

What redeeming one does is its feature's business: a member joins the workspace
(`accounts.service.accept_invitation`), a client's portal opens (`portal.service.accept_invite`)."""
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from studio.accounts.models import Invitation, InvitationKind, User
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.refusal import Refused

# What each kind of link says when it cannot be used, by reason.
REFUSALS = {
    InvitationKind.MEMBER: {
        "invalid": "This invitation link is not valid. It may have been replaced by a newer one: use the latest e-mail.",
        "revoked": "This invitation was withdrawn. Ask the workspace's admin for a new one.",
        "used": "This invitation has already been accepted. Log in to reach the workspace.",
        "expired": "This invitation has expired. Ask the workspace's admin to send it again.",
        "someone_else": "This invitation is for {email}. Log out and accept it with that account.",
    },
    InvitationKind.CLIENT: {
        "invalid": "This portal link is not valid. It may have been replaced by a newer one: "
                   "use the latest e-mail, or ask your agency to send it again.",
        "revoked": "This portal invitation was withdrawn. Ask your agency for a new one.",
        "used": "This portal invitation was already used. Log in to open your portal.",
        "expired": "This portal invitation has expired. Ask your agency to send it again.",
        "someone_else": "This invitation is for {email}. Log out and open it with that account.",
    },
}


class LinkRefused(Refused):
    """An e-mailed link that cannot be used. `reason` is invalid, expired, used or revoked; `link`
    is what kind of link it is ("reset" for a password reset, else an InvitationKind)."""

    def __init__(self, reason: str, message: str, link: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.link = link


def _refuse(kind: str, reason: str) -> LinkRefused:
    return LinkRefused(reason, REFUSALS[InvitationKind(kind)][reason], kind)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fresh_token(invitation: Invitation, ttl: timedelta) -> str:
    """A new token for the link (any earlier one stops working) and a new expiry."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation.token_hash = token_hash(token)
    invitation.expires_at = now + ttl
    invitation.last_sent_at = now
    return token


def pending(*where: Any) -> tuple[Any, ...]:
    """Conditions for links not yet accepted nor withdrawn, among those `where` picks."""
    return (*where, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))


def issue(kind: InvitationKind, workspace_id: int, email: str, inviter: User, ttl: timedelta, *,
          role: str | None = None, client_id: int | None = None) -> tuple[Invitation, str]:
    """A new pending link and the one token it carries (only its hash is kept)."""
    invitation = Invitation(kind=kind, workspace_id=workspace_id, email=email, role=role, client_id=client_id,
                            invited_by=inviter)
    token = _fresh_token(invitation, ttl)
    db.session.add(invitation)
    db.session.commit()
    return invitation, token


def send_again(invitation: Invitation, ttl: timedelta) -> str:
    """A fresh token with a fresh expiry for the same link; the previous link stops working."""
    if not invitation.is_pending:
        raise Refused("This invitation is no longer pending.")
    token = _fresh_token(invitation, ttl)
    invitation.sent_count += 1
    db.session.commit()
    return token


def withdraw(*where: Any) -> int:
    """Withdraw the pending links `where` picks (the caller commits); how many there were."""
    return changed_rows(db.session.execute(update(Invitation).where(*pending(*where)).values(revoked_at=utcnow())))


def find(token: str | None, kind: InvitationKind) -> Invitation:
    """The link of this kind that `token` opens, or LinkRefused saying why it cannot be used."""
    invitation = db.session.execute(
        select(Invitation)
        .where(Invitation.token_hash == token_hash(token or ""), Invitation.kind == kind)
        .options(joinedload(Invitation.workspace))
    ).scalar_one_or_none()
    if invitation is None:
        raise _refuse(kind, "invalid")
    if invitation.revoked_at:
        raise _refuse(kind, "revoked")
    if invitation.accepted_at:
        raise _refuse(kind, "used")
    if invitation.expires_at < utcnow():
        raise _refuse(kind, "expired")
    return invitation


def redeem(invitation: Invitation, user: User) -> None:
    """Mark the link used by `user`, whose address it was sent to. It works once: of two tabs
    racing, the second is refused. The caller commits, with what redeeming it does."""
    if user.email.strip().lower() != invitation.email:
        raise Refused(REFUSALS[InvitationKind(invitation.kind)]["someone_else"].format(email=invitation.email))
    claimed = changed_rows(db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow(), accepted_by_id=user.id)
    ))
    if claimed != 1:
        db.session.rollback()
        raise _refuse(invitation.kind, "used")
