"""The rules of posts: compose, preflight, schedule, edit, cancel, retry, and missed posts.

Edits and cancellations race the engine safely: each is a conditional UPDATE that only touches
deliveries nobody has started, so the loser of a race is told plainly instead of causing a double
post or losing an edit."""
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    func,
    select,
    update,
)

from studio.accounts.models import User, Workspace
from studio.billing import service as billing
from studio.billing.service import Counted
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
    NEEDS_APPROVAL,
    NOW_NEEDS_APPROVAL,
    Approval,
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
                options: Mapping[str, dict] | None = None, showcase: bool = False) -> Post:
    """A draft, or a post scheduled for `scheduled_local` (wall clock in `timezone`), or one due now.
    `repeat` (kind, weekdays, cron line, until date, count) makes it the first of a series;
    `options` holds each account's platform choices, by connection id. In a workspace that approves
    its posts nothing is scheduled here: see `awaiting`."""
    approval = Approval.NOT_REQUIRED if workspace.approval_mode == "none" else Approval.NOT_SUBMITTED
    if approval != Approval.NOT_REQUIRED and when == "now":
        raise Refused(NOW_NEEDS_APPROVAL, "when")
    # Where posts are approved, "schedule" saves a draft that keeps its time (and its repeat rule)
    # and is scheduled when approved (studio.content.approvals.finish).
    awaiting = approval != Approval.NOT_REQUIRED and when == "schedule"
    if workspace.approval_mode == "client" and len({c.client_id for c in connections if c.client_id}) > 1:
        raise Refused("A post waits for one client's approval: choose the accounts of one client (with the team's "
                      "own, if you like), and make a post of its own for each other client.", "connections")
    if when != "draft" and not awaiting:  # counted with the post, in its transaction
        billing.take(workspace, Counted.SCHEDULED_POSTS, commit=False)
    post = Post(workspace_id=workspace.id, author_id=author.id, message=message, timezone=timezone,
                overrides={k: v for k, v in (overrides or {}).items() if v.strip()}, status="draft",
                approval=approval, client_id=next((c.client_id for c in connections if c.client_id), None),
                showcase=showcase)
    post.media = [PostMedia(asset_id=asset.id, position=index) for index, asset in enumerate(assets)]
    db.session.add(post)
    db.session.flush()
    for connection in connections:
        post.deliveries.append(Delivery(workspace_id=workspace.id, connection_id=connection.id,
                                        platform=connection.platform, status="pending",
                                        options=(options or {}).get(str(connection.id), {}),
                                        max_attempts=current_app.config["PUBLISH_MAX_ATTEMPTS"]))
    due = to_utc(scheduled_local, timezone) if scheduled_local else None
    if when == "draft" or awaiting:
        # A draft's deliveries have no due time, so the engine never picks them up.
        post.scheduled_at = due
    else:
        if when == "now":
            due = utcnow()
        assert due is not None, "a scheduled post has its time"
        post.scheduled_at = due
        for delivery in post.deliveries:
            delivery.next_attempt_at = due
        post.status = PostStatus.SCHEDULED
    if repeat and repeat[0] and when == "schedule" and due is not None:
        kind, weekdays, cron, until, repeat_count = repeat
        local_start = due.astimezone(ZoneInfo(timezone))
        post.recurrence, post.recurrence_rule = kind, recurrence.rule_for(kind, local_start, weekdays, cron)
        post.recurrence_until = to_utc(datetime.combine(until, datetime.max.time().replace(microsecond=0)), timezone) if until else None
        post.recurrence_count = repeat_count
    db.session.commit()
    if post.recurrence and post.status == PostStatus.SCHEDULED:
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
    if message != post.message or (overrides or {}) != (post.overrides or {}):
        post.edited(workspace_of(post).approval_mode != "none")
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
    if not post.cleared_for_publishing:
        if post.status != PostStatus.DRAFT:
            raise Refused(NEEDS_APPROVAL, "date")
        # A draft waiting for approval keeps the time it will be scheduled for once approved.
        lock_unstarted(post, version)
        post.scheduled_at, post.timezone = when, timezone
        db.session.commit()
        db.session.expire(post)
        return post
    if post.status == PostStatus.DRAFT:  # a draft scheduled counts; a scheduled post moved does not
        billing.take(workspace_of(post), Counted.SCHEDULED_POSTS, commit=False)
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
    was_scheduled = post.status == PostStatus.SCHEDULED
    db.session.expire(post)
    started = [d for d in post.deliveries if d.status in ("publishing", "published")]
    if not started:
        if was_scheduled and post.series_id is None:  # it never went out: what it counted is given back
            billing.give_back(workspace_of(post), Counted.SCHEDULED_POSTS)
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


def posts_using(asset: MediaAsset) -> list[Post]:
    """Posts not yet published (drafts, scheduled, publishing, missed) that use the asset: what the
    library asks before it lets a file go."""
    return list(db.session.execute(
        select(Post).join(PostMedia).where(PostMedia.asset_id == asset.id,
                                           Post.status.in_(("draft", "scheduled", "publishing", "missed")))
    ).scalars())


def next_posts(workspace: Workspace, limit: int = 5) -> Sequence[Post]:
    """The workspace's next scheduled posts, soonest first."""
    return db.session.execute(select(Post).where(Post.workspace_id == workspace.id, Post.status == "scheduled",
                                                 Post.scheduled_at >= utcnow())
                              .order_by(Post.scheduled_at).limit(limit)).scalars().all()


def attention_count(workspace: Workspace) -> int:
    return db.session.execute(select(func.count()).select_from(Delivery).where(
        Delivery.workspace_id == workspace.id, Delivery.status.in_(("failed", "unconfirmed", "missed")))).scalar_one()


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
