"""The rules of accounts and workspaces: plain functions over the database session, no request."""
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.orm import contains_eager, joinedload

from studio.accounts import links
from studio.accounts.links import LinkRefused
from studio.accounts.models import Invitation, InvitationKind, LoginAttempt, Membership, Role, User, Workspace
from studio.accounts.passwords import hash_password, password_matches
from studio.accounts.roles import may_manage, role_at_least
from studio.billing.service import Totalled, check_total
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.refusal import Refused


class LoginThrottled(Refused):
    """Too many failed log-ins: `seconds` until the next attempt is allowed."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"Too many failed log-in attempts. Wait {seconds} seconds and try again.")
        self.seconds = seconds


# ---- users -------------------------------------------------------------------------------------


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str | None) -> User | None:
    return db.session.execute(select(User).where(User.email == normalize_email(email))).scalar_one_or_none()


def create_user(email: str, name: str, password: str, timezone: str = "UTC") -> User:
    if find_user_by_email(email):
        raise Refused("An account with this e-mail already exists. Log in instead.", field="email")
    user = User(email=normalize_email(email), name=name.strip(), password_hash=hash_password(password), timezone=timezone)
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(name: str, email: str, password: str, timezone: str = "UTC") -> tuple[User, Workspace]:
    """A new account with a workspace of its own, named after the person."""
    user = create_user(email, name, password, timezone)
    workspace = create_workspace(user, f"{user.name.split()[0][:100]}'s workspace")  # within the column's 120
    db.session.commit()
    return user, workspace


def update_profile(user: User, name: str, timezone: str) -> None:
    user.name = name
    user.timezone = timezone
    db.session.commit()


def set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not password_matches(user.password_hash, current_password):
        raise Refused("That is not your current password.", field="current_password")
    set_password(user, new_password)
    db.session.commit()


# ---- log-in and its rate limit -----------------------------------------------------------------


def _recent_failures(column: Any, value: str, since: datetime) -> Any:
    return db.session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(column == value, LoginAttempt.created_at > since)
    ).one()


def login_wait_seconds(email: str, ip: str, limits: dict[str, int]) -> int:
    """Seconds until another attempt is allowed for this account or address; 0 when allowed now."""
    window = timedelta(seconds=limits["window"])
    now = utcnow()
    wait = 0
    for column, value, limit in (
        (LoginAttempt.email, normalize_email(email), limits["per_account"]),
        (LoginAttempt.ip, ip, limits["per_address"]),
    ):
        count, oldest = _recent_failures(column, value, now - window)
        if count >= limit:
            wait = max(wait, int((oldest + window - now).total_seconds()) + 1)
    return wait


def record_failed_login(email: str, ip: str) -> None:
    db.session.add(LoginAttempt(email=normalize_email(email), ip=ip))
    db.session.commit()


def prune_login_attempts(keep: timedelta = timedelta(days=1)) -> int:
    """Failures matter only inside the rate limit's short window; the hourly job drops old ones."""
    deleted = changed_rows(db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - keep)))
    db.session.commit()
    return deleted


def authenticate(email: str, password: str, ip: str, limits: dict[str, int]) -> User:
    """The user whose credentials these are; refuses before checking once the limit is reached."""
    wait = login_wait_seconds(email, ip, limits)
    if wait:
        raise LoginThrottled(wait)
    user = find_user_by_email(email)
    if user is None or not password_matches(user.password_hash, password):
        record_failed_login(email, ip)
        raise Refused("The e-mail or password is not right.", field="password")
    return user


# ---- password reset links ----------------------------------------------------------------------
# A reset link is signed and carries a fingerprint of the password hash it may replace, so it
# stops working once it has been used (or the password changed some other way).


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="studio.password-reset")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key: str) -> str:
    return _reset_serializer(secret_key).dumps({"user": user.id, "pw": _password_fingerprint(user)})


def user_for_reset_token(token: str, secret_key: str, max_age_seconds: int) -> User:
    serializer = _reset_serializer(secret_key)
    try:
        data = serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise LinkRefused("expired", "This password reset link has expired. Ask for a new one.", "reset")
    except BadSignature:
        raise LinkRefused("invalid", "This password reset link is not valid. Check that you copied all of it.", "reset")
    user = db.session.get(User, data.get("user"))
    if user is None or data.get("pw") != _password_fingerprint(user):
        raise LinkRefused("used", "This password reset link has already been used. Ask for a new one.", "reset")
    return user


