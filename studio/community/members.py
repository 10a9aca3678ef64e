"""Who is in a community and what they have earned there: roles, profiles with usernames,
points, badges, the leaderboard and their notifications."""
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from studio.accounts.models import Membership, User, Workspace
from studio.community.models import MemberProfile, PointsEntry, Reply, Topic
from studio.database import utcnow
from studio.extensions import db
from studio.notify import service as notify
from studio.notify.models import Notification, NotificationType
from studio.portal.models import Client
from studio.refusal import Refused
from studio.security.access import load_membership
from studio.security.sanitize import render_markdown
from studio.urls import path_for

MODERATOR_ROLES = ("owner", "admin", "editor")
BIO_LIMIT = 1_000  # the column's length
# What the community's notifications page lists (a staff member's other notifications live elsewhere).
COMMUNITY_NOTIFICATIONS = (NotificationType.EVENT_REMINDER, NotificationType.MENTION, NotificationType.BADGE)
BADGES = {
    "first-post": ("First post", "Started a first topic"),
    "conversation-starter": ("Conversation starter", "Started 10 topics"),
    "helpful": ("Helpful", "Gave an answer marked helpful"),
    "popular": ("Popular", "Received 10 likes"),
    "regular": ("Regular", "Wrote 25 replies"),
}


# ---- who is in the community -------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    """Someone's part in a community: its team ("moderator", with their membership) or one of its
    clients ("member", with their client row; viewers of the team are members too)."""

    workspace: Workspace
    role: str
    membership: Membership | None = None
    client: Client | None = None


def role_for(workspace_role: str) -> str:
    """The community part of a workspace role: its owners, admins and editors moderate."""
    return "moderator" if workspace_role in MODERATOR_ROLES else "member"


def visitor(slug: str, user_id: int, memberships: Sequence[Membership] | None = None) -> Visitor | None:
    """Who this user is in the community of the workspace named by `slug`, or None for a stranger
    (archived clients included): one query for the team (none when their `memberships`, with their
    workspaces, are at hand), one more for a client."""
    if memberships is None:
        membership = load_membership(user_id, slug)
    else:
        membership = next((m for m in memberships if m.workspace.slug == slug), None)
    if membership is not None:
        return Visitor(membership.workspace, role_for(membership.role), membership=membership)
    client = db.session.execute(select(Client).join(Workspace, Workspace.id == Client.workspace_id).where(
        Workspace.slug == slug, Client.user_id == user_id, Client.status != "archived")
        .options(contains_eager(Client.workspace))).scalar_one_or_none()
    return Visitor(client.workspace, "member", client=client) if client is not None else None


def community_role(workspace: Workspace, user: User) -> str | None:
    """"moderator" for the team that runs it, "member" for its viewers and clients, else None."""
    found = visitor(workspace.slug, user.id)
    return found.role if found is not None else None


# ---- profiles ----------------------------------------------------------------------------------


def username_from(name: str | None) -> str:
    base = re.sub(r"[^a-z0-9_]", "", (name or "member").lower().replace(" ", "_"))[:24] or "member"
    return base if len(base) >= 2 else f"{base}_member"


def profile_for(workspace: Workspace, user: User) -> MemberProfile:
    """The member's profile in this community, made on first visit with a free username."""
    profile = db.session.execute(profile_statement(), {"workspace_id": workspace.id, "user_id": user.id}).scalar_one_or_none()
    if profile is not None:
        return profile
    base = username_from(user.name)
    taken = set(db.session.execute(select(MemberProfile.username).where(
        MemberProfile.workspace_id == workspace.id, MemberProfile.username.like(f"{base}%"))).scalars())
    username, number = base, 1
    while username in taken:
        number += 1
        username = f"{base}{number}"
    profile = MemberProfile(workspace_id=workspace.id, user_id=user.id, username=username)
    db.session.add(profile)
    try:
        db.session.commit()
    except IntegrityError:  # made at the same moment by another request
        db.session.rollback()
        return profile_for(workspace, user)
    return profile


@cache
def profile_statement() -> Select:
    """profile_for's query, made once: every community page asks it."""
    return select(MemberProfile).where(MemberProfile.workspace_id == bindparam("workspace_id"),
                                       MemberProfile.user_id == bindparam("user_id"))


def profile_by_username(workspace_id: int, username: str) -> MemberProfile | None:
    """A community's member by @username, whatever its case."""
    return db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace_id,
                                                          func.lower(MemberProfile.username) == username.lower())
                              ).scalar_one_or_none()


def mention_linker(workspace: Workspace) -> Callable[[str], str | None]:
    def link(username: str) -> str | None:
        profile = profile_by_username(workspace.id, username)
        return path_for("community.profile", space=workspace.slug, username=profile.username) if profile else None
    return link


def render(workspace: Workspace, source: str) -> str:
    """Markdown made safe, its @mentions linked to the members' profiles."""
    return render_markdown(source, mention_linker(workspace))


