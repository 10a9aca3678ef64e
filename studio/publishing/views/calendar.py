"""The calendar: month, week, list and day views in the viewer's zone, filters, the private
iCalendar feed, and the engine's status for this workspace."""
import calendar as month_math
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, g, request, url_for
from markupsafe import Markup, escape

from studio.publishing import calendar_data, service
from studio.publishing.models import (
    PostStatus,
)
from studio.publishing.views.blueprint import bp, feeds, viewer_zone
from studio.security.access import can, requires_role
from studio.web import (
    go_to,
    link_prefix,
    page,
)

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
    """One day of a list or day view: its name, and its posts, each with its time in the viewer's
    zone and its text as the view writes them, worked out here once. (The grid: grid_html.)"""

    __slots__ = ("name", "shown")

    def __init__(self, day: date) -> None:
        self.name = day_names(day)[1]
        self.shown: list[tuple[calendar_data.CalendarPost, str, str]] = []


@lru_cache(maxsize=1024)
def day_names(day: date) -> tuple[str, str]:
    """A day as the grid writes it: "2026-11-05" and "Thursday 5 November" (each a few dozen times
    a view, the same ones view after view)."""
    return day.isoformat(), day.strftime("%A %-d %B")


MOVABLE = ("draft", "scheduled")  # what an editor may drag to another day
STATUS_CLASS = {status: str(escape(status.value)) for status in PostStatus}  # an entry's colour


def grid_html(weeks: list[list[date]], found: list[calendar_data.CalendarDay], local_zone: ZoneInfo, month: int | None,
              today: date, post_url: str, day_url: str, editor: bool) -> Markup:
    """The weeks of a month or week grid, each day with its first posts (their time in the viewer's
    zone, "09:30") and "+N more", written here rather than by a template macro: a month draws 35
    days and some 100 posts, and a macro pays for each value it writes (about a thousand a month)
    more than for the rest of the page. `found` numbers the days from the grid's first; `month`
    greys the days outside it. What a person wrote (a post's text), the statuses and the links are
    escaped here; the rest is numbers and dates this module wrote.
    tests/integration/test_calendar_month.py holds the markup to the routes and the escaping."""
    by_number = {day.number: day for day in found}
    post_url, day_url = escape(post_url), escape(day_url)
    parts = []
    for number, day in enumerate(day for week in weeks for day in week):
        iso, name = day_names(day)
        classes = (" other" if month is not None and day.month != month else "") + (" today" if day == today else "")
        parts.append(f'<div class="day{classes}" role="gridcell" data-date="{iso}">\n  <span class="date">'
                     f'<span class="date-short">{day.day:d}</span><span class="date-long">{name}</span></span>')
        posts = by_number.get(number)
        if posts is not None:
            for post in posts.posts:
                local = post.scheduled_at.astimezone(local_zone)
                time = f"{local.hour:02d}:{local.minute:02d}"
                link = f"{post_url}{post.id:d}"
                # An editor drags a post to another day: app.js posts to its link's /reschedule
                # with its version (the server refuses a stale one) and its <time>.
                move = f' draggable="true" data-version="{post.version:d}"' if editor and post.status in MOVABLE else ""
                text = cell_text(post.excerpt)
                # The whole text on hover, where the entry shows less of it.
                title = (f' title="{escape(post.excerpt)}{"…" if post.cut else ""}"'
                         if post.cut or text != post.excerpt else "")
                parts.append(f'\n  <a class="cal-post post-status {STATUS_CLASS[post.status]}" href="{link}"{title}{move}>'
                             f'<time>{time}</time> {escape(text)}</a>')
            if posts.total > len(posts.posts):
                address = f"{day_url}{iso}"
                parts.append(f'\n  <a class="cal-more small" href="{address}" hx-get="{address}" hx-target="#calendar" '
                             f'hx-swap="outerHTML" hx-push-url="true">+{posts.total - len(posts.posts):d} more</a>')
        parts.append("\n</div>")
    return Markup("".join(parts))


def listed_days(posts: list[calendar_data.CalendarPost], local_zone: ZoneInfo) -> list[DayCell]:
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
    found: list[calendar_data.CalendarDay] = []
    listed: list[DayCell] = []
    if view in ("month", "week"):  # each day shows a few posts and how many more it holds
        found = calendar_data.calendar_days(g.workspace, bounds, MONTH_CELL_POSTS if view == "month" else WEEK_CELL_POSTS,
                                            *chosen)
        shown = [post for day in found for post in day.posts]
    else:  # a list or one day shows them all
        listed = listed_days(calendar_data.calendar_posts(g.workspace, bounds[0], bounds[-1], *chosen), local_zone)
        shown = [post for cell in listed for post, _, _ in cell.shown]
    accounts = calendar_data.calendar_accounts(g.workspace)
    # Links whose shape is fixed are built once and completed per post or day.
    base = url_for("posts.month")
    links = calendar_links(base, filters, view, first, today, previous, following)
    post_url = link_prefix("posts.detail", "post_id")
    day_url = f"{base}?{urlencode(dict(view='day', **filters))}&day="
    editor = can("editor")
    return page("posts/calendar.html", block="grid", view=view, first=first, listed=listed, may_edit=editor,
                grid_html=grid_html(weeks, found, local_zone, first.month if view == "month" else None, today, post_url,
                                    day_url, editor) if view in ("month", "week") else None,
                watched=shown, zone=zone, filters=filters, base=base, links=links, post_url=post_url,
                connections=accounts, statuses=STATUS_CHOICES, platforms=sorted({a.platform for a in accounts}))


STATUS_CHOICES = [(status.value, status.value.replace("_", " ").capitalize()) for status in PostStatus]


@bp.post("/calendar/feed")
@requires_role("admin")
def reset_feed():
    calendar_data.calendar_token(g.workspace, reset=True)
    flash("A new private calendar address was made; the old one stopped working.", "success")
    return go_to(url_for("workspaces.settings"))


@feeds.get("/calendar/<token>.ics")
def feed(token):
    """The workspace's private iCalendar feed; the secret in the address is the only key."""
    workspace = calendar_data.workspace_for_calendar_token(token)
    if workspace is None:
        abort(404)
    return Response(calendar_data.ical_feed(workspace), mimetype="text/calendar",
                    headers={"Content-Disposition": f'inline; filename="{workspace.slug}.ics"'})


@bp.get("/publishing/status")
def status():
    """The engine as this workspace sees it: its own deliveries' figures, no other's."""
    return page("posts/status.html", engine=service.engine_status(g.workspace))
