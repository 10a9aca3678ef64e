"""A topic and its thread: reading it, replying inline, likes, bookmarks, edits and its files."""

from flask import abort, flash, g, request, url_for
from flask_login import current_user

from studio.community import posting, reading, threads
from studio.community.forms import TOPIC_LABELS, EditForm, ReplyForm
from studio.community.models import CommunityFile, Topic
from studio.community.reading import TopicPage
from studio.community.threads import ReplyRow
from studio.community.views.blueprint import bp, may_see, reply_url, visible_reply, visible_topic
from studio.community.views.reply_html import ReplyLinks
from studio.portal.shared_views import serve_portal_file
from studio.security.access import can, scoped_get_or_404
from studio.web import csrf_input, go_to, htmx, link_prefix, page, partial, refusals_onto, show_form, viewer_clock, wants_fragment


def reply_links(topic: Topic) -> ReplyLinks:
    return ReplyLinks(
        reply=link_prefix("community.like_reply", "reply_id"),
        answer=link_prefix("community.topic", "parent", topic_id=topic.id),
        answer_form=link_prefix("community.reply_form", "parent", topic_id=topic.id),
        profile=link_prefix("community.profile", "username"), csrf_input=csrf_input(), viewer_id=current_user.id,
        local=viewer_clock())


def topic_context(found: TopicPage, reply_form=None, start: int | None = None, around: int | None = None):
    """What the topic page shows: the topic, and the part of its thread that starts at the top-level
    reply `start`, or the part that holds the reply `around` (a link to a reply)."""
    topic = found.topic
    roots = threads.thread_shape(topic.id, current_user, g.role)
    if around:
        start = threads.root_of(roots, around)
    part = threads.thread_part(roots, start)
    return dict(topic=topic, channel=found.channel, replies=threads.replies_of(part, current_user), part=part,
                liked_topic=found.liked, bookmarked=found.bookmarked, author_name=found.author_name,
                files=reading.files_of(topic) if found.has_files else [], labels=TOPIC_LABELS, reply_form=reply_form or ReplyForm(formdata=None),
                history=posting.edit_history(topic) if topic.edited_at else [], links=reply_links(topic),
                may_moderate=can("moderator"), is_author=topic.author_id == current_user.id)


def visible_topic_page(topic_id: int) -> TopicPage:
    """The topic with what its page shows around it, if the visitor may see it, else 404."""
    found = reading.topic_page(g.space.id, topic_id, current_user)
    if found is None or not may_see(found.topic):
        abort(404)
    return found


@bp.get("/t/<int:topic_id>")
def topic(topic_id):
    found = visible_topic_page(topic_id)
    start, around = request.args.get("from", type=int), request.args.get("reply", type=int)
    if start and htmx.target == "more-replies":  # "Show more replies" with htmx: the next part, in place
        return partial("community/_more_replies.html", htmx_part=True, **topic_context(found, start=start))
    reading.open_topic(found.topic, current_user, found.read_at)
    # Without JavaScript, a reply's Reply link lands here with ?parent=: the form answers that reply.
    parent = visible_reply(request.args.get("parent", type=int)) if request.args.get("parent") else None
    return page("community/topic.html", last_read=found.read_at, parent=parent,
                **topic_context(found, start=start, around=around or (parent.id if parent else None)))


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
            # An answer goes under its reply, which is on the page. A top-level reply goes at the
            # end of the thread, which the page holds only when the thread fits in one part.
            if wants_fragment() and (parent or threads.thread_part(threads.thread_shape(item.id, current_user, g.role)).next_from is None):
                return partial("community/_reply_added.html", topic=item, reply=ReplyRow.of(new, g.profile.username),
                               parent=parent, links=reply_links(item), form=ReplyForm(formdata=None))
            return go_to(reply_url(item.id, new.id))
    if wants_fragment():
        return partial("community/_reply_form.html", status=422, topic=item, parent=parent, form=form)
    return page("community/topic.html", status=422, last_read=None, **topic_context(visible_topic_page(item.id), reply_form=form))


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
        endpoint, key = ("community.like_topic", "topic_id") if kind == "topic" else ("community.like_reply", "reply_id")
        return partial("community/_like.html", kind=kind, item_id=item.id, liked=liked, count=count,
                       own=item.author_id == current_user.id, action=url_for(endpoint, **{key: item.id}),
                       csrf_input=csrf_input())
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
    return edit_form(item, item.topic, reply_url(item.topic_id, item.id))


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
