"""The rules of accounts and workspaces: plain functions over the database session, no request."""
import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from studio.accounts.models import Invitation, LoginAttempt, Membership, User, Workspace
from studio.accounts.passwords import hash_password, password_matches
from studio.database import utcnow
from studio.extensions import db
from studio.security.access import may_manage, role_at_least


class AccountError(Exception):
    """A rule said no; the message is written for the person who asked."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class LoginThrottled(AccountError):
    def __init__(self, seconds):
        super().__init__(f"Too many failed log-in attempts. Wait {seconds} seconds and try again.")
        self.seconds = seconds


class LinkRefused(AccountError):
    """An e-mailed link that cannot be used: `reason` is invalid, expired, used or revoked."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


# ---- users -------------------------------------------------------------------------------------


def normalize_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.execute(select(User).where(User.email == normalize_email(email))).scalar_one_or_none()


def create_user(email, name, password, timezone="UTC"):
    if find_user_by_email(email):
        raise AccountError("An account with this e-mail already exists. Log in instead.", field="email")
    user = User(email=normalize_email(email), name=name.strip(), password_hash=hash_password(password), timezone=timezone)
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(name, email, password, timezone="UTC"):
    """A new account with a workspace of its own, named after the person."""
    user = create_user(email, name, password, timezone)
    workspace = create_workspace(user, f"{user.name.split()[0][:100]}'s workspace")  # within the column's 120
    db.session.commit()
    return user, workspace


def update_profile(user, name, timezone):
    user.name = name
    user.timezone = timezone
    db.session.commit()


def set_password(user, new_password):
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()


def change_password(user, current_password, new_password):
    if not password_matches(user.password_hash, current_password):
        raise AccountError("That is not your current password.", field="current_password")
    set_password(user, new_password)
    db.session.commit()


# ---- log-in and its rate limit -----------------------------------------------------------------


def _recent_failures(column, value, since):
    return db.session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(column == value, LoginAttempt.created_at > since)
    ).one()


def login_wait_seconds(email, ip, limits):
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


def record_failed_login(email, ip):
    db.session.add(LoginAttempt(email=normalize_email(email), ip=ip))
    db.session.commit()


def prune_login_attempts(keep=timedelta(days=1)):
    """Failures matter only inside the rate limit's short window; the hourly job drops old ones."""
    deleted = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - keep)).rowcount
    db.session.commit()
    return deleted


def authenticate(email, password, ip, limits):
    """The user whose credentials these are; refuses before checking once the limit is reached."""
    wait = login_wait_seconds(email, ip, limits)
    if wait:
        raise LoginThrottled(wait)
    user = find_user_by_email(email)
    if user is None or not password_matches(user.password_hash, password):
        record_failed_login(email, ip)
        raise AccountError("The e-mail or password is not right.", field="password")
    return user


# ---- password reset links ----------------------------------------------------------------------
# A reset link is signed and carries a fingerprint of the password hash it may replace, so it
# stops working once it has been used (or the password changed some other way).


def _reset_serializer(secret_key):
    return URLSafeTimedSerializer(secret_key, salt="studio.password-reset")


def _password_fingerprint(user):
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user, secret_key):
    return _reset_serializer(secret_key).dumps({"user": user.id, "pw": _password_fingerprint(user)})


def user_for_reset_token(token, secret_key, max_age_seconds):
    serializer = _reset_serializer(secret_key)
    try:
        data = serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise LinkRefused("expired", "This password reset link has expired. Ask for a new one.")
    except BadSignature:
        raise LinkRefused("invalid", "This password reset link is not valid. Check that you copied all of it.")
    user = db.session.get(User, data.get("user"))
    if user is None or data.get("pw") != _password_fingerprint(user):
        raise LinkRefused("used", "This password reset link has already been used. Ask for a new one.")
    return user


def reset_password(user, new_password):
    set_password(user, new_password)
    db.session.commit()


# ---- workspaces --------------------------------------------------------------------------------


def slugify(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
    return slug or "workspace"


def unique_slug(name):
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


def create_workspace(owner, name):
    workspace = Workspace(name=name.strip(), slug=unique_slug(name))
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace=workspace, user=owner, role="owner"))
    owner.last_workspace_id = workspace.id
    db.session.flush()
    return workspace


def add_workspace(owner, name):
    workspace = create_workspace(owner, name)
    db.session.commit()
    return workspace


def rename_workspace(workspace, name):
    workspace.name = name
    db.session.commit()


def memberships_of(user):
    """The user's workspaces for the switcher, in one query."""
    return (
        db.session.execute(
            select(Membership)
            .where(Membership.user_id == user.id)
            .options(joinedload(Membership.workspace))
            .join(Membership.workspace)
            .order_by(func.lower(Workspace.name))
        )
        .scalars()
        .all()
    )


def home_workspace(user):
    """Where the user lands after logging in: the last workspace they used, else their first."""
    memberships = memberships_of(user)
    for membership in memberships:
        if membership.workspace_id == user.last_workspace_id:
            return membership.workspace
    return memberships[0].workspace if memberships else None


def remember_workspace(user, workspace):
    if user.last_workspace_id != workspace.id:
        user.last_workspace_id = workspace.id
        db.session.commit()


def _members_query(workspace):
    return (
        select(Membership)
        .where(Membership.workspace_id == workspace.id)
        .options(joinedload(Membership.user))
        .join(Membership.user)
        .order_by(func.lower(User.name), Membership.id)
    )


