"""The community's home, its channels and each channel's feed of topics, and starting a topic."""
import hashlib
import json
from datetime import datetime

from flask import flash, g, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from studio.community import events, members, posting, reading
from studio.community.forms import TOPIC_LABELS, ChannelForm, TopicForm
from studio.community.models import Channel
from studio.community.reading import Cursor, FeedRow
from studio.community.views.blueprint import bp, channel_by_slug, unread_dm_count
from studio.community.views.display import release
from studio.extensions import db
from studio.security.access import requires_role
from studio.web import go_to, link_prefix, page, partial, refusals_onto, viewer_clock, wants_fragment


@bp.get("/")
def home():
    return page("community/home.html", channels=posting.channels(g.space),
                unread=reading.unread_by_channel(g.space, current_user, g.role),
                events=events.upcoming_events(g.space)[:3], leaders=members.leaderboard(g.space, "week", 5),
                form=ChannelForm(formdata=None))


@bp.post("/channels")
@requires_role("moderator")
def create_channel():
    form = ChannelForm()
    if form.validate_on_submit():
        channel = posting.create_channel(g.space, form.name.data, form.type.data, form.description.data or "")
        return go_to(url_for("community.channel", slug=channel.slug))
    return page("community/home.html", status=422, channels=posting.channels(g.space),
                unread=reading.unread_by_channel(g.space, current_user, g.role), events=[], leaders=[], form=form)


@bp.post("/ch/<slug>/archive")
@requires_role("moderator")
def archive_channel(slug):
    channel = channel_by_slug(slug)
    channel.is_archived = not channel.is_archived
    db.session.commit()
    flash(f"#{channel.name} is {'archived: read-only' if channel.is_archived else 'open again'}.", "success")
    return go_to(url_for("community.channel", slug=slug))


def parse_cursor(value: str) -> Cursor | None:
    """The feed's place from an "Older topics" address (see cursor_of); None for anything else."""
    try:
        pinned, at, topic_id = value.split("_")
        moment = datetime.fromisoformat(at)
    except (ValueError, AttributeError):
        return None
    if moment.tzinfo is None or not topic_id.isdigit():
        return None  # not a cursor this page made
    return pinned == "1", moment, int(topic_id)


def cursor_of(row: FeedRow) -> str:
    pinned, moment, topic_id = row.cursor
    return f"{int(pinned)}_{moment.isoformat()}_{topic_id}"


@bp.get("/ch/<slug>")
def channel(slug):
    item = channel_by_slug(slug)
    before = parse_cursor(request.args.get("before", ""))
    rows, more = reading.feed(item, current_user, g.role, before)
    # The first page is the same for a member until something on it changes: a revisit that
    # sends back its ETag is answered 304 before anything is rendered.
    tag = None if before else feed_etag(item, rows, more)
    if tag is not None and request.if_none_match.contains(tag):
        return revalidated(Response(status=304), tag)
    context = dict(channel=item, rows=rows, more=more, next_cursor=cursor_of(rows[-1]) if rows else "",
                   labels=TOPIC_LABELS, topic_link=link_prefix("community.topic", "topic_id"), local=viewer_clock())
    if before and wants_fragment():  # "Older topics" as it scrolls into view; a click on it loads the page
        return partial("community/_feed_rows.html", **context)
    response = page("community/channel.html", **context)
    return revalidated(response, tag) if tag is not None else response


def feed_etag(channel: Channel, rows: list[FeedRow], more: bool) -> str | None:
    """A digest of everything a feed's first page shows this visitor, from what the view loaded
    anyway (its rows hold this member's unread markers) and what the layout shows of them: who
    they are and their session's form token, their workspaces, their unread direct messages, the
    channel, and the running release. None when the page must render (a flash message waits)."""
    if session.get("_flashes"):
        return None
    generate_csrf()  # the session's token, made now on a first visit, so the next one matches
    memberships = [(m.workspace_id, m.workspace.name, m.workspace.slug, m.role) for m in g.get("memberships", [])]
    client = g.get("portal_client")
    facts = (release(), wants_fragment(), current_user.id, current_user.name, current_user.email, current_user.timezone,
             session.get("csrf_token"), g.role, g.profile.username, memberships, client.id if client else None,
             g.space.name, unread_dm_count(), channel.id, channel.name, channel.slug, channel.description, channel.type,
             channel.is_archived, rows, more)
    # JSON (its encoder is C; times as text) rather than repr, which writes each time slowly.
    return hashlib.sha256(json.dumps(facts, default=str, separators=(",", ":")).encode()).hexdigest()[:32]


def revalidated(response: Response, tag: str) -> Response:
    """Private to the member, and asked about again on each visit (a 304 costs next to nothing)."""
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    return response


@bp.route("/ch/<slug>/new", methods=["GET", "POST"])
def new_topic(slug):
    item = channel_by_slug(slug)
    form = TopicForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            topic = posting.create_topic(g.space, current_user, g.role, item, form.type.data, form.title.data,
                                         form.body.data, request.files.getlist(form.files.name))
            return go_to(url_for("community.topic", topic_id=topic.id))
    elif request.method == "GET":
        with refusals_onto(form):  # say so before anyone writes a post that cannot go here
            posting.check_may_post(item, g.role)
    status = 422 if request.method == "POST" else 200
    return page("community/new_topic.html", status=status, form=form, channel=item)
