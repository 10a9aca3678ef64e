"""Anti-spam: posting limits per member (stricter for new members), fewer links for new members,
and never the same text twice within ten minutes. The team that moderates is not limited."""
import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, select

from studio.accounts.models import User, Workspace
from studio.community.models import MemberProfile, Reply, Topic
from studio.database import utcnow
from studio.extensions import db
from studio.refusal import Refused
from studio.security.sanitize import count_links

NEW_MEMBER_DAYS = 7
WINDOW = timedelta(minutes=10)


def body_hash(body: str) -> str:
    """The same words in any case and spacing give the same hash."""
    return hashlib.sha256(" ".join(body.lower().split()).encode()).hexdigest()


def is_new_member(profile: MemberProfile) -> bool:
    return profile.created_at > utcnow() - timedelta(days=NEW_MEMBER_DAYS) and profile.points < 20


def limits_for(profile: MemberProfile) -> dict[str, int]:
    """{"topics": …, "replies": …, "links": …} for a new member or an established one."""
    return current_app.config["COMMUNITY_RATE_LIMITS"]["new" if is_new_member(profile) else "member"]


def check_links(profile: MemberProfile, body: str) -> None:
    limit = limits_for(profile)["links"]
    if count_links(body) > limit:
        who = "New members" if is_new_member(profile) else "Members"
        raise Refused(f"{who} can include at most {limit} links in a post.", "body")


def check_spam(workspace: Workspace, user: User, profile: MemberProfile, body: str, kind: str, role: str = "member",
               now: datetime | None = None) -> str:
    """Refuse a topic or reply (`kind`) over the member's limits; returns the body's hash."""
    now = now or utcnow()
    if role == "moderator":
        return body_hash(body)
    limits = limits_for(profile)
    since = now - WINDOW
    model, verb, noun = (Topic, "start", "topics") if kind == "topic" else (Reply, "post", "replies")
    recent = db.session.execute(select(func.count()).select_from(model).where(
        model.workspace_id == workspace.id, posted_by(model, user, since))).scalar_one()
    if recent >= limits[noun]:
        raise Refused(f"You can {verb} {limits[noun]} {noun} every 10 minutes; please wait a little.", "body")
    check_links(profile, body)
    digest = body_hash(body)
    if any(db.session.execute(select(posted.id).where(posted_by(posted, user, since), posted.body_hash == digest)
                              .limit(1)).first() for posted in (Topic, Reply)):
        raise Refused("You posted this same text a few minutes ago.", "body")
    return digest


def posted_by(model: type[Topic] | type[Reply], user: User, since: datetime) -> ColumnElement[bool]:
    """Topics or replies (`model`) the member wrote after `since`."""
    return and_(model.author_id == user.id, model.created_at > since)