def members_page(workspace, page, per_page=50):
    """One page of the workspace's members, by name, with the total count."""
    return db.paginate(_members_query(workspace), page=page, per_page=per_page, error_out=False)


def first_members(workspace, limit):
    return db.session.execute(_members_query(workspace).limit(limit)).scalars().all()


def count_members(workspace):
    return db.session.execute(
        select(func.count()).select_from(Membership).where(Membership.workspace_id == workspace.id)
    ).scalar_one()


def count_owners(workspace):
    return db.session.execute(
        select(func.count()).where(Membership.workspace_id == workspace.id, Membership.role == "owner")
    ).scalar_one()


def _check_may_manage(actor, target):
    if not role_at_least(actor.role, "admin"):
        raise AccountError("Only owners and admins manage members.")
    if not may_manage(actor, target):
        raise AccountError("Only an owner can change an owner's or an admin's membership.")


def check_may_grant(actor, role, field=None):
    """Admins grant editor and viewer; owner and admin come only from an owner."""
    if role_at_least(role, "admin") and actor.role != "owner":
        raise AccountError(f"Only an owner can make someone an {role}.", field=field)


def change_role(actor, target, role):
    _check_may_manage(actor, target)
    check_may_grant(actor, role)
    if target.role == "owner" and role != "owner" and count_owners(target.workspace) == 1:
        raise AccountError("A workspace needs at least one owner. Make someone else an owner first.")
    target.role = role
    db.session.commit()


def remove_member(actor, target):
    _check_may_manage(actor, target)
    if target.role == "owner" and count_owners(target.workspace) == 1:
        raise AccountError("A workspace needs at least one owner. Make someone else an owner first.")
    db.session.delete(target)
    db.session.commit()


# ---- invitations -------------------------------------------------------------------------------


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_invite_token(invitation, ttl):
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _token_hash(token)
    invitation.expires_at = utcnow() + ttl
    invitation.last_sent_at = utcnow()
    return token


def _pending(workspace):
    return (Invitation.workspace_id == workspace.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))


def pending_invitations(workspace, limit=None):
    """The newest pending invitations (all of them when no limit is given)."""
    query = (
        select(Invitation)
        .where(*_pending(workspace))
        .options(joinedload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    return db.session.execute(query).scalars().all()


def count_pending_invitations(workspace):
    return db.session.execute(select(func.count()).select_from(Invitation).where(*_pending(workspace))).scalar_one()


def has_pending_invitation(workspace, email):
    return db.session.execute(select(Invitation.id).where(*_pending(workspace), Invitation.email == email)).first() is not None


def invite(actor, email, role, ttl):
    """A new pending invitation from the member `actor`, and the one token its link carries
    (only its hash is stored)."""
    workspace, inviter = actor.workspace, actor.user
    check_may_grant(actor, role, field="role")
    email = normalize_email(email)
    already_member = db.session.execute(
        select(Membership.id).join(User).where(Membership.workspace_id == workspace.id, User.email == email)
    ).first()
    if already_member:
        raise AccountError("This person is already a member of the workspace.", field="email")
    if has_pending_invitation(workspace, email):
        raise AccountError("This person already has a pending invitation. Resend it from the list below.", field="email")
    invitation = Invitation(workspace=workspace, email=email, role=role, invited_by=inviter)
    token = _new_invite_token(invitation, ttl)
    db.session.add(invitation)
    db.session.commit()
    return invitation, token


def resend_invitation(invitation, ttl):
    """A fresh link with a fresh expiry; the previous link stops working."""
    if not invitation.is_pending:
        raise AccountError("This invitation is no longer pending.")
    token = _new_invite_token(invitation, ttl)
    invitation.sent_count += 1
    db.session.commit()
    return token


def revoke_invitation(invitation):
    if invitation.is_pending:
        invitation.revoked_at = utcnow()
        db.session.commit()


def invitation_for_token(token):
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == _token_hash(token or "")).options(joinedload(Invitation.workspace))
    ).scalar_one_or_none()
    if invitation is None:
        raise LinkRefused(
            "invalid",
            "This invitation link is not valid. It may have been replaced by a newer one: use the latest e-mail.",
        )
    if invitation.revoked_at:
        raise LinkRefused("revoked", "This invitation was withdrawn. Ask the workspace's admin for a new one.")
    if invitation.accepted_at:
        raise LinkRefused("used", "This invitation has already been accepted. Log in to reach the workspace.")
    if invitation.expires_at < utcnow():
        raise LinkRefused("expired", "This invitation has expired. Ask the workspace's admin to send it again.")
    return invitation


def accept_invitation(invitation, user):
    if normalize_email(user.email) != invitation.email:
        raise AccountError(f"This invitation is for {invitation.email}. Log out and accept it with that account.")
    membership = db.session.execute(
        select(Membership).where(Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id)
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(workspace_id=invitation.workspace_id, user=user, role=invitation.role)
        db.session.add(membership)
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    user.last_workspace_id = invitation.workspace_id
    db.session.commit()
    return membership


def sign_up_invited(invitation, name, password, timezone="UTC"):
    """An account made through an invitation joins that workspace instead of getting its own."""
    user = create_user(invitation.email, name, password, timezone)
    accept_invitation(invitation, user)
    return user
