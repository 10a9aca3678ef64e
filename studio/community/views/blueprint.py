"""The community's blueprint: every view finds the community on g.space and the visitor's part in
it on g.role ("moderator" or "member"); anyone else gets 404. The helpers here find a row of the
community the way every view needs it."""
from functools import cache

from flask import Blueprint, abort, g, url_for
from flask_login import current_user
from sqlalchemy import Select, bindparam, select

from studio.accounts.service import memberships_of
from studio.community import members, messages
from studio.community.models import Channel, MemberProfile, Reply, Topic
from studio.extensions import db
from studio.security.access import can, enter_scope, scoped_get_or_404
from studio.web import Menu, menu_links, send_to_login, wants_fragment

bp = Blueprint("community", __name__, url_prefix="/community/<space>")


@bp.url_value_preprocessor
def take_space(endpoint, values):
    g.space_slug = values.pop("space", None) if values else None


@bp.url_defaults
def keep_space(endpoint, values):
    if endpoint.startswith("community.") and "space" not in values and g.get("space") is not None:
        values["space"] = g.space.slug


@bp.before_request
def require_member():
    if not current_user.is_authenticated:
        return send_to_login()
    # Who is visiting decides the role and the navigation: the team (its workspace menu) or a
    # client (their portal's menu).
    # A whole page draws the workspace switcher too: one query finds every membership of the user
    # for both (the navigation reads g.memberships); a fragment asks for the one membership only.
    if wants_fragment():
        visitor = members.visitor(g.space_slug, current_user.id)
    else:
        if "memberships" not in g:  # loaded with the user (accounts.service.logged_in_user)
            g.memberships = memberships_of(current_user)
        visitor = members.visitor(g.space_slug, current_user.id, g.memberships)
    if visitor is None:
        abort(404)
    if visitor.membership is not None:
        g.workspace, g.membership = visitor.workspace, visitor.membership
    else:
        g.portal_client = visitor.client
    g.space, g.role = visitor.workspace, visitor.role
    enter_scope("workspace_id", visitor.workspace.id)
    if wants_fragment():
        g.profile = members.profile_for(visitor.workspace, current_user)
    else:  # a whole page shows the member's unread direct messages too: one query for both
        g.profile, unread = messages.profile_and_unread_count(visitor.workspace, current_user)
        g.unread_dm_counts = {None: unread}
    return None


def unread_dm_count(except_conversation_id: int | None = None) -> int:
    """The visitor's unread direct messages here (but those of the conversation open on the page),
    counted once a request: a view that needs the figure before it renders shares it with the page."""
    if g.get("space") is None:
        return 0
    counted = g.setdefault("unread_dm_counts", {})
    if except_conversation_id not in counted:
        counted[except_conversation_id] = messages.unread_dm_count(g.space, current_user, except_conversation_id)
    return counted[except_conversation_id]


MENU: Menu = tuple((name, f"community.{name}") for name in (
    "home", "events", "messages", "bookmarks", "leaderboard", "notifications", "moderation", "search"))


def community_menu() -> dict[str, str]:
    """The community menu's addresses ({"home": …, "events": …})."""
    return menu_links(MENU, space=g.space.slug)


@bp.app_context_processor
def community_helpers():
    return {"unread_dm_count": unread_dm_count, "community_menu": community_menu}


def may_see(item: Topic | Reply) -> bool:
    """Hidden posts stay visible to their author and to moderators."""
    return not item.is_hidden or can("moderator") or item.author_id == current_user.id


def visible_topic(topic_id: int) -> Topic:
    """A topic of this community the visitor may see, else 404."""
    topic = scoped_get_or_404(Topic, topic_id)
    if not may_see(topic):
        abort(404)
    return topic


def reply_url(topic_id: int, reply_id: int) -> str:
    """A reply's place: the topic page with the part of the thread that holds it, scrolled to it."""
    return url_for("community.topic", topic_id=topic_id, reply=reply_id, _anchor=f"reply-{reply_id}")


def visible_reply(reply_id: int) -> Reply:
    """A reply of this community the visitor may see, in a topic they may see, else 404."""
    reply = scoped_get_or_404(Reply, reply_id)
    if not may_see(reply):
        abort(404)
    visible_topic(reply.topic_id)
    return reply


@cache
def channel_statement() -> Select:
    return select(Channel).where(Channel.workspace_id == bindparam("workspace_id"), Channel.slug == bindparam("slug"))


def channel_by_slug(slug: str) -> Channel:
    channel = db.session.execute(channel_statement(), {"workspace_id": g.space.id, "slug": slug}).scalar_one_or_none()
    if channel is None:
        abort(404)
    return channel


def member_by_username(username: str) -> MemberProfile:
    person = members.profile_by_username(g.space.id, username)
    if person is None:
        abort(404)
    return person
