"""The community's pages under /community/<space>/: every view finds the community on g.space and
the visitor's part in it on g.role ("moderator" or "member"); anyone else gets 404."""
from datetime import datetime
from functools import wraps

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.community import service
from studio.community.forms import (
    TOPIC_LABELS,
    ChannelForm,
    EditForm,
    EventForm,
    MessageForm,
    ProfileForm,
    ReplyForm,
    ReportForm,
    TopicForm,
)
from studio.community.models import Channel, CommunityFile, Event, Reply, Report, Topic
from studio.database import utcnow
from studio.extensions import db
from studio.notify import service as notify
from studio.web import go_to, page, partial, safe_next_url, show_form
from studio.urls import external_url

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
        from studio.web import send_to_login

        return send_to_login()
    # Who is visiting decides the role and the navigation: the team (its workspace menu) or a
    # client (their portal's menu). One query for each, whatever the page.
    from studio.portal.models import Client
    from studio.security.access import load_membership

    membership = load_membership(current_user.id, g.space_slug)
    if membership is not None:
        workspace, role = membership.workspace, service.role_for(membership.role)
        g.workspace, g.membership = workspace, membership
    else:
        client = db.session.execute(select(Client).join(Workspace, Workspace.id == Client.workspace_id).where(
            Workspace.slug == g.space_slug, Client.user_id == current_user.id, Client.status != "archived")
            .options(joinedload(Client.workspace))).scalar_one_or_none()
        if client is None:
            abort(404)
        workspace, role, g.portal_client = client.workspace, "member", client
    g.space, g.role = workspace, role
    g.profile = service.profile_for(workspace, current_user)
    return None


@bp.app_context_processor
def community_helpers():
    def unread_dm_count(except_conversation_id=None):
        if g.get("space") is None:
            return 0
        return service.unread_dm_count(g.space, current_user, except_conversation_id)
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