def update_profile(profile: MemberProfile, username: str, bio: str, location: str, links: list[str], allow_dms: bool,
                   email_notifications: bool) -> None:
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_]{2,30}", username):
        raise Refused("Use 2 to 30 letters, digits or underscores.", "username")
    if len(bio.strip()) > BIO_LIMIT:
        raise Refused(f"Use at most {BIO_LIMIT:,} characters.", "bio")
    other = profile_by_username(profile.workspace_id, username)
    if other is not None and other.id != profile.id:
        raise Refused(f"@{username} is taken.", "username")
    profile.username, profile.bio, profile.location = username, bio.strip(), location.strip()
    profile.bio_html = render_markdown(profile.bio)
    profile.links, profile.allow_dms, profile.email_notifications = links, allow_dms, email_notifications
    db.session.commit()


# ---- points and badges -------------------------------------------------------------------------


def award(workspace_id: int, user_id: int | None, kind: str, sign: int = 1) -> None:
    points = current_app.config["COMMUNITY_POINTS"].get(kind, 0) * sign
    if not points or user_id is None:
        return
    db.session.add(PointsEntry(workspace_id=workspace_id, user_id=user_id, points=points, reason=kind))
    db.session.execute(update(MemberProfile).where(MemberProfile.workspace_id == workspace_id,
                                                   MemberProfile.user_id == user_id)
                       .values(points=MemberProfile.points + points))


def check_badges(workspace: Workspace, user_id: int | None) -> None:
    """Award the badges whose rule the member now meets (each once), with a notification."""
    if user_id is None:
        return
    profile = db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace.id,
                                                             MemberProfile.user_id == user_id)).scalar_one_or_none()
    if profile is None:
        return
    have = {badge["key"] for badge in profile.badges or []}
    topics = db.session.execute(select(func.count()).select_from(Topic).where(
        Topic.workspace_id == workspace.id, Topic.author_id == user_id)).scalar_one()
    replies = db.session.execute(select(func.count()).select_from(Reply).where(
        Reply.workspace_id == workspace.id, Reply.author_id == user_id)).scalar_one()
    helpful = db.session.execute(select(func.count()).select_from(Reply).where(
        Reply.workspace_id == workspace.id, Reply.author_id == user_id, Reply.is_helpful.is_(True))).scalar_one()
    likes = db.session.execute(select(func.coalesce(func.sum(Topic.like_count), 0)).where(
        Topic.workspace_id == workspace.id, Topic.author_id == user_id)).scalar_one() + db.session.execute(
        select(func.coalesce(func.sum(Reply.like_count), 0)).where(
            Reply.workspace_id == workspace.id, Reply.author_id == user_id)).scalar_one()
    earned = {"first-post": topics >= 1, "conversation-starter": topics >= 10, "helpful": helpful >= 1,
              "popular": likes >= 10, "regular": replies >= 25}
    new = [key for key, met in earned.items() if met and key not in have]
    if not new:
        return
    profile.badges = [*(profile.badges or []), *({"key": key, "at": utcnow().isoformat()} for key in new)]
    db.session.commit()
    for key in new:
        notify.notify(user_id, NotificationType.BADGE, f"New badge: {BADGES[key][0]}", BADGES[key][1],
                      path_for("community.profile", space=workspace.slug, username=profile.username),
                      workspace_id=workspace.id)


def leaderboard(workspace: Workspace, period: str, limit: int = 20) -> list[tuple[str, int]]:
    """[(username, points)] for the week, the month or all time."""
    if period == "all":
        rows = db.session.execute(select(MemberProfile.username, MemberProfile.points)
                                  .where(MemberProfile.workspace_id == workspace.id, MemberProfile.points > 0)
                                  .order_by(MemberProfile.points.desc(), MemberProfile.username).limit(limit)).all()
        return [(name, points) for name, points in rows]
    since = utcnow() - timedelta(days=7 if period == "week" else 30)
    total = func.sum(PointsEntry.points).label("total")
    rows = db.session.execute(
        select(MemberProfile.username, total).join(MemberProfile, and_(MemberProfile.user_id == PointsEntry.user_id,
                                                                       MemberProfile.workspace_id == PointsEntry.workspace_id))
        .where(PointsEntry.workspace_id == workspace.id, PointsEntry.created_at >= since)
        .group_by(MemberProfile.username).having(total > 0).order_by(total.desc(), MemberProfile.username).limit(limit)).all()
    return [(name, points) for name, points in rows]


def community_notifications(workspace: Workspace, user: User, limit: int = 50) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.workspace_id == workspace.id,
                                                              Notification.client_id.is_(None),
                                                              Notification.type.in_(COMMUNITY_NOTIFICATIONS))
                                   .order_by(Notification.id.desc()).limit(limit)).scalars())
