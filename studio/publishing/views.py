"""Compose, the posts list with what needs attention, a post's timeline, the month calendar, and
the engine's status."""
import calendar as month_math
import hashlib
import json
from datetime import date, datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from studio.extensions import db
from studio.library import service as library
from studio.library.models import MediaAsset
from studio.platforms import all_platforms, get_platform
from studio.platforms.limits import (
    CAPTION_LIMITS,
    MAX_HASHTAGS,
    MEDIA_COUNT,
    MEDIA_RULES,
    describe_seconds,
)
from studio.publishing import metrics, recurrence, service
from studio.publishing.forms import ComposeForm, EditForm, RescheduleForm, VersionForm
from studio.publishing.models import (
    Delivery,
    Post,
    PostMedia,
    PostStatus,
    PublishedPost,
)
from studio.publishing.status import derive_status
from studio.refusal import Refused
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.web import (
    go_to,
    page,
    partial,
    refusals_onto,
    render_error,
    safe_next_url,
    show_refusal,
    wants_fragment,
)

bp = workspace_blueprint("posts", __name__)
feeds = Blueprint("calendar_feeds", __name__)


@bp.record_once
def offer_posts_using(state):
    """The library asks this before it deletes a file, or lets zero storage release it."""
    library.register_asset_uses(state.app, service.posts_using)


def viewer_zone():
    return current_user.timezone or "UTC"


# ---- compose -----------------------------------------------------------------------------------


def compose_form():
    form = ComposeForm(zone=viewer_zone())
    connections = service.workspace_connections(g.workspace)
    assets = db.session.execute(
        select(MediaAsset).where(MediaAsset.workspace_id == g.workspace.id, MediaAsset.status == "ready")
        .order_by(MediaAsset.created_at.desc()).limit(60)
    ).scalars().all()
    form.connections.choices = [SelectChoice(c.id, f"{c.display_name or c.username} · {c.platform} @{c.username}"
                                             + ("" if c.status == "active" else " · needs reconnecting"))
                                for c in connections]
    form.media.choices = [SelectChoice(a.id, f"{a.title} ({a.kind}{', ' + a.aspect_ratio if a.aspect_ratio else ''})")
                          for a in assets]
    return form, connections


def overrides_from(form_data, connection_ids):
    return {str(i): form_data.get(f"override-{i}", "") for i in connection_ids}


def chosen(form):
    connections = service.workspace_connections(g.workspace, form.connections.data or [])
    assets = service.workspace_assets(g.workspace, form.media.data or [])
    return connections, assets


def option_fields(picked):
    """[(connection, [Option])] for the accounts chosen, in the composer's order."""
    return [(connection, service.offered_options(connection)) for connection in picked]


COMPOSER_FIELDS = ("message", "media", "connections")  # the form's own; the rest are per account


def attach_problems(form, report, field_errors):
    """Put each problem next to the field it is about: the message, the media, the accounts (on the
    form, named by account), or an account's own text or one of its options (in `field_errors`)."""
    for connection, problems in report:
        for problem in problems:
            if problem.field in COMPOSER_FIELDS:
                label = f"{get_platform(connection.platform).name} @{connection.username}: {problem}"
                show_refusal(form, Refused(label, problem.field))
            else:
                field_errors.setdefault(problem.field, []).append(str(problem))