def refused(error, form=None):
    """A rule said no: beside the field it is about, else at the top of the form, else as a message."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    elif form is not None:
        form.form_errors = [*getattr(form, "form_errors", []), str(error)]
    else:
        flash(str(error), "error")


# ---- home and channels -------------------------------------------------------------------------


@bp.get("/")
def home():
    return page("community/home.html", channels=service.channels(g.space),
                unread=service.unread_by_channel(g.space, current_user, g.role),
                events=service.upcoming_events(g.space)[:3], leaders=service.leaderboard(g.space, "week", 5),
                form=ChannelForm(formdata=None))


@bp.post("/channels")
@moderators_only
def create_channel():
    form = ChannelForm()
    if form.validate_on_submit():
        channel = service.create_channel(g.space, form.name.data, form.type.data, form.description.data or "")
        return go_to(url_for("community.channel", slug=channel.slug))
    return page("community/home.html", status=422, channels=service.channels(g.space),
                unread=service.unread_by_channel(g.space, current_user, g.role), events=[], leaders=[], form=form)


@bp.post("/ch/<slug>/archive")
@moderators_only
def archive_channel(slug):
    channel = channel_by_slug(slug)
    channel.is_archived = not channel.is_archived
    db.session.commit()
    flash(f"#{channel.name} is {'archived: read-only' if channel.is_archived else 'open again'}.", "success")
    return go_to(url_for("community.channel", slug=slug))


def parse_cursor(value):
    try:
        pinned, moment, topic_id = value.split("_")
        moment = datetime.fromisoformat(moment)
    except (ValueError, AttributeError):
        return None
    if moment.tzinfo is None or not topic_id.isdigit():
        return None  # not a cursor this page made
    return pinned == "1", moment, int(topic_id)


def cursor_of(topic):
    return f"{int(topic.is_pinned)}_{topic.last_activity_at.isoformat()}_{topic.id}"


@bp.get("/ch/<slug>")
def channel(slug):
    item = channel_by_slug(slug)
    before = parse_cursor(request.args.get("before", ""))
    rows, more = service.feed(item, current_user, g.role, before)
    context = dict(channel=item, rows=rows, more=more, next_cursor=cursor_of(rows[-1][0]) if rows else "",
                   labels=TOPIC_LABELS)
    if before and request.headers.get("HX-Request"):
        return partial("community/_feed_rows.html", **context)
    return page("community/channel.html", **context)


@bp.route("/ch/<slug>/new", methods=["GET", "POST"])
def new_topic(slug):
    item = channel_by_slug(slug)
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topic = service.create_topic(g.space, current_user, g.role, item, form.type.data, form.title.data,
                                         form.body.data, request.files.getlist(form.files.name))
        except service.Refused as error:
            refused(error, form)
        else:
            return go_to(url_for("community.topic", topic_id=topic.id))
    elif request.method == "GET":
        try:
            service.check_may_post(item, g.role)
        except service.Refused as error:
            refused(error, form)
    status = 422 if request.method == "POST" else 200
    return page("community/new_topic.html", status=status, form=form, channel=item)


# ---- a topic -----------------------------------------------------------------------------------


def topic_context(topic, reply_form=None):
    replies, liked_replies, liked_topic = service.thread(topic, current_user, g.role)
    files = db.session.execute(select(CommunityFile).where(CommunityFile.topic_id == topic.id)).scalars().all()
    bookmarked = db.session.execute(select(service.Bookmark.id).where(service.Bookmark.user_id == current_user.id,
                                                                      service.Bookmark.topic_id == topic.id)).first() is not None
    author = db.session.execute(select(service.MemberProfile.username).where(
        service.MemberProfile.user_id == topic.author_id, service.MemberProfile.workspace_id == g.space.id)).scalar_one_or_none()
    return dict(topic=topic, replies=replies, liked_replies=liked_replies, liked_topic=liked_topic, files=files,
                bookmarked=bookmarked, author_name=author, labels=TOPIC_LABELS,
                reply_form=reply_form or ReplyForm(formdata=None), history=service.edit_history(topic),
                may_moderate=g.role == "moderator", is_author=topic.author_id == current_user.id)


@bp.get("/t/<int:topic_id>")
def topic(topic_id):
    item = visible_topic(topic_id)
    last_read = service.open_topic(item, current_user)
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
        try:
            new = service.add_reply(g.space, item, current_user, g.role, form.body.data, parent)
        except service.Refused as error:
            refused(error, form)
        else:
            if request.headers.get("HX-Request"):
                db.session.refresh(item)
                new.username, new.depth, new.children = g.profile.username, 0, []
                return partial("community/_reply_added.html", topic=item, reply=new, parent=parent, liked_replies=set(),
                               form=ReplyForm(formdata=None), may_moderate=g.role == "moderator")
            return go_to(url_for("community.topic", topic_id=item.id, _anchor=f"reply-{new.id}"))
    if request.headers.get("HX-Request"):
        return partial("community/_reply_form.html", status=422, topic=item, parent=parent, form=form)
    return page("community/topic.html", status=422, last_read=None, **topic_context(item, reply_form=form))


@bp.post("/t/<int:topic_id>/like")
def like_topic(topic_id):
    item = visible_topic(topic_id)
    return like_response(lambda want: service.set_like(g.space, current_user, want, topic=item), "topic", item)


@bp.post("/r/<int:reply_id>/like")
def like_reply(reply_id):
    item = visible_reply(reply_id)
    return like_response(lambda want: service.set_like(g.space, current_user, want, reply=item), "reply", item)


def like_response(set_like, kind, item):
    """The button says what it wants (like or unlike), so a double click cannot undo itself."""
    try:
        liked, count = set_like(request.form.get("liked", "1") == "1")
    except service.Refused as error:
        flash(str(error), "error")
        liked, count = False, item.like_count
    if request.headers.get("HX-Request"):
        return partial("community/_like.html", kind=kind, item_id=item.id, liked=liked, count=count,
                       own=item.author_id == current_user.id)
    topic_id = item.id if kind == "topic" else item.topic_id
    return go_to(url_for("community.topic", topic_id=topic_id))


@bp.post("/t/<int:topic_id>/bookmark")
def bookmark(topic_id):
    item = visible_topic(topic_id)
    marked = service.toggle_bookmark(g.space, current_user, item)
    if request.headers.get("HX-Request"):
        return partial("community/_bookmark.html", topic=item, bookmarked=marked)
    return go_to(url_for("community.topic", topic_id=item.id))


@bp.route("/t/<int:topic_id>/edit", methods=["GET", "POST"])
def edit_topic(topic_id):
    item = visible_topic(topic_id)
    if not service.may_edit(item, current_user, g.role):
        abort(403)
    form = EditForm(obj=item) if request.method == "GET" else EditForm()
    if form.validate_on_submit():
        service.edit(g.space, item, current_user, g.role, form.body.data, form.title.data)
        flash("Saved.", "success")
        return go_to(url_for("community.topic", topic_id=item.id))
    return show_form("community/edit.html", form, item=item, topic=item)


@bp.route("/r/<int:reply_id>/edit", methods=["GET", "POST"])
def edit_reply(reply_id):
    item = visible_reply(reply_id)
    if not service.may_edit(item, current_user, g.role):
        abort(403)
    form = EditForm(obj=item) if request.method == "GET" else EditForm()
    del form.title
    if form.validate_on_submit():
        service.edit(g.space, item, current_user, g.role, form.body.data)
        flash("Saved.", "success")
        return go_to(url_for("community.topic", topic_id=item.topic_id, _anchor=f"reply-{item.id}"))
    return show_form("community/edit.html", form, item=item, topic=item.topic)


def moderate(action):
    """Run a moderation action; a refusal is shown as a message. True when it was done."""
    try:
        action()
    except service.Refused as error:
        flash(str(error), "error")
        return False
    return True


@bp.post("/t/<int:topic_id>/hide")
def hide_topic(topic_id):
    item = visible_topic(topic_id)
    return toggle_hidden(item, item.id)


@bp.post("/r/<int:reply_id>/hide")
def hide_reply(reply_id):
    item = visible_reply(reply_id)
    return toggle_hidden(item, item.topic_id)


def toggle_hidden(item, topic_id):
    """Hide a topic or reply, or show it again (authors and moderators; see service.set_hidden)."""
    if not service.may_edit(item, current_user, g.role):
        abort(403)
    moderate(lambda: service.set_hidden(item, current_user, g.role, not item.is_hidden))
    return go_to(url_for("community.topic", topic_id=topic_id))


@bp.post("/t/<int:topic_id>/pin")
@moderators_only
def pin(topic_id):
    item = visible_topic(topic_id)
    moderate(lambda: service.set_pinned(item, g.role, not item.is_pinned))
    return go_to(url_for("community.topic", topic_id=item.id))


@bp.post("/r/<int:reply_id>/helpful")
def helpful(reply_id):
    item = visible_reply(reply_id)
    topic = item.topic
    if not (g.role == "moderator" or topic.author_id == current_user.id):
        abort(403)
    if moderate(lambda: service.mark_helpful(g.space, topic, item, current_user, g.role)):
        flash("Marked as the helpful answer: the topic shows solved.", "success")
    return go_to(url_for("community.topic", topic_id=topic.id, _anchor=f"reply-{item.id}"))


@bp.route("/t/<int:topic_id>/report", methods=["GET", "POST"])
def report_topic(topic_id):
    return report_form(visible_topic(topic_id), None)


@bp.route("/r/<int:reply_id>/report", methods=["GET", "POST"])
def report_reply(reply_id):
    item = visible_reply(reply_id)
    return report_form(item.topic, item)


def report_form(topic, reply):
    form = ReportForm()
    if form.validate_on_submit():
        service.report(g.space, current_user, form.reason.data, topic=None if reply else topic, reply=reply)
        flash("Thanks: a moderator will look at it.", "success")
        return go_to(url_for("community.topic", topic_id=topic.id))
    return show_form("community/report.html", form, topic=topic, reply=reply)


@bp.get("/files/<int:file_id>")
def file(file_id):
    from studio.portal.views import serve_portal_file

    item = in_space(CommunityFile, file_id)
    visible_topic(item.topic_id)
    return serve_portal_file(item)


# ---- finding things ----------------------------------------------------------------------------


@bp.get("/search")
def search():
    query = request.args.get("q", "").strip()[:200]
    return page("community/search.html", query=query, results=service.search(g.space, query, current_user, g.role))


@bp.get("/bookmarks")
def bookmarks():
    return page("community/bookmarks.html", topics=service.bookmarks(g.space, current_user, g.role))


@bp.get("/leaderboard")
def leaderboard():
    period = request.args.get("period", "week")
    period = period if period in ("week", "month", "all") else "week"
    return page("community/leaderboard.html", period=period, leaders=service.leaderboard(g.space, period))


@bp.get("/notifications")
def notifications():
    return page("community/notifications.html", notifications=service.community_notifications(g.space, current_user))


@bp.get("/notifications/<int:notification_id>")
def open_notification(notification_id):
    item = notify.open_notification(current_user.id, notification_id, workspace_id=g.space.id, client_id=None)
    if item is None:
        abort(404)
    return redirect(safe_next_url(item.action_url, url_for("community.notifications")))


# ---- moderation --------------------------------------------------------------------------------


@bp.get("/moderation")
@moderators_only
def moderation():
    return page("community/moderation.html", reports=service.open_reports(g.space))


@bp.post("/moderation/<int:report_id>")
@moderators_only
def resolve(report_id):
    row = in_space(Report, report_id)
    action = request.form.get("action")
    if action in ("hide", "dismiss"):
        service.resolve_report(row, current_user, action)
        flash("Hidden." if action == "hide" else "Dismissed.", "success")
    return go_to(url_for("community.moderation"))


# ---- people ------------------------------------------------------------------------------------


@bp.get("/u/<username>")
def profile(username):
    person = service.profile_by_username(g.space, username)
    if person is None:
        abort(404)
    topics = db.session.execute(select(Topic).where(Topic.workspace_id == g.space.id, Topic.author_id == person.user_id,
                                                    service.visible(Topic, current_user, g.role))
                                .order_by(Topic.id.desc()).limit(10)).scalars().all()
    return page("community/profile.html", person=person, topics=topics, badges=service.BADGES)


@bp.route("/profile", methods=["GET", "POST"])
def edit_profile():
    mine = g.profile
    if request.method == "GET":
        form = ProfileForm(obj=mine)
        form.links.data = "\n".join(mine.links or [])  # the column holds a list; the box, one address a line
    else:
        form = ProfileForm()
    if form.validate_on_submit():
        links = [line.strip() for line in (form.links.data or "").splitlines() if line.strip()]
        try:
            service.update_profile(mine, form.username.data, form.bio.data or "", form.location.data or "", links,
                                   form.allow_dms.data, form.email_notifications.data)
        except service.Refused as error:
            refused(error, form)
        else:
            flash("Profile saved.", "success")
            return go_to(url_for("community.profile", username=mine.username))
    return show_form("community/edit_profile.html", form)


@bp.get("/messages")
def messages():
    """The member's conversations; polled (the list block alone) so new messages show up."""
    return page("community/messages.html", block="conversations",
                conversations=service.conversations(g.space, current_user))