def reset_password(user: User, new_password: str) -> None:
    set_password(user, new_password)
    db.session.commit()


# ---- workspaces --------------------------------------------------------------------------------


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
    return slug or "workspace"


def unique_slug(name: str) -> str:
    base = slugify(name)
    taken = set(
        db.session.execute(select(Workspace.slug).where(Workspace.slug.like(f"{base}%"))).scalars()
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def create_workspace(owner: User, name: str) -> Workspace:
    workspace = Workspace(name=name.strip(), slug=unique_slug(name))
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace=workspace, user=owner, role="owner"))
    owner.last_workspace_id = workspace.id
    db.session.flush()
    return workspace


def add_workspace(owner: User, name: str) -> Workspace:
    workspace = create_workspace(owner, name)
    db.session.commit()
    return workspace


def rename_workspace(workspace: Workspace, name: str) -> None:
    workspace.name = name
    db.session.commit()


@cache  # built on first use (once the models are all mapped), then run with each user's id
def _memberships_of_a_user() -> Select[Membership]:
    return (
        select(Membership)
        .join(Membership.workspace)
        .options(contains_eager(Membership.workspace))
        .where(Membership.user_id == bindparam("user_id"))
        .order_by(func.lower(Workspace.name), Workspace.id)
    )


def memberships_of(user: User) -> Sequence[Membership]:
    """The user's workspaces for the switcher, in one query. Every whole workspace page runs it, so
    its statement is built once: building one costs more than SQLite takes to answer it."""
    return db.session.execute(_memberships_of_a_user(), {"user_id": user.id}).scalars().all()


@cache
def _user_alone() -> Select[User]:
    return select(User).where(User.id == bindparam("user_id"))


@cache
def _user_with_memberships() -> Select[User]:
    return (select(User).outerjoin(User.memberships).outerjoin(Membership.workspace)
            .options(contains_eager(User.memberships).contains_eager(Membership.workspace))
            .where(User.id == bindparam("user_id")).order_by(func.lower(Workspace.name), Workspace.id))


def logged_in_user(user_id: int, with_memberships: bool) -> User | None:
    """The user a session names, loaded once a request. With `with_memberships` (for a whole page,
    which draws the workspace switcher) `user.memberships` comes in the same query, with each
    workspace, in memberships_of's order: one query, not two."""
    if not with_memberships:
        return db.session.execute(_user_alone(), {"user_id": user_id}).scalar_one_or_none()
    return db.session.execute(_user_with_memberships(), {"user_id": user_id}).unique().scalar_one_or_none()


def home_workspace(user: User) -> Workspace | None:
    """Where the user lands after logging in: the last workspace they used, else their first."""
    memberships = memberships_of(user)
    for membership in memberships:
        if membership.workspace_id == user.last_workspace_id:
            return membership.workspace
    return memberships[0].workspace if memberships else None


def remember_workspace(user: User, workspace: Workspace) -> None:
    if user.last_workspace_id != workspace.id:
        user.last_workspace_id = workspace.id
        db.session.commit()


def _members_query(workspace: Workspace) -> Any:
    return (
        select(Membership)
        .where(Membership.workspace_id == workspace.id)
        .options(joinedload(Membership.user))
        .join(Membership.user)
        .order_by(func.lower(User.name), Membership.id)
    )


def members_page(workspace: Workspace, page: int, per_page: int = 50) -> Pagination:
    """One page of the workspace's members, by name, with the total count."""
    return db.paginate(_members_query(workspace), page=page, per_page=per_page, error_out=False)


def first_members(workspace: Workspace, limit: int) -> Sequence[Membership]:
    return db.session.execute(_members_query(workspace).limit(limit)).scalars().all()


def count_members(workspace: Workspace) -> int:
    return db.session.execute(
        select(func.count()).select_from(Membership).where(Membership.workspace_id == workspace.id)
    ).scalar_one()