@bp.route("/posts/new", methods=["GET", "POST"])
@requires_role("editor")
def compose():
    form, connections = compose_form()
    report, field_errors, picked = [], {}, []
    if request.method == "POST":
        valid = form.validate_on_submit()  # the platforms' problems are shown with the form's own
        picked, assets = chosen(form)
        overrides = overrides_from(request.form, [c.id for c in picked])
        options = service.chosen_options(request.form, picked)
        report = service.preflight(g.workspace, form.message.data or "", overrides, picked, assets, options)
        blocking = [problem for _, problems in report for problem in problems]
        if valid and (not blocking or form.when.data == "draft"):
            local = datetime.combine(form.date.data, form.time.data) if form.date.data and form.time.data else None
            repeat = (form.repeat.data, form.weekdays.data, form.cron.data or "", form.until.data, form.count.data)
            post = service.create_post(g.workspace, current_user, form.message.data, overrides, picked, assets,
                                       form.when.data, local, viewer_zone(), repeat=repeat, options=options)
            flash({"now": "Publishing now.", "draft": "Draft saved."}.get(form.when.data, "Scheduled."), "success")
            return go_to(url_for("posts.detail", post_id=post.id))
        attach_problems(form, report, field_errors)
    status = 422 if request.method == "POST" else 200
    return page("posts/compose.html", status=status, form=form, connections=connections, report=report,
                overrides=request.form if request.method == "POST" else {}, option_sets=option_fields(picked),
                values=request.form, field_errors=field_errors)


@bp.post("/posts/preflight")
@requires_role("editor")
def preflight():
    """Live checks while composing: counters and what each platform would refuse."""
    form, _ = compose_form()
    form.validate()
    picked, assets = chosen(form)
    report = service.preflight(g.workspace, form.message.data or "", overrides_from(request.form, [c.id for c in picked]),
                               picked, assets, service.chosen_options(request.form, picked))
    return partial("posts/_preflight.html", report=report, message=form.message.data or "")


@bp.get("/posts/rules")
def rules():
    """What each platform accepts: the same table the composer and the adapters use."""
    platforms = [platform for platform in all_platforms() if platform.key != "sandbox"]
    return page("posts/rules.html", platforms=platforms, captions=CAPTION_LIMITS, hashtags=MAX_HASHTAGS,
                counts=MEDIA_COUNT, media=MEDIA_RULES, describe_seconds=describe_seconds)


@bp.post("/posts/options")
@requires_role("editor")
def options():
    """The chosen accounts' platform options, re-drawn when the choice of accounts changes."""
    form, _ = compose_form()
    form.validate()
    picked, _ = chosen(form)
    return partial("posts/_options.html", option_sets=option_fields(picked), values=request.form, field_errors={})


# ---- lists and the post page -------------------------------------------------------------------


@bp.get("/posts")
def index():
    upcoming = db.session.execute(
        select(Post).where(Post.workspace_id == g.workspace.id, Post.status.in_(("scheduled", "publishing")))
        .order_by(Post.scheduled_at).limit(50).options(selectinload(Post.deliveries))
    ).scalars().all()
    recent = db.session.execute(
        select(Post).where(Post.workspace_id == g.workspace.id,
                           Post.status.in_(("published", "partially_failed", "failed", "cancelled", "missed", "draft")))
        .order_by(Post.updated_at.desc()).limit(30).options(selectinload(Post.deliveries))
    ).scalars().all()
    return page("posts/index.html", upcoming=upcoming, recent=recent, attention=service.needing_attention(g.workspace),
                zone=viewer_zone())


@bp.get("/posts/<int:post_id>")
def detail(post_id):
    post = scoped_get_or_404(Post, post_id, *POST_PAGE_LOADS)
    local = service.local_time(post.scheduled_at, viewer_zone())
    form = RescheduleForm(formdata=None, version=post.version, date=local.date() if local else None,
                          time=local.time().replace(second=0, microsecond=0) if local else None)
    edit = EditForm(formdata=None, version=post.version, message=post.message)
    series = db.session.get(Post, post.series_id) if post.series_id else (post if post.recurrence else None)
    upcoming = recurrence.future_unstarted(series)[:10] if series else []
    live = {item.delivery_id: item for item in db.session.execute(
        select(PublishedPost).where(PublishedPost.delivery_id.in_([d.id for d in post.deliveries]))).scalars()}
    return page("posts/detail.html", post=post, form=form, edit=edit, zone=viewer_zone(), series=series,
                upcoming=upcoming, live=live)