@bp.get("/badges/messages")
def dm_badge():
    """The unread count in the community menu, polled; `reading` is the conversation open on the
    page, which reads its own new messages as they arrive."""
    return partial("community/_dm_badge.html",
                   unread_dms=service.unread_dm_count(g.space, current_user, request.args.get("reading", type=int)))


@bp.get("/messages/c/<int:conversation_id>")
def new_dms(conversation_id):
    """The messages of an open conversation that came after `after`: they are read as they arrive."""
    found = service.conversation_of(g.space, current_user, conversation_id)
    if found is None:
        abort(404)
    after = request.args.get("after", 0, type=int)
    items = service.conversation_messages(found, after_id=after)
    if items:
        service.mark_conversation_read(found, current_user)
    return partial("community/_new_dms.html", conversation=found, items=items, after=items[-1].id if items else after)


def member_by_username(username):
    person = service.profile_by_username(g.space, username)
    if person is None:
        abort(404)
    return person, db.session.get(User, person.user_id)


@bp.route("/messages/<username>", methods=["GET", "POST"])
def conversation(username):
    person, other = member_by_username(username)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service.send_dm(g.space, current_user, other, form.body.data)
        except service.Refused as error:
            refused(error, form)
        else:
            return go_to(url_for("community.conversation", username=person.username))
    found = service.conversation_between(g.space, current_user, other)
    items = service.conversation_messages(found) if found else []
    if found:
        service.mark_conversation_read(found, current_user)
    status = 422 if form.errors else 200
    return page("community/conversation.html", status=status, person=person, items=items, form=form,
                conversation=found)


