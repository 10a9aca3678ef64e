"""Repeating posts. Every rule becomes a crontab line read in the post's own time zone (APScheduler's
CronTrigger does the calendar arithmetic), so 09:00 stays 09:00 across daylight-saving changes.
Occurrences are made ahead, up to a horizon, so they show on the calendar and can be edited alone."""
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from studio.accounts.models import Workspace
from studio.database import utcnow
from studio.extensions import db
from studio.publishing.models import Delivery, DeliveryStatus, Post, PostMedia, PostStatus
from studio.refusal import Refused

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def rule_for(kind: str, local_start: datetime, weekdays: Sequence[str] = (), cron: str = "") -> str:
    """The crontab line for a rule, from the first occurrence's wall-clock time."""
    minute, hour = local_start.minute, local_start.hour
    if kind == "daily":
        return f"{minute} {hour} * * *"
    if kind == "weekly":
        days = [day for day in WEEKDAYS if day in weekdays] or [WEEKDAYS[local_start.weekday()]]
        return f"{minute} {hour} * * {','.join(days)}"
    if kind == "monthly":
        return f"{minute} {hour} {local_start.day} * *"
    if kind == "cron":
        check(cron)
        return cron.strip()
    raise ValueError(f"unknown repeat {kind!r}")  # the form offers only the kinds above


def check(line: str) -> None:
    """Refused (beside the cron field) unless `line` is a crontab line APScheduler can read."""
    try:
        CronTrigger.from_crontab(line.strip(), timezone="UTC")
    except (ValueError, TypeError) as error:
        raise Refused(f"Not a valid cron line: {error}", "cron")


def next_times(rule: str, timezone: str, after: datetime, until: datetime | None = None, limit: int = 100) -> list[datetime]:
    trigger = CronTrigger.from_crontab(rule, timezone=ZoneInfo(timezone))
    times: list[datetime] = []
    previous = None
    moment = after
    while len(times) < limit:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None or (until is not None and fire > until):
            break
        times.append(fire.astimezone(ZoneInfo("UTC")))
        previous, moment = fire, fire + timedelta(seconds=1)
    return times


def extend(series: Post, horizon_days: int | None = None) -> int:
    """Make the occurrences of `series` that fall before the horizon; returns how many it made."""
    horizon = utcnow() + timedelta(days=horizon_days or current_app.config["RECURRENCE_HORIZON_DAYS"])
    members = db.session.execute(
        select(func.count(), func.max(Post.scheduled_at)).where(Post.series_id == series.id)
    ).one()
    made_so_far, last = members[0], members[1] or series.scheduled_at
    until = min(filter(None, [series.recurrence_until, horizon]))
    remaining = None
    if series.recurrence_count:
        remaining = series.recurrence_count - 1 - made_so_far  # the first post is the first occurrence
        if remaining <= 0:
            return 0
    assert series.recurrence_rule is not None and last is not None  # a series has its rule and its first time
    times = next_times(series.recurrence_rule, series.timezone, last + timedelta(seconds=1), until,
                       limit=remaining if remaining is not None else 400)
    # New occurrences take the text of the latest one, which "edit all future" keeps current even
    # after the first post has gone out.
    latest = db.session.execute(
        select(Post).where(Post.series_id == series.id).order_by(Post.scheduled_at.desc()).limit(1)
    ).scalar_one_or_none() or series
    for when in times:
        copy = Post(workspace_id=series.workspace_id, author_id=series.author_id, message=latest.message,
                    overrides=dict(series.overrides or {}), timezone=series.timezone, scheduled_at=when,
                    status="scheduled", series_id=series.id, client_id=series.client_id,
                    approval=series.approval, approved_by_id=series.approved_by_id, approved_at=series.approved_at,
                    showcase=series.showcase)
        copy.media = [PostMedia(asset_id=m.asset_id, position=m.position) for m in series.media]
        for delivery in series.deliveries:
            copy.deliveries.append(Delivery(workspace_id=series.workspace_id, connection_id=delivery.connection_id,
                                            platform=delivery.platform, status="pending", next_attempt_at=when,
                                            max_attempts=delivery.max_attempts))
        db.session.add(copy)
    try:
        db.session.commit()
    except IntegrityError:  # another worker extended the series at the same moment
        db.session.rollback()
        return 0
    return len(times)


def extend_all() -> int:
    """The job: keep every active series filled up to the horizon."""
    series = db.session.execute(
        select(Post).where(Post.recurrence.is_not(None), Post.status.notin_(("cancelled", "draft")))
    ).scalars().all()
    return sum(extend(item) for item in series)


def future_unstarted(series: Post) -> Sequence[Post]:
    """The series' posts still to come and not started, the first one included."""
    return db.session.execute(
        select(Post).where(or_(Post.series_id == series.id, Post.id == series.id), Post.status == "scheduled",
                           Post.scheduled_at > utcnow())
        .order_by(Post.scheduled_at)
    ).scalars().all()


def update_future(series: Post, message: str) -> int:
    """Edit every occurrence still to come (those not started); past ones keep what they said."""
    changed = 0
    approvals_on = db.session.get_one(Workspace, series.workspace_id).approval_mode != "none"
    series.edited(approvals_on)
    for post in future_unstarted(series):
        if post.status in ("scheduled", "draft") and all(d.attempt_count == 0 for d in post.deliveries):
            post.message = message
            post.version += 1
            post.edited(approvals_on)
            changed += 1
    db.session.commit()
    return changed


def stop(series: Post) -> None:
    """End a series: occurrences still to come are cancelled; the rule is kept for the record."""
    for post in future_unstarted(series):
        for delivery in post.deliveries:
            if delivery.status == "pending":
                delivery.status = DeliveryStatus.CANCELLED
        post.status = PostStatus.CANCELLED
    series.recurrence_until = utcnow()
    db.session.commit()