@bp.post("/posts/<int:post_id>/edit")
@requires_role("editor")
def edit(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = EditForm()
    if form.validate_on_submit():
        picked = [d.connection for d in post.deliveries if d.connection is not None]
        overrides = {str(c.id): post.overrides.get(str(c.id), "") for c in picked}
        problems = [p for _, found in service.preflight(g.workspace, form.message.data, overrides, picked,
                                                        [m.asset for m in post.media]) for p in found]
        for problem in problems:
            show_refusal(form, Refused(problem, "message"))
        if not problems:
            with refusals_onto():
                service.update_post(post, int(form.version.data), form.message.data, post.overrides, None, post.timezone)
                flash("Saved.", "success")
            return go_to(url_for("posts.detail", post_id=post.id))
    return page("posts/detail.html", status=422, post=post, form=RescheduleForm(formdata=None, version=post.version),
                edit=form, zone=viewer_zone(), series=None, upcoming=[], live={})


@bp.post("/posts/<int:post_id>/series")
@requires_role("editor")
def edit_series(post_id):
    """Edit every occurrence still to come, or stop the series."""
    series = scoped_get_or_404(Post, post_id)
    if not series.recurrence:
        abort(404)
    if request.form.get("action") == "stop":
        recurrence.stop(series)
        flash("The series is stopped; occurrences still to come are cancelled.", "success")
    else:
        form = EditForm()
        if form.validate_on_submit():
            changed = recurrence.update_future(series, form.message.data)
            flash(f"Updated {changed} occurrence{'s' if changed != 1 else ''} still to come.", "success")
    return go_to(url_for("posts.detail", post_id=series.id))


@bp.post("/posts/<int:post_id>/metrics")
@requires_role("editor")
def refresh_metrics(post_id):
    post = scoped_get_or_404(Post, post_id)
    live = db.session.execute(select(PublishedPost).where(PublishedPost.delivery_id.in_([d.id for d in post.deliveries]))).scalars().all()
    metrics.sync(live)
    flash("Numbers refreshed.", "success")
    return go_to(url_for("posts.detail", post_id=post.id))


@bp.post("/posts/<int:post_id>/duplicate")
@requires_role("editor")
def duplicate(post_id):
    copy = service.duplicate(scoped_get_or_404(Post, post_id), current_user)
    flash("A copy was saved as a draft.", "success")
    return go_to(url_for("posts.detail", post_id=copy.id))


@bp.post("/posts/<int:post_id>/reschedule")
@requires_role("editor")
def reschedule(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = RescheduleForm(zone=viewer_zone())
    if not form.validate_on_submit():
        if wants_fragment():  # dropped on a calendar day: the post stays where it was, with the reason
            return render_error(422, " ".join(error for errors in form.errors.values() for error in errors))
        return page("posts/detail.html", status=422, post=post, form=form, zone=viewer_zone(), series=None,
                    upcoming=[], live={}, edit=EditForm(formdata=None, version=post.version, message=post.message))
    with refusals_onto():
        service.schedule(post, int(form.version.data), datetime.combine(form.date.data, form.time.data), viewer_zone())
        flash("Rescheduled.", "success")
    return back_to(post.id)


@bp.post("/posts/<int:post_id>/cancel")
@requires_role("editor")
def cancel(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals_onto():
        started = service.cancel(post, int(form.version.data))
        if started:
            names = ", ".join(f"@{d.connection.username}" for d in started if d.connection)
            flash(f"Cancelled what had not started. Publishing to {names} was already under way.", "warning")
        else:
            flash("Cancelled.", "success")
    return go_to(url_for("posts.detail", post_id=post.id))


@bp.post("/deliveries/<int:delivery_id>/retry")
@requires_role("editor")
def retry(delivery_id):
    delivery = scoped_get_or_404(Delivery, delivery_id)
    with refusals_onto():
        service.retry(delivery)
        flash("Trying again now.", "success")
    return back_to(delivery.post_id)


def back_to(post_id):
    """Where a button on a list or the calendar came from (its `back` field), else the post's page."""
    return go_to(safe_next_url(request.form.get("back"), url_for("posts.detail", post_id=post_id)))


# ---- calendar and status -----------------------------------------------------------------------


def month_from(text, zone):
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        today = datetime.now(ZoneInfo(zone)).date()
        return today.replace(day=1)


CALENDAR_FILTERS = ("platform", "connection", "status")


def calendar_filters():
    chosen = {name: request.args.get(name, "") for name in CALENDAR_FILTERS}
    return {name: value for name, value in chosen.items() if value}


def day_start(day, local_zone):
    return datetime.combine(day, datetime.min.time(), local_zone)


MONTH_CELL_POSTS = 3  # a month's day shows this many posts, then "+N more", which opens the day
WEEK_CELL_POSTS = 12  # a week's taller days show more before they do the same
CELL_TEXT = 80  # characters of a message a calendar entry shows


def cell_text(excerpt: str, length: int = CELL_TEXT, leeway: int = 5) -> str:
    """A message as an entry shows it: whole when short, else cut at a word with "..." (Jinja's
    truncate, done here once a post rather than through a filter call in the loop)."""
    if len(excerpt) <= length + leeway:
        return excerpt or "(media)"
    return excerpt[: length - 3].rsplit(" ", 1)[0] + "..."


class DayCell:
    """One day as the calendar draws it: its date written the ways the page shows it, the posts it
    shows (each with its time in the viewer's zone as the view writes it, and its text), and how
    many more it holds. Everything written per day or per post is worked out here, once."""

    __slots__ = ("iso", "number", "name", "classes", "shown", "more")

    def __init__(self, day: date, classes: str = "", shown: list[tuple[service.CalendarPost, str, str]] | None = None,
                 more: int = 0) -> None:
        self.iso, self.number, self.name, self.classes = day.isoformat(), day.day, day.strftime("%A %-d %B"), classes
        self.shown, self.more = shown if shown is not None else [], more


def grid_cells(weeks: list[list[date]], found: list[service.CalendarDay], local_zone: ZoneInfo, month: int | None,
               today: date) -> list[list[DayCell]]:
    """The weeks of a month or week grid, each day with its first posts (their time as "09:30") and
    how many more it holds. `found` numbers the days from the grid's first; `month` greys the days
    outside it."""
    by_number = {day.number: day for day in found}
    grid, number = [], 0
    for week in weeks:
        row = []
        for day in week:
            classes = (" other" if month is not None and day.month != month else "") + (" today" if day == today else "")
            cell = DayCell(day, classes)
            posts = by_number.get(number)
            if posts is not None:
                for post in posts.posts:
                    local = post.scheduled_at.astimezone(local_zone)
                    cell.shown.append((post, f"{local.hour:02d}:{local.minute:02d}", cell_text(post.excerpt)))
                cell.more = posts.total - len(posts.posts)
            row.append(cell)
            number += 1
        grid.append(row)
    return grid


def listed_days(posts: list[service.CalendarPost], local_zone: ZoneInfo) -> list[DayCell]:
    """The days with posts, in order, each with all its posts (a list or a day view)."""
    cells: dict[date, DayCell] = {}
    for post in posts:
        local = post.scheduled_at.astimezone(local_zone)
        cell = cells.get(local.date())
        if cell is None:
            cell = cells[local.date()] = DayCell(local.date())
        when = f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"
        cell.shown.append((post, when, cell_text(post.excerpt) if post.excerpt else "(media only)"))
    return list(cells.values())


def calendar_period(view, today, zone):
    """(first day shown, the weeks of the grid, the previous and the following period)."""
    if view == "day":
        try:
            day = date.fromisoformat(request.args.get("day", ""))
        except ValueError:
            day = today
        return day, [[day]], day - timedelta(days=1), day + timedelta(days=1)
    if view == "week":
        try:
            anchor = date.fromisoformat(request.args.get("week", ""))
        except ValueError:
            anchor = today
        first_day = anchor - timedelta(days=anchor.weekday())
        weeks = [[first_day + timedelta(days=n) for n in range(7)]]
        return first_day, weeks, first_day - timedelta(days=7), first_day + timedelta(days=7)
    first = month_from(request.args.get("month"), zone)
    weeks = month_math.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return first, weeks, (first - timedelta(days=1)).replace(day=1), (first + timedelta(days=32)).replace(day=1)


CALENDAR_VIEWS = ("month", "week", "list", "day")


def calendar_links(base: str, filters: dict[str, str], view: str, first: date, today: date, previous: date,
                   following: date) -> dict[str, str]:
    """The calendar's own links (the views, the periods before and after), the filters kept: made
    here from the calendar's address, without a url_for each."""
    def period_url(kind: str, period: date) -> str:
        args = dict(filters)
        if kind in ("week", "day"):
            args.update(view=kind, **{kind: period.isoformat()})
        else:
            args["month"] = f"{period:%Y-%m}"
            if kind == "list":
                args["view"] = "list"
        return f"{base}?{urlencode(args)}"

    this_month = (today.year, today.month) == (first.year, first.month)
    return {"month": period_url("month", first), "list": period_url("list", first), "day": period_url("day", first),
            "week": period_url("week", first if view in ("week", "day") or not this_month else today),
            "previous": period_url(view, previous), "following": period_url(view, following)}


@bp.get("/calendar")
def month():
    """Month, week, list and day views of one period, in the viewer's zone, with filters. A month's
    day shows a few posts and "+N more", which opens the day view."""
    zone = viewer_zone()
    view = request.args.get("view") if request.args.get("view") in CALENDAR_VIEWS else "month"
    local_zone = ZoneInfo(zone)
    today = datetime.now(local_zone).date()
    filters = calendar_filters()
    first, weeks, previous, following = calendar_period(view, today, zone)
    days = [day for week in weeks for day in week]
    bounds = [day_start(day, local_zone) for day in [*days, days[-1] + timedelta(days=1)]]
    chosen = (filters.get("platform"), request.args.get("connection", type=int), filters.get("status"))
    grid: list[list[DayCell]] = []
    listed: list[DayCell] = []
    if view in ("month", "week"):  # each day shows a few posts and how many more it holds
        found = service.calendar_days(g.workspace, bounds, MONTH_CELL_POSTS if view == "month" else WEEK_CELL_POSTS,
                                      *chosen)
        grid = grid_cells(weeks, found, local_zone, first.month if view == "month" else None, today)
        shown = [post for row in grid for cell in row for post, _, _ in cell.shown]
    else:  # a list or one day shows them all
        listed = listed_days(service.calendar_posts(g.workspace, bounds[0], bounds[-1], *chosen), local_zone)
        shown = [post for cell in listed for post, _, _ in cell.shown]
    accounts = service.calendar_accounts(g.workspace)
    # Links whose shape is fixed are built once and completed per post or day.
    base = url_for("posts.month")
    links = calendar_links(base, filters, view, first, today, previous, following)
    post_url = url_for("posts.detail", post_id=0)[:-1]
    day_url = f"{base}?{urlencode(dict(view='day', **filters))}&day="
    return page("posts/calendar.html", block="grid", view=view, first=first, grid=grid, listed=listed,
                watched=shown, zone=zone, filters=filters, base=base, links=links, post_url=post_url, day_url=day_url,
                connections=accounts, statuses=list(PostStatus), platforms=sorted({a.platform for a in accounts}),
                movable=("draft", "scheduled"))


@bp.post("/calendar/feed")
@requires_role("admin")
def reset_feed():
    service.calendar_token(g.workspace, reset=True)
    flash("A new private calendar address was made; the old one stopped working.", "success")
    return go_to(url_for("workspaces.settings"))


@feeds.get("/calendar/<token>.ics")
def feed(token):
    """The workspace's private iCalendar feed; the secret in the address is the only key."""
    workspace = service.workspace_for_calendar_token(token)
    if workspace is None:
        abort(404)
    return Response(service.ical_feed(workspace), mimetype="text/calendar",
                    headers={"Content-Disposition": f'inline; filename="{workspace.slug}.ics"'})


@bp.get("/publishing/status")
def status():
    """The engine as this workspace sees it: its own deliveries' figures, no other's."""
    return page("posts/status.html", engine=service.engine_status(g.workspace))


# ---- pages that keep themselves current while posts publish ------------------------------------
# A post's page, the posts list and the calendar poll while a post on them can still change on its
# own (scheduled or publishing). Each poll sends what the page last showed as a short fingerprint:
# unchanged answers 204 (htmx swaps nothing) after the same two queries every time; changed answers
# the page's block, drawn by the page's own view, whose poller is gone once everything is final.

LIVE_POLL_SECONDS = 3
WATCHED_STATUSES = ("scheduled", "publishing")
WATCH_LIMIT = 500  # posts one list or calendar poll watches at most
POST_PAGE_LOADS = (
    selectinload(Post.deliveries).selectinload(Delivery.attempts),
    selectinload(Post.deliveries).joinedload(Delivery.connection),
    selectinload(Post.media).joinedload(PostMedia.asset),
)


@bp.record_once
def share_live_poll_seconds(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["live_poll_seconds"] = LIVE_POLL_SECONDS


def fingerprint(parts):
    """A short hash of what a poller has seen. Statuses hash as their values (JSON), so a status
    read from the database and one just set as a string give the same fingerprint."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


class PostState(NamedTuple):
    status: str  # derived from the deliveries: "publishing" as soon as a worker has claimed one
    changeable: bool  # the text and the time can still be changed (nothing has started)
    cancellable: bool  # something is left to cancel
    seen: str | None  # the fingerprint a poll compares; None once nothing can change on its own


@bp.app_template_global()
def post_state(post):
    deliveries = post.deliveries
    status = derive_status(post)
    started = any(d.attempt_count or d.status not in ("pending", "cancelled", "missed") for d in deliveries)
    changeable = status in ("draft", "scheduled", "missed") and not started
    cancellable = changeable or (status == "publishing" and any(d.status in ("pending", "missed") for d in deliveries))
    seen = None
    if status in WATCHED_STATUSES:
        seen = fingerprint((post.status, post.version, [(d.id, d.status, d.attempt_count, d.next_attempt_at,
                                                         d.platform_url, d.last_error) for d in deliveries]))
    return PostState(status, changeable, cancellable, seen)


@bp.app_template_global()
def posts_watch(posts):
    """The posts of a list or calendar that can still change on their own, and their fingerprint:
    {"posts": "3,7", "seen": "…"}, or None when there is nothing to watch."""
    watched = sorted((post for post in posts if post.status in WATCHED_STATUSES), key=lambda post: post.id)[:WATCH_LIMIT]
    if not watched:
        return None
    return {"posts": ",".join(str(post.id) for post in watched), "seen": rows_fingerprint(watched)}


def rows_fingerprint(posts):
    return fingerprint([(post.id, post.status, post.version) for post in posts])


def unchanged_rows():
    """True when the posts a list or calendar watches still look as it showed them (one query)."""
    ids = [int(part) for part in request.args.get("posts", "").split(",") if part.isdigit()][:WATCH_LIMIT]
    posts = db.session.execute(select(Post.id, Post.status, Post.version)
                               .where(Post.workspace_id == g.workspace.id, Post.id.in_(ids)).order_by(Post.id)).all()
    return len(posts) == len(ids) and rows_fingerprint(posts) == request.args.get("seen")


def nothing_new():
    return Response(status=204)


@bp.get("/posts/<int:post_id>/live")
def live_detail(post_id):
    """The post page's poll: 204 while nothing changed, else the page's block drawn anew."""
    post = scoped_get_or_404(Post, post_id)
    seen = post_state(post).seen
    if seen is not None and seen == request.args.get("seen"):
        return nothing_new()
    db.session.expire_all()  # drawn afresh, with everything the page shows loaded at once
    return detail(post_id)


@bp.get("/posts/live")
def live_index():
    return nothing_new() if unchanged_rows() else index()


@bp.get("/calendar/live")
def live_month():
    return nothing_new() if unchanged_rows() else month()
