"""Keeping the numbers' history: each fetch recorded as it came (MetricEvent), each post's totals
upserted into its day and ISO week (MetricAggregate), each account's audience once a day
(AccountSnapshot), and when a post's numbers are next worth fetching."""
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from studio.analytics.models import POST_NUMBERS, AccountSnapshot, MetricAggregate, MetricEvent, MetricGain, Period
from studio.connections.models import PlatformConnection
from studio.database import changed_rows, utcnow
from studio.extensions import db, insert_in_dialect
from studio.publishing.models import PublishedPost

GAIN_NUMBERS = ("views", "likes", "comments", "shares", "saves")  # what the dashboard adds up by day

# How often a post's numbers are fetched as it ages: (younger than, then every).
SYNC_STEPS = ((timedelta(days=1), timedelta(hours=1)), (timedelta(days=7), timedelta(hours=6)),
              (timedelta(days=30), timedelta(days=1)), (timedelta(days=90), timedelta(days=7)))


def next_sync(published_at: datetime, now: datetime) -> datetime | None:
    """Hourly on a post's first day, 6-hourly to day 7, daily to day 30, weekly to day 90, then never."""
    age = now - published_at
    for younger_than, every in SYNC_STEPS:
        if age < younger_than:
            return now + every
    return None


def upsert(model: Any, values: Mapping[str, Any], keys: list[str], update: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET each of `update` to the new row's value, in the
    database's own words (SQLite and PostgreSQL spell it alike)."""
    statement = insert_in_dialect(model).values(dict(values))
    db.session.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in update}))


def numbers_kept(platform: str, fetched: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, int]:
    """The whole numbers among `fetched`; one a platform stopped sending, or sent as something else,
    keeps its last value, with a warning, and never empties the rest."""
    kept = {}
    for name, value in fetched.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            current_app.logger.warning("%s sent %s=%r, not a number: skipped", platform, name, value)
            continue
        kept[name] = int(value)
    for name in set(before) - set(kept):
        current_app.logger.warning("%s no longer sends %s: keeping the last value", platform, name)
        kept[name] = before[name]
    return kept


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def record_post_numbers(post: PublishedPost, fetched: Mapping[str, Any], now: datetime | None = None) -> None:
    """A fetch of one post's numbers: the event as it came, the post's totals, and its day's and
    week's aggregates (the same totals, so a second fetch of the same numbers changes nothing)."""
    now = now or utcnow()
    before = dict(post.metrics or {})
    numbers = numbers_kept(post.platform, fetched, before)
    db.session.add(MetricEvent(workspace_id=post.workspace_id, connection_id=post.connection_id, published_post_id=post.id,
                               platform=post.platform, metrics=dict(fetched), recorded_at=now))
    if not took_turn(post, numbers, now):
        return  # another sync of this post got there first: its numbers and gains stand
    totals = {name: numbers.get(name, 0) for name in POST_NUMBERS}
    if post.connection_id is not None:
        add_gains(post, {name: numbers.get(name, 0) - before.get(name, 0) for name in GAIN_NUMBERS}, now.date())
    for period, start in ((Period.DAY, now.date()), (Period.WEEK, week_start(now.date()))):
        upsert(MetricAggregate, {"workspace_id": post.workspace_id, "connection_id": post.connection_id,
                                 "published_post_id": post.id, "platform": post.platform, "period": period.value,
                                 "period_start": start, "updated_at": now, **totals},
               ["published_post_id", "period", "period_start"], [*POST_NUMBERS, "updated_at"])


def took_turn(post: PublishedPost, numbers: dict[str, int], now: datetime) -> bool:
    """Store the post's new totals only if nobody stored others since they were read (compare and
    swap on its last sync time): two syncs of one post at once cannot both add its gains."""
    last = post.last_synced_at
    unchanged = PublishedPost.last_synced_at.is_(None) if last is None else PublishedPost.last_synced_at == last
    db.session.flush()
    swapped = changed_rows(db.session.execute(update(PublishedPost).where(PublishedPost.id == post.id, unchanged)
                                              .values(metrics=numbers, last_synced_at=now)))
    if swapped:
        db.session.expire(post, ["metrics", "last_synced_at"])
    return bool(swapped)


def add_gains(post: PublishedPost, gains: dict[str, int], day: date) -> None:
    """Add what the post gained since its last fetch to its account's day (ON CONFLICT adds to the row)."""
    if not any(gains.values()):
        return
    statement = insert_in_dialect(MetricGain).values(workspace_id=post.workspace_id, connection_id=post.connection_id,
                                                  platform=post.platform, day=day, **gains)
    db.session.execute(statement.on_conflict_do_update(index_elements=["connection_id", "day"], set_={
        name: getattr(MetricGain, name) + statement.excluded[name] for name in GAIN_NUMBERS}))


def schedule_next(post: PublishedPost, now: datetime | None = None) -> None:
    now = now or utcnow()
    post.next_sync_at = next_sync(post.published_at, now)


def record_account_stats(connection: PlatformConnection, stats: Mapping[str, Any], now: datetime | None = None) -> None:
    """Today's snapshot of an account's audience (the day's last fetch stands for the day)."""
    now = now or utcnow()

    def whole(name: str) -> int | None:
        value = stats.get(name)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    rate = stats.get("engagement_rate")
    values = {"workspace_id": connection.workspace_id, "connection_id": connection.id, "day": now.date(),
              "followers": whole("followers") or 0, "following": whole("following"), "posts": whole("posts"),
              "engagement_rate": float(rate) if isinstance(rate, int | float) else None, "reach": whole("reach"),
              "impressions": whole("impressions"), "metrics": dict(stats), "taken_at": now}
    upsert(AccountSnapshot, values, ["connection_id", "day"],
           ["followers", "following", "posts", "engagement_rate", "reach", "impressions", "metrics", "taken_at"])
