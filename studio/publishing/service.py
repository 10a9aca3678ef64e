"""The rules of posts: compose, preflight, schedule, edit, cancel, retry, and missed posts.

Edits and cancellations race the engine safely: each is a conditional UPDATE that only touches
deliveries nobody has started, so the loser of a race is told plainly instead of causing a double
post or losing an edit."""
import functools
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    Text,
    column,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.selectable import TextualSelect

from studio.accounts.models import User, Workspace
from studio.connections.creator_info import creator_info
from studio.connections.models import PlatformConnection
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.platforms import get_platform
from studio.platforms.limits import CAPTION_LIMITS
from studio.platforms.options import Option, values_from
from studio.platforms.options import problems_with as option_problems
from studio.platforms.rules import (
    Problem,
    media_count_problems,
    media_problems,
    text_problems,
    weighted_length,
)
from studio.publishing import recurrence
from studio.publishing.models import (
    Delivery,
    Post,
    PostMedia,
    PostStatus,
    PublishAttempt,
    WorkerHeartbeat,
)
from studio.publishing.status import refresh_post_status
from studio.refusal import Refused
from studio.schedule_rules import PAST_TIME, instant_has_passed

# ---- preflight ---------------------------------------------------------------------------------


class Check(tuple):
    """(connection, problems) plus the preview: the text this account will get and its length."""

    text: str
    length: int
    limit: int | None

    def __new__(cls, connection: PlatformConnection, problems: list[Problem], text: str, length: int,
                limit: int | None) -> "Check":
        check = super().__new__(cls, (connection, problems))
        check.text, check.length, check.limit = text, length, limit
        return check


def option_field(connection: PlatformConnection, name: str) -> str:
    return f"option-{connection.id}-{name}"


def offered_options(connection: PlatformConnection) -> list[Option]:
    """The choices the composer offers for this account, given what its platform says about it."""
    return get_platform(connection.platform).composer_options(connection, creator_info(connection))


def preflight(workspace: Workspace, message: str, overrides: Mapping[str, str] | None,
              connections: Sequence[PlatformConnection], assets: Sequence[MediaAsset],
              options: Mapping[str, dict] | None = None) -> list[Check]:
    """[(connection, [problems])]: what each platform would refuse, checked before scheduling.
    Each entry also carries the preview (text, weighted length, limit). `options` holds each
    account's platform choices by connection id (missing: the platform's defaults)."""
    report = []
    for connection in connections:
        text = (overrides or {}).get(str(connection.id)) or message
        text_field = f"override-{connection.id}" if (overrides or {}).get(str(connection.id)) else "message"
        platform = get_platform(connection.platform)
        found = []
        if connection.status != "active":
            found.append(Problem("needs reconnecting before it can publish: reconnect it on Connections, or leave "
                                 "it out (a draft may keep it)", "connections"))
        found.extend(text_problems(platform, text, text_field))
        if not text.strip() and not assets:
            found.append(Problem("nothing to post: write a message or add media", "message"))
        found.extend(media_count_problems(platform, assets))
        info = creator_info(connection)
        declared = platform.composer_options(connection, info)
        values = (options or {}).get(str(connection.id)) or {o.name: o.default for o in declared}
        found.extend(media_problems(connection.platform, assets, values.get("format")))

        def field_for(name: str, c: PlatformConnection = connection) -> str:
            return option_field(c, name)

        found.extend(option_problems(connection.platform, declared, values, assets, field_for))
        found.extend(platform.option_problems(connection, values, assets, field_for, info))
        report.append(Check(connection, found, text, weighted_length(text, connection.platform),
                            CAPTION_LIMITS.get(connection.platform)))
    return report


def chosen_options(form_data: Mapping[str, str], connections: Sequence[PlatformConnection]) -> dict[str, dict]:
    """{connection id: {option: value}} from the composer's option fields."""
    return {str(c.id): values_from(form_data, c, offered_options(c)) for c in connections}


# ---- composing ---------------------------------------------------------------------------------


def workspace_connections(workspace: Workspace, ids: Sequence[int] | None = None) -> Sequence[PlatformConnection]:
    query = select(PlatformConnection).where(PlatformConnection.workspace_id == workspace.id)
    if ids is not None:
        query = query.where(PlatformConnection.id.in_(ids or [-1]))
    return db.session.execute(query.order_by(PlatformConnection.platform, PlatformConnection.username)).scalars().all()