# ---- events ------------------------------------------------------------------------------------


@bp.get("/events")
def events():
    return page("community/events.html", events=service.upcoming_events(g.space))


@bp.route("/events/new", methods=["GET", "POST"])
@moderators_only
def new_event():
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone or "UTC"
    if form.validate_on_submit():
        try:
            event = service.create_event(g.space, current_user, form.title.data, form.description.data or "",
                                         form.type.data, datetime.combine(form.date.data, form.starts_time.data),
                                         datetime.combine(form.date.data, form.ends_time.data), form.timezone.data,
                                         form.meeting_url.data or "", form.capacity.data)
        except service.Refused as error:
            refused(error, form)
        else:
            return go_to(url_for("community.event", event_id=event.id))
    return show_form("community/new_event.html", form)


@bp.get("/events/<int:event_id>")
def event(event_id):
    item = in_space(Event, event_id)
    mine = service.rsvp_of(item, current_user)
    return page("community/event.html", event=item, mine=mine, attendees=service.attendees(item),
                past=item.ends_at < utcnow())


@bp.post("/events/<int:event_id>/rsvp")
def rsvp(event_id):
    item = in_space(Event, event_id)
    status = request.form.get("status")
    if status not in ("GOING", "MAYBE", "NOT_GOING"):
        abort(400)
    try:
        service.rsvp(item, current_user, status)
    except service.Refused as error:
        flash(str(error), "error")
    else:
        flash({"GOING": "You are going.", "MAYBE": "Marked maybe.", "NOT_GOING": "Marked not going."}[status], "success")
    return go_to(url_for("community.event", event_id=item.id))


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id):
    item = in_space(Event, event_id)
    body = service.ical(item, external_url("community.event", space=g.space.slug, event_id=item.id))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="event-{item.id}.ics"'})
