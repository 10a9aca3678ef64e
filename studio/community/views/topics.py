"""A topic and its thread: reading it, replying inline, likes, bookmarks, edits and its files."""
from flask import abort, flash, g, request, url_for
from flask_login import current_user

from studio.community import posting, reading
from studio.community.forms import TOPIC_LABELS, EditForm, ReplyForm
from studio.community.models import CommunityFile
from studio.community.views.blueprint import bp, visible_reply, visible_topic
from studio.extensions import db
from studio.portal.shared_views import serve_portal_file
from studio.security.access import can, scoped_get_or_404
from studio.web import go_to, page, partial, refusals_onto, show_form, wants_fragment


def topic_context(topic, reply_form=None):
    replies, liked_replies, liked_topic = reading.thread(topic, current_user, g.role)
    return dict(topic=topic, replies=replies, liked_replies=liked_replies, liked_topic=liked_topic,
                files=reading.files_of(topic), bookmarked=reading.is_bookmarked(current_user, topic),
                author_name=reading.username_of(g.space.id, topic.author_id), labels=TOPIC_LABELS,
                reply_form=reply_form or ReplyForm(formdata=None), history=posting.edit_history(topic),
                may_moderate=can("moderator"), is_author=topic.author_id == current_user.id)


@bp.get("/t/<int:topic_id>")
def topic(topic_id):
    item = visible_topic(topic_id)
    last_read = reading.open_topic(item, current_user)
    db.session.refresh(item)
    # Without JavaScript, a reply's Reply link lands here with ?parent=: the form answers that reply.
    parent = visible_reply(request.args.get("parent", type=int)) if request.args.get("parent") else None
    return page("community/topic.html", last_read=last_read, parent=parent, **topic_context(item))


@bp.get("/t/<int:topic_id>/reply-form")
def reply_form(topic_id):
    item = visible_topic(topic_id)
    parent = visible_reply(request.args.get("parent", type=int)) if request.args.get("parent") else None
    return partial("community/_reply_form.html", topic=item, parent=parent, form=ReplyForm(formdata=None))


@bp.post("/t/<int:topic_id>/reply")
def reply(topic_id):
    item = visible_topic(topic_id)
    form = ReplyForm()
    parent = visible_reply(form.parent_id.data) if form.parent_id.data else None
    if form.validate_on_submit():
        with refusals_onto(form):
            new = posting.add_reply(g.space, item, current_user, g.role, form.body.data, parent)
            if wants_fragment():
                db.session.refresh(item)
                new.username, new.depth, new.children = g.profile.username, 0, []
                return partial("community/_reply_added.html", topic=item, reply=new, parent=parent, liked_replies=set(),
                               form=ReplyForm(formdata=None), may_moderate=can("moderator"))
            return go_to(url_for("community.topic", topic_id=item.id, _anchor=f"reply-{new.id}"))
    if wants_fragment():
        return partial("community/_reply_form.html", status=422, topic=item, parent=parent, form=form)
    return page("community/topic.html", status=422, last_read=None, **topic_context(item, reply_form=form))


@bp.post("/t/<int:topic_id>/like")
def like_topic(topic_id):
    item = visible_topic(topic_id)
    return like_response(lambda want: posting.set_like(g.space, current_user, want, topic=item), "topic", item)


@bp.post("/r/<int:reply_id>/like")
def like_reply(reply_id):
    item = visible_reply(reply_id)
    return like_response(lambda want: posting.set_like(g.space, current_user, want, reply=item), "reply", item)


def like_response(set_like, kind, item):
    """The button says what it wants (like or unlike), so a double click cannot undo itself."""
    liked, count = False, item.like_count
    with refusals_onto():
        liked, count = set_like(request.form.get("liked", "1") == "1")
    if wants_fragment():
        return partial("community/_like.html", kind=kind, item_id=item.id, liked=liked, count=count,
                       own=item.author_id == current_user.id)
    topic_id = item.id if kind == "topic" else item.topic_id
    return go_to(url_for("community.topic", topic_id=topic_id))


@bp.post("/t/<int:topic_id>/bookmark")
def bookmark(topic_id):
    item = visible_topic(topic_id)
    marked = posting.toggle_bookmark(g.space, current_user, item)
    if wants_fragment():
        return partial("community/_bookmark.html", topic=item, bookmarked=marked)
    return go_to(url_for("community.topic", topic_id=item.id))


@bp.route("/t/<int:topic_id>/edit", methods=["GET", "POST"])
def edit_topic(topic_id):
    item = visible_topic(topic_id)
    return edit_form(item, item, url_for("community.topic", topic_id=item.id))


@bp.route("/r/<int:reply_id>/edit", methods=["GET", "POST"])
def edit_reply(reply_id):
    item = visible_reply(reply_id)
    return edit_form(item, item.topic, url_for("community.topic", topic_id=item.topic_id, _anchor=f"reply-{item.id}"))


def edit_form(item, topic, done_url):
    """Edit a topic (its title too) or a reply: its author or a moderator."""
    if not posting.may_edit(item, current_user, g.role):
        abort(403)
    form = EditForm(obj=item) if request.method == "GET" else EditForm()
    if item is not topic:
        del form.title
    if form.validate_on_submit():
        with refusals_onto(form):
            posting.edit(g.space, item, current_user, g.role, form.body.data, form.title.data if item is topic else None)
            flash("Saved.", "success")
            return go_to(done_url)
    return show_form("community/edit.html", form, item=item, topic=topic)


@bp.get("/files/<int:file_id>")
def file(file_id):
    item = scoped_get_or_404(CommunityFile, file_id)
    visible_topic(item.topic_id)
    return serve_portal_file(item)
