"""The community's blueprint: every view finds the community on g.space and the visitor's part in
it on g.role ("moderator" or "member"); anyone else gets 404. The helpers here find a row of the
community the way every view needs it."""
from functools import wraps

from flask import Blueprint, abort, flash, g
from flask_login import current_user
from sqlalchemy import select

from studio.community import members, messages
from studio.community.models import Channel, MemberProfile, Reply, Topic
from studio.extensions import db
from studio.web import send_to_login

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
    visitor = members.visitor(g.space_slug, current_user.id)
    if visitor is None:
        abort(404)
    if visitor.membership is not None:
        g.workspace, g.membership = visitor.workspace, visitor.membership
    else:
        g.portal_client = visitor.client
    g.space, g.role = visitor.workspace, visitor.role
    g.profile = members.profile_for(visitor.workspace, current_user)
    return None


@bp.app_context_processor
def community_helpers():
    def unread_dm_count(except_conversation_id=None):
        if g.get("space") is None:
            return 0
        return messages.unread_dm_count(g.space, current_user, except_conversation_id)
    return {"unread_dm_count": unread_dm_count}


def moderators_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.role != "moderator":
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def in_space(model, object_id):
    row = db.session.execute(select(model).where(model.id == object_id, model.workspace_id == g.space.id)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def visible_topic(topic_id):
    topic = in_space(Topic, topic_id)
    if topic.is_hidden and g.role != "moderator" and topic.author_id != current_user.id:
        abort(404)
    return topic


def visible_reply(reply_id):
    reply = in_space(Reply, reply_id)
    if reply.is_hidden and g.role != "moderator" and reply.author_id != current_user.id:
        abort(404)
    visible_topic(reply.topic_id)
    return reply


def channel_by_slug(slug):
    channel = db.session.execute(select(Channel).where(Channel.workspace_id == g.space.id, Channel.slug == slug)).scalar_one_or_none()
    if channel is None:
        abort(404)
    return channel


def member_by_username(username: str) -> MemberProfile:
    person = members.profile_by_username(g.space.id, username)
    if person is None:
        abort(404)
    return person


def refused(error, form=None):
    """A rule said no: beside the field it is about, else at the top of the form, else as a message."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    elif form is not None:
        form.form_errors = [*getattr(form, "form_errors", []), str(error)]
    else:
        flash(str(error), "error")
