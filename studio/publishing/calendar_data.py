"""The calendar's reading side: light rows for the month, week, list and day views, each day's
first posts with its count, the accounts of the filters, and the private iCalendar feed."""
import functools
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from icalendar import Calendar, Event
from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    Text,
    bindparam,
    column,
    func,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.selectable import TextualSelect

from studio.accounts.models import Workspace
from studio.connections.models import PlatformConnection
from studio.database import utcnow
from studio.extensions import db, read_rows
from studio.publishing.models import (
    Delivery,
    Post,
    PostStatus,
)

EXCERPT_CHARACTERS = 200  # what the calendar loads of a message: its cells show 80, the tooltip more


class CalendarPost(NamedTuple):
    """What the calendar draws of a post: no JSON columns, no relationships."""

    id: int
    scheduled_at: datetime
    status: PostStatus
    version: int
    excerpt: str  # the message's first EXCERPT_CHARACTERS characters
    cut: bool  # the message goes on beyond the excerpt
    accounts: int  # its deliveries (counted for lists, 0 in the grid)


class CalendarDay(NamedTuple):
    """A day of the calendar: its number in the period (0 for the first), the posts it shows and
    how many it holds."""

    number: int
    posts: list[CalendarPost]
    total: int


class CalendarAccount(NamedTuple):
    id: int
    platform: str
    username: str


def calendar_filtered(query: Select, workspace: Workspace, platform: str | None, connection_id: int | None,
                      status: str | None) -> Select:
    if platform or connection_id:
        matching = select(Delivery.post_id).where(Delivery.workspace_id == workspace.id)
        if platform:
            matching = matching.where(Delivery.platform == platform)
        if connection_id:
            matching = matching.where(Delivery.connection_id == connection_id)
        query = query.where(Post.id.in_(matching))
    if status:
        query = query.where(Post.status == status)
    return query


def calendar_posts(workspace: Workspace, start: datetime, end: datetime, platform: str | None = None,
                   connection_id: int | None = None, status: str | None = None) -> list[CalendarPost]:
    """Every post in [start, end) as a light row, in time order, with the number of accounts it
    goes to: one query."""
    accounts = select(func.count()).where(Delivery.post_id == Post.id).correlate(Post).scalar_subquery()
    query = (select(Post.id, Post.scheduled_at, Post.status, Post.version,
                    func.substr(Post.message, 1, EXCERPT_CHARACTERS), func.length(Post.message) > EXCERPT_CHARACTERS,
                    accounts)
             .where(Post.workspace_id == workspace.id, Post.scheduled_at >= start, Post.scheduled_at < end)
             .order_by(Post.scheduled_at, Post.id))
    query = calendar_filtered(query, workspace, platform, connection_id, status)
    return [CalendarPost._make(row) for row in db.session.execute(query)]


@functools.lru_cache(maxsize=64)
def first_of_each_day(days: int, platform: bool, connection: bool, status: bool) -> TextualSelect:
    """The statement behind calendar_days for `days` days and the filters chosen, written once: a
    SELECT per day (a short range of the (workspace, time) index: its first posts and its count)
    joined by UNION ALL. Written out rather than built as an expression, since building and keying
    a few dozen SELECTs on each request cost more than running them."""
    def on_day(posts: str, day: int) -> str:
        where = (f"{posts}.workspace_id = :workspace_id AND {posts}.scheduled_at >= :day_{day} "
                 f"AND {posts}.scheduled_at < :day_{day + 1}")
        if platform or connection:
            where += (f" AND {posts}.id IN (SELECT d.post_id FROM deliveries AS d WHERE d.workspace_id = :workspace_id"
                      + (" AND d.platform = :platform" if platform else "")
                      + (" AND d.connection_id = :connection_id" if connection else "") + ")")
        if status:
            where += f" AND {posts}.status = :status"
        return where

    arms = [
        f"SELECT * FROM (SELECT p.id, p.scheduled_at, p.status, p.version, "
        f"substr(p.message, 1, {EXCERPT_CHARACTERS}) AS excerpt, length(p.message) > {EXCERPT_CHARACTERS} AS cut, "
        f"0 AS accounts, {day} AS day_number, (SELECT count(*) FROM posts AS c WHERE {on_day('c', day)}) AS day_posts "
        f"FROM posts AS p WHERE {on_day('p', day)} ORDER BY p.scheduled_at, p.id LIMIT :per_day) AS day_{day}"
        for day in range(days)]
    # No ORDER BY over the whole: sorting the rows again took a quarter of the query's time, and
    # calendar_days puts each day's few posts in order itself.
    return (text(" UNION ALL ".join(arms))
            .columns(Post.id, Post.scheduled_at, Post.status, Post.version, column("excerpt", Text),
                     column("cut", Boolean), column("accounts", Integer), column("day_number", Integer),
                     column("day_posts", Integer)))