def count_owners(workspace: Workspace) -> int:
    return db.session.execute(
        select(func.count()).where(Membership.workspace_id == workspace.id, Membership.role == "owner")
    ).scalar_one()


def _check_may_manage(actor: Membership, target: Membership) -> None:
    if not role_at_least(actor.role, "admin"):
        raise Refused("Only owners and admins manage members.")
    if not may_manage(actor, target):
        raise Refused("Only an owner can change an owner's or an admin's membership.")


def check_may_grant(actor: Membership, role: str, field: str | None = None) -> None:
    """Admins grant editor and viewer; owner and admin come only from an owner."""
    if role_at_least(role, "admin") and actor.role != "owner":
        raise Refused(f"Only an owner can make someone an {role}.", field=field)


def change_role(actor: Membership, target: Membership, role: str) -> None:
    _check_may_manage(actor, target)
    check_may_grant(actor, role)
    if target.role == "owner" and role != "owner" and count_owners(target.workspace) == 1:
        raise Refused("A workspace needs at least one owner. Make someone else an owner first.")
    target.role = Role(role)
    db.session.commit()


def remove_member(actor: Membership, target: Membership) -> None:
    _check_may_manage(actor, target)
    if target.role == "owner" and count_owners(target.workspace) == 1:
        raise Refused("A workspace needs at least one owner. Make someone else an owner first.")
    db.session.delete(target)
    db.session.commit()


# ---- invitations to the team (the links themselves: studio.accounts.links) ---------------------


def _member_invitations(workspace: Workspace) -> tuple[Any, ...]:
    return links.pending(Invitation.workspace_id == workspace.id, Invitation.kind == InvitationKind.MEMBER)


def pending_invitations(workspace: Workspace, limit: int | None = None) -> Sequence[Invitation]:
    """The newest pending invitations (all of them when no limit is given)."""
    query = (
        select(Invitation)
        .where(*_member_invitations(workspace))
        .options(joinedload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    return db.session.execute(query).scalars().all()


def count_pending_invitations(workspace: Workspace) -> int:
    return db.session.execute(
        select(func.count()).select_from(Invitation).where(*_member_invitations(workspace))
    ).scalar_one()


def has_pending_invitation(workspace: Workspace, email: str) -> bool:
    return db.session.execute(
        select(Invitation.id).where(*_member_invitations(workspace), Invitation.email == email)
    ).first() is not None


def invite(actor: Membership, email: str, role: str, ttl: timedelta) -> tuple[Invitation, str]:
    """A new pending invitation from the member `actor`, and the one token its link carries."""
    workspace = actor.workspace
    check_may_grant(actor, role, field="role")
    email = normalize_email(email)
    already_member = db.session.execute(
        select(Membership.id).join(User).where(Membership.workspace_id == workspace.id, User.email == email)
    ).first()
    if already_member:
        raise Refused("This person is already a member of the workspace.", field="email")
    if has_pending_invitation(workspace, email):
        raise Refused("This person already has a pending invitation. Resend it from the list below.", field="email")
    check_total(workspace, Totalled.SEATS, count_members(workspace) + count_pending_invitations(workspace), field="email")
    return links.issue(InvitationKind.MEMBER, workspace.id, email, actor.user, ttl, role=role)


def resend_invitation(invitation: Invitation, ttl: timedelta) -> str:
    """A fresh link with a fresh expiry; the previous link stops working."""
    return links.send_again(invitation, ttl)


def revoke_invitation(invitation: Invitation) -> None:
    links.withdraw(Invitation.id == invitation.id)
    db.session.commit()


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """The person the invitation was sent to joins the workspace in its role (or keeps the
    membership they already have)."""
    links.redeem(invitation, user)
    membership = db.session.execute(
        select(Membership).where(Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id)
    ).scalar_one_or_none()
    if membership is None:
        check_total(invitation.workspace, Totalled.SEATS, count_members(invitation.workspace))  # its seat, held until now
        membership = Membership(workspace_id=invitation.workspace_id, user=user, role=invitation.role)
        db.session.add(membership)
    user.last_workspace_id = invitation.workspace_id
    db.session.commit()
    return membership