def workspace_assets(workspace: Workspace, ids: Sequence[int]) -> list[MediaAsset]:
    if not ids:
        return []
    found = {asset.id: asset for asset in db.session.execute(
        select(MediaAsset).where(MediaAsset.workspace_id == workspace.id, MediaAsset.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


def to_utc(local_naive: datetime, timezone: str) -> datetime:
    """A wall-clock time in the user's zone, as the instant it names (DST-aware)."""
    return local_naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def create_post(workspace: Workspace, author: User, message: str, overrides: Mapping[str, str] | None,
                connections: Sequence[PlatformConnection], assets: Sequence[MediaAsset], when: str,
                scheduled_local: datetime | None = None, timezone: str = "UTC", repeat: tuple | None = None,
                options: Mapping[str, dict] | None = None) -> Post:
    """A draft, or a post scheduled for `scheduled_local` (wall clock in `timezone`), or one due now.
    `repeat` (kind, weekdays, cron line, until date, count) makes it the first of a series;
    `options` holds each account's platform choices, by connection id."""
    post = Post(workspace_id=workspace.id, author_id=author.id, message=message, timezone=timezone,
                overrides={k: v for k, v in (overrides or {}).items() if v.strip()}, status="draft")
    post.media = [PostMedia(asset_id=asset.id, position=index) for index, asset in enumerate(assets)]
    db.session.add(post)
    db.session.flush()
    for connection in connections:
        post.deliveries.append(Delivery(workspace_id=workspace.id, connection_id=connection.id,
                                        platform=connection.platform, status="pending",
                                        options=(options or {}).get(str(connection.id), {}),
                                        max_attempts=current_app.config["PUBLISH_MAX_ATTEMPTS"]))
    if when == "draft":
        # A draft's deliveries have no due time, so the engine never picks them up.
        post.scheduled_at = to_utc(scheduled_local, timezone) if scheduled_local else None
    else:
        if when == "now":
            due = utcnow()
        else:
            assert scheduled_local is not None, "a scheduled post has its time"
            due = to_utc(scheduled_local, timezone)
        post.scheduled_at = due
        for delivery in post.deliveries:
            delivery.next_attempt_at = due
        post.status = PostStatus.SCHEDULED
    if repeat and repeat[0] and when == "schedule":
        kind, weekdays, cron, until, repeat_count = repeat
        local_start = due.astimezone(ZoneInfo(timezone))
        post.recurrence, post.recurrence_rule = kind, recurrence.rule_for(kind, local_start, weekdays, cron)
        post.recurrence_until = to_utc(datetime.combine(until, datetime.max.time().replace(microsecond=0)), timezone) if until else None
        post.recurrence_count = repeat_count
    db.session.commit()
    if post.recurrence:
        recurrence.extend(post)
    return post


def lock_unstarted(post: Post, version: int, **delivery_values: object) -> None:
    """Touch every delivery of `post` only if none has started and the post is still `version`.

    One conditional UPDATE per table: whoever loses a race with the engine or another edit finds
    fewer rows than expected, and nothing is changed."""
    changed = changed_rows(db.session.execute(
        update(Post).where(Post.id == post.id, Post.version == version,
                           Post.status.in_(("draft", "scheduled", "missed")))
        .values(version=Post.version + 1)
    ))
    if changed != 1:
        db.session.rollback()
        raise Refused("This post changed since you opened it (it was edited, or publishing started). "
                        "Reload it to see where it stands; nothing was changed.")
    total = len(post.deliveries)
    if delivery_values:
        touched = changed_rows(db.session.execute(
            update(Delivery).where(Delivery.post_id == post.id, Delivery.attempt_count == 0,
                                   Delivery.status.in_(("pending", "cancelled", "missed")))
            .values(**delivery_values)
        ))
        if touched != total:
            db.session.rollback()
            raise Refused("Publishing has already started for this post, so it can no longer be changed.")


def update_post(post: Post, version: int, message: str, overrides: Mapping[str, str] | None,
                scheduled_local: datetime | None, timezone: str) -> Post:
    if scheduled_local:
        lock_unstarted(post, version, next_attempt_at=to_utc(scheduled_local, timezone))
    else:
        lock_unstarted(post, version, status=Delivery.status)  # locks the rows, changes nothing
    post.message, post.timezone = message, timezone
    post.overrides = {k: v for k, v in (overrides or {}).items() if v.strip()}
    if scheduled_local:
        post.scheduled_at = to_utc(scheduled_local, timezone)
    db.session.commit()
    db.session.refresh(post)
    return post


def schedule(post: Post, version: int, scheduled_local: datetime, timezone: str) -> Post:
    """Move a post to a new time (from the calendar or its page), or schedule a draft."""
    when = to_utc(scheduled_local, timezone)
    if instant_has_passed(when):
        raise Refused(PAST_TIME, "date")
    lock_unstarted(post, version, status="pending", next_attempt_at=when)
    post.scheduled_at, post.timezone, post.status = when, timezone, PostStatus.SCHEDULED
    db.session.commit()
    db.session.expire(post)
    return post


def duplicate(post: Post, author: User) -> Post:
    """A new draft with the same text, accounts and media."""
    connections = [d.connection for d in post.deliveries if d.connection is not None]
    return create_post(workspace_of(post), author, post.message, dict(post.overrides or {}), connections,
                       [m.asset for m in post.media], "draft", timezone=post.timezone)


def workspace_of(post: Post) -> Workspace:
    return db.session.get_one(Workspace, post.workspace_id)


def cancel(post: Post, version: int) -> list[Delivery]:
    """Cancel what has not started; says which deliveries were already under way."""
    changed = changed_rows(db.session.execute(
        update(Post).where(Post.id == post.id, Post.version == version).values(version=Post.version + 1)
    ))
    if changed != 1:
        db.session.rollback()
        raise Refused("This post changed since you opened it. Reload it; nothing was cancelled.")
    db.session.execute(
        update(Delivery).where(Delivery.post_id == post.id, Delivery.status.in_(("pending", "missed")))
        .values(status="cancelled")
    )
    db.session.commit()
    db.session.expire(post)
    started = [d for d in post.deliveries if d.status in ("publishing", "published")]
    if not started:
        post.status = PostStatus.CANCELLED
    else:
        refresh_post_status(post)
    db.session.commit()
    return started


def retry(delivery: Delivery) -> None:
    """Try a failed, unconfirmed or missed delivery again now."""
    # A person asking for a retry after "unconfirmed" has checked the account: on a platform that
    # cannot be asked, that check replaces the look-up.
    keep_lookup = Delivery.needs_lookup if get_platform(delivery.platform).can_look_up(delivery.progress or {}) else False
    changed = changed_rows(db.session.execute(
        update(Delivery).where(Delivery.id == delivery.id, Delivery.status.in_(("failed", "unconfirmed", "missed")))
        .values(status="pending", next_attempt_at=utcnow(), max_attempts=Delivery.attempt_count + 3,
                needs_lookup=keep_lookup)
    ))
    db.session.commit()
    if changed != 1:
        raise Refused("This delivery is not waiting for a retry any more.")
    db.session.expire(delivery)
    refresh_post_status(delivery.post)
    db.session.commit()


def mark_missed() -> int:
    """Deliveries that fell due while the studio was down publish when it starts, unless they are
    older than PUBLISH_MISSED_AFTER_MINUTES: those wait for a person to decide."""
    cutoff = utcnow() - timedelta(minutes=current_app.config["PUBLISH_MISSED_AFTER_MINUTES"])
    stale = [Delivery.status == "pending", Delivery.attempt_count == 0, Delivery.next_attempt_at < cutoff]
    marked = 0
    for delivery_id in db.session.execute(select(Delivery.id).where(*stale)).scalars().all():
        # Conditional, so a delivery the engine claimed in the meantime is left alone.
        marked += changed_rows(db.session.execute(
            update(Delivery).where(Delivery.id == delivery_id, *stale).values(
                status="missed", last_error="This fell due while the studio was not running. Publish it now or cancel it.")
        ))
        refresh_post_status(db.session.get_one(Delivery, delivery_id).post)
    db.session.commit()
    return marked


# ---- reading -----------------------------------------------------------------------------------


def posts_between(workspace: Workspace, start: datetime, end: datetime, platform: str | None = None,
                  connection_id: int | None = None, status: str | None = None) -> Sequence[Post]:
    """Posts in [start, end), with their deliveries loaded, optionally filtered."""
    query = (select(Post).where(Post.workspace_id == workspace.id, Post.scheduled_at >= start, Post.scheduled_at < end)
             .options(selectinload(Post.deliveries)).order_by(Post.scheduled_at))
    if platform or connection_id:
        matching = select(Delivery.post_id).where(Delivery.workspace_id == workspace.id)
        if platform:
            matching = matching.where(Delivery.platform == platform)
        if connection_id:
            matching = matching.where(Delivery.connection_id == connection_id)
        query = query.where(Post.id.in_(matching))
    if status:
        query = query.where(Post.status == status)
    return db.session.execute(query).scalars().all()


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
    return (text(" UNION ALL ".join(arms) + " ORDER BY day_number, scheduled_at, id")
            .columns(Post.id, Post.scheduled_at, Post.status, Post.version, column("excerpt", Text),
                     column("cut", Boolean), column("accounts", Integer), column("day_number", Integer),
                     column("day_posts", Integer)))


def calendar_days(workspace: Workspace, bounds: Sequence[datetime], per_day: int, platform: str | None = None,
                  connection_id: int | None = None, status: str | None = None) -> list[CalendarDay]:
    """Day i is [bounds[i], bounds[i + 1]): for each day with posts, its first `per_day` posts as
    light rows and how many it holds in all. One query, which reads a short range of an index a
    day however many posts the days hold."""
    statement = first_of_each_day(len(bounds) - 1, bool(platform), bool(connection_id), bool(status))
    # Each bound appears four times in the statement: converted for the database here, once each,
    # as the column would convert it (on SQLite, the text it stores), rather than at each place.
    convert = Post.scheduled_at.type.bind_processor(db.session.get_bind().dialect) or (lambda moment: moment)
    values: dict[str, object] = {f"day_{number}": convert(moment) for number, moment in enumerate(bounds)}
    values.update(workspace_id=workspace.id, per_day=per_day)
    values.update({name: value for name, value in (("platform", platform), ("connection_id", connection_id),
                                                   ("status", status)) if value})
    found: dict[int, CalendarDay] = {}
    for *columns, index, total in db.session.execute(statement, values).all():
        day = found.get(index)
        if day is None:
            day = found[index] = CalendarDay(index, [], total)
        day.posts.append(CalendarPost._make(columns))
    return list(found.values())


def calendar_accounts(workspace: Workspace) -> list[CalendarAccount]:
    """The workspace's accounts as the calendar's filters name them."""
    query = (select(PlatformConnection.id, PlatformConnection.platform, PlatformConnection.username)
             .where(PlatformConnection.workspace_id == workspace.id)
             .order_by(PlatformConnection.platform, PlatformConnection.username))
    return [CalendarAccount._make(row) for row in db.session.execute(query)]


def calendar_token(workspace: Workspace, reset: bool = False) -> str:
    if reset or not workspace.calendar_token:
        workspace.calendar_token = secrets.token_urlsafe(32)
        db.session.commit()
    return workspace.calendar_token


def workspace_for_calendar_token(token: str) -> Workspace | None:
    if not token:
        return None
    return db.session.execute(select(Workspace).where(Workspace.calendar_token == token)).scalar_one_or_none()


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


def posts_using(asset: MediaAsset) -> list[Post]:
    """Posts not yet published (drafts, scheduled, publishing, missed) that use the asset: what the
    library asks before it lets a file go."""
    return list(db.session.execute(
        select(Post).join(PostMedia).where(PostMedia.asset_id == asset.id,
                                           Post.status.in_(("draft", "scheduled", "publishing", "missed")))
    ).scalars())


def needing_attention(workspace: Workspace) -> Sequence[Delivery]:
    return db.session.execute(
        select(Delivery).where(Delivery.workspace_id == workspace.id,
                               Delivery.status.in_(("failed", "unconfirmed", "missed")))
        .order_by(Delivery.id.desc())
    ).scalars().all()


class EngineStatus(NamedTuple):
    """What the status page tells one workspace: its own figures, and whether the engine (which
    serves every workspace) shows signs of life, without naming any of its hosts."""

    oldest_due: timedelta | None  # how long this workspace's oldest due delivery has waited
    attention: int  # this workspace's deliveries waiting for a person
    worker_seen_at: datetime | None  # the last heartbeat of any worker
    attempts_today: int  # this workspace's publish attempts in the last 24 hours


def engine_status(workspace: Workspace, now: datetime | None = None) -> EngineStatus:
    now = now or utcnow()
    oldest = db.session.execute(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.workspace_id == workspace.id,
                                                         Delivery.status == "pending", Delivery.next_attempt_at <= now)
    ).scalar_one()
    attempts = db.session.execute(
        select(func.count(PublishAttempt.id)).join(Delivery, PublishAttempt.delivery_id == Delivery.id)
        .where(Delivery.workspace_id == workspace.id, PublishAttempt.started_at > now - timedelta(days=1))
    ).scalar_one()
    return EngineStatus(oldest_due=(now - oldest) if oldest else None, attention=len(needing_attention(workspace)),
                        worker_seen_at=db.session.execute(select(func.max(WorkerHeartbeat.last_seen_at))).scalar_one(),
                        attempts_today=attempts)


def local_time(value: datetime | None, timezone: str) -> datetime | None:
    return value.astimezone(ZoneInfo(timezone)) if value else None


def parse_local(date_text: str | None, time_text: str | None) -> datetime | None:
    try:
        return datetime.strptime(f"{date_text} {time_text}", "%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return None