@functools.lru_cache(maxsize=256)
def bound_values(bounds: tuple[datetime, ...], dialect: Dialect) -> dict[str, object]:
    """The days' bounds as the statement's values, converted for the database as the column would
    convert them (on SQLite, the text it stores): once here rather than at each of the four places
    each appears, and once a process for each month and zone that people look at."""
    convert = Post.scheduled_at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda moment: moment)
    return {f"day_{number}": convert(moment) for number, moment in enumerate(bounds)}


def calendar_days(workspace: Workspace, bounds: Sequence[datetime], per_day: int, platform: str | None = None,
                  connection_id: int | None = None, status: str | None = None) -> list[CalendarDay]:
    """Day i is [bounds[i], bounds[i + 1]): for each day with posts, its first `per_day` posts as
    light rows and how many it holds in all. One query, which reads a short range of an index a
    day however many posts the days hold."""
    statement = first_of_each_day(len(bounds) - 1, bool(platform), bool(connection_id), bool(status))
    values: dict[str, object] = dict(bound_values(tuple(bounds), db.session.get_bind().dialect))
    values.update(workspace_id=workspace.id, per_day=per_day)
    values.update({name: value for name, value in (("platform", platform), ("connection_id", connection_id),
                                                   ("status", status)) if value})
    found: dict[int, CalendarDay] = {}
    for *columns, index, total in read_rows(statement, values).all():
        day = found.get(index)
        if day is None:
            day = found[index] = CalendarDay(index, [], total)
        day.posts.append(CalendarPost._make(columns))
    for day in found.values():
        day.posts.sort(key=lambda post: (post.scheduled_at, post.id))
    return sorted(found.values())


@functools.cache
def accounts_statement() -> Select:
    return (select(PlatformConnection.id, PlatformConnection.platform, PlatformConnection.username)
            .where(PlatformConnection.workspace_id == bindparam("workspace_id"))
            .order_by(PlatformConnection.platform, PlatformConnection.username))


def calendar_accounts(workspace: Workspace) -> list[CalendarAccount]:
    """The workspace's accounts as the calendar's filters name them (its statement built once: the
    calendar asks on every view)."""
    return [CalendarAccount._make(row) for row in read_rows(accounts_statement(), {"workspace_id": workspace.id})]


def calendar_token(workspace: Workspace, reset: bool = False) -> str:
    if reset or not workspace.calendar_token:
        workspace.calendar_token = secrets.token_urlsafe(32)
        db.session.commit()
    return workspace.calendar_token


def workspace_for_calendar_token(token: str) -> Workspace | None:
    if not token:
        return None
    return db.session.execute(select(Workspace).where(Workspace.calendar_token == token)).scalar_one_or_none()


def posts_between(workspace: Workspace, start: datetime, end: datetime) -> Sequence[Post]:
    """Posts in [start, end), with their deliveries loaded (the feed names each post's accounts)."""
    return db.session.execute(
        select(Post).where(Post.workspace_id == workspace.id, Post.scheduled_at >= start, Post.scheduled_at < end)
        .options(selectinload(Post.deliveries)).order_by(Post.scheduled_at)).scalars().all()


def ical_feed(workspace: Workspace, now: datetime | None = None) -> bytes:
    """The workspace's posts from 30 days back to 90 ahead, as an iCalendar document."""
    now = now or utcnow()
    feed = Calendar()
    feed.add("prodid", "-//Studio//Publishing calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"{workspace.name} posts")
    for post in posts_between(workspace, now - timedelta(days=30), now + timedelta(days=90)):
        assert post.scheduled_at is not None  # posts_between finds posts by their time
        event = Event()
        event.add("uid", f"post-{post.id}@studio")
        event.add("summary", (post.message or "(media only)")[:80])
        event.add("dtstart", post.scheduled_at)
        event.add("dtend", post.scheduled_at + timedelta(minutes=15))
        event.add("dtstamp", post.updated_at or now)
        event.add("status", "CANCELLED" if post.status == "cancelled" else "CONFIRMED")
        event.add("description", f"{post.status.replace('_', ' ')} · " + ", ".join(
            f"{d.platform}" for d in post.deliveries))
        feed.add_component(event)
    return feed.to_ical()
