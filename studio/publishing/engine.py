"""The publishing engine: claim due deliveries, publish each once, retry what may be retried.

Every path that publishes (a scheduled time arriving, "Post now", a retry) goes through
`run_once`. Claims are atomic (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: a conditional UPDATE),
so any number of workers may run; a claim is a lease, and a worker that dies leaves a lease that
expires. Before publishing again after an expired lease or an uncertain answer, the engine asks the
platform whether the post already exists, and where the platform cannot say, it stops at
"unconfirmed" for a person to decide rather than risk a second post."""
import os
import random
import socket
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from studio.connections.service import fresh_access_token, refresh_connection
from studio.database import utcnow
from studio.extensions import db
from studio.platforms import get_platform
from studio.platforms.errors import (
    AuthError,
    PlatformError,
    RetryableError,
    UncertainError,
)
from studio.publishing import quota
from studio.publishing.models import (
    Delivery,
    PublishAttempt,
    PublishedPost,
    WorkerHeartbeat,
)
from studio.publishing.status import refresh_post_status


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def due_condition(now):
    return or_(
        and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
        and_(Delivery.status == "publishing", Delivery.lease_expires_at < now),  # its worker died
    )


def claim(worker, limit, now=None):
    """Lease up to `limit` due deliveries to `worker`; returns their ids."""
    now = now or utcnow()
    lease = now + timedelta(seconds=current_app.config["PUBLISH_LEASE_SECONDS"])
    candidates = select(Delivery.id).where(due_condition(now)).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = db.session.execute(candidates).scalars().all()
    claimed = []
    for delivery_id in ids:
        # The same condition again in the UPDATE: on SQLite this is what makes the claim atomic.
        result = db.session.execute(
            update(Delivery).where(Delivery.id == delivery_id, due_condition(now))
            .values(needs_lookup=Delivery.needs_lookup | (Delivery.status == "publishing"),
                    status="publishing", lease_owner=worker, lease_expires_at=lease)
        )
        if result.rowcount == 1:
            claimed.append(delivery_id)
    db.session.commit()
    return claimed


def backoff_seconds(attempt, retry_after=None):
    """Exponential with full jitter, capped; a platform's Retry-After wins when it is longer."""
    base = current_app.config["PUBLISH_BACKOFF_SECONDS"]
    delay = random.uniform(base, min(3600, base * 2 ** attempt))
    return max(delay, retry_after or 0)


def run_once(worker=None, limit=20, now=None):
    """Claim and publish one batch; returns how many deliveries it handled. `now` lets a test
    stand in for the clock."""
    worker = worker or worker_name()
    ids = claim(worker, limit, now)
    for delivery_id in ids:
        publish_delivery(db.session.get(Delivery, delivery_id), worker, now)
    beat(worker, len(ids))
    return len(ids)


def publish_delivery(delivery, worker, now=None):
    started, clock = utcnow(), time.perf_counter()
    number = delivery.attempt_count + 1
    connection = delivery.connection
    platform = get_platform(delivery.platform)

    def log(outcome, error=None, response=None):
        delivery.attempts.append(PublishAttempt(number=number, worker=worker, outcome=outcome, error=error,
                                                response=response or {}, started_at=started,
                                                duration_ms=int((time.perf_counter() - clock) * 1000)))

    if delivery.lease_owner != worker:
        return  # someone else holds it now
    if connection is None:
        return finish(delivery, "failed", "The account was disconnected before this could publish.", log, "permanent")
    delivery.attempt_count = number
    try:
        token = fresh_access_token(connection)
        if delivery.needs_lookup:
            existing = look_up(platform, token, delivery)
            if existing is not None:
                log("recovered", response=existing.raw)
                return record_published(delivery, existing)
        wait = quota.reserve(platform, now)
        if wait:
            log("quota", wait["reason"])
            return wait_for_quota(delivery, wait)
        try:
            result = platform.publish(token, delivery.post.text_for(connection.id), [m.asset for m in delivery.post.media],
                                      delivery.client_reference)
        except AuthError:
            # Refresh once, then try once more with the new token.
            refresh_connection(connection)
            result = platform.publish(connection.access_token, delivery.post.text_for(connection.id),
                                      [m.asset for m in delivery.post.media], delivery.client_reference)
    except UncertainError as error:
        delivery.needs_lookup = True
        if not platform.supports_lookup:
            return finish(delivery, "unconfirmed", f"{error} {platform.name} cannot tell whether the post was made: "
                                                   "check the account, then retry or cancel.", log, "unconfirmed")
        log("retryable", str(error), error.payload if isinstance(error.payload, dict) else {})
        return retry_later(delivery, error)
    except RetryableError as error:
        log("retryable", str(error), error.payload if isinstance(error.payload, dict) else {})
        return retry_later(delivery, error)
    except AuthError as error:
        return finish(delivery, "failed", f"{error} Reconnect the account, then retry.", log, "auth")
    except PlatformError as error:
        return finish(delivery, "failed", str(error), log, "permanent")
    log("published", response=result.raw)
    record_published(delivery, result)


def wait_for_quota(delivery, wait):
    """Over quota: wait for the reset with the reason shown; this try does not count."""
    delivery.attempt_count -= 1
    delivery.status, delivery.next_attempt_at, delivery.last_error = "pending", wait["until"], wait["reason"]
    delivery.lease_owner = delivery.lease_expires_at = None
    refresh_post_status(delivery.post)
    db.session.commit()


def look_up(platform, token, delivery):
    if not platform.supports_lookup:
        raise UncertainError("An earlier attempt may have published this already.")
    return platform.find_published(token, delivery.client_reference)


def record_published(delivery, result):
    now = utcnow()
    delivery.status, delivery.platform_post_id, delivery.platform_url = "published", result.platform_post_id, result.url
    delivery.published_at, delivery.last_error, delivery.needs_lookup = now, None, False
    delivery.lease_owner = delivery.lease_expires_at = None
    db.session.add(PublishedPost(workspace_id=delivery.workspace_id, delivery_id=delivery.id,
                                 connection_id=delivery.connection_id, platform=delivery.platform,
                                 platform_post_id=result.platform_post_id, url=result.url,
                                 caption=delivery.post.text_for(delivery.connection_id), published_at=now))
    refresh_post_status(delivery.post)
    db.session.commit()


def retry_later(delivery, error):
    gave_up = delivery.attempt_count >= delivery.max_attempts
    if gave_up:
        delivery.status = "unconfirmed" if delivery.needs_lookup else "failed"
        delivery.last_error = f"Gave up after {delivery.attempt_count} attempts: {error}"
    else:
        delivery.status = "pending"
        delivery.last_error = str(error)
        delivery.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(delivery.attempt_count,
                                                                                getattr(error, "retry_after", None)))
    delivery.lease_owner = delivery.lease_expires_at = None
    refresh_post_status(delivery.post)
    db.session.commit()
    if gave_up:
        tell_workspace(delivery)


def finish(delivery, status, message, log, outcome):
    log(outcome, message)
    delivery.status, delivery.last_error = status, message
    delivery.lease_owner = delivery.lease_expires_at = None
    refresh_post_status(delivery.post)
    db.session.commit()
    tell_workspace(delivery)


def tell_workspace(delivery):
    """E-mail the workspace's owners and admins when a delivery needs a person."""
    from studio.publishing.notify import delivery_needs_attention

    delivery_needs_attention(delivery)


def beat(worker, handled):
    row = db.session.execute(select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)).scalar_one_or_none()
    if row is None:
        row = WorkerHeartbeat(worker=worker, published=0)
        db.session.add(row)
    row.last_seen_at = utcnow()
    row.published += handled
    db.session.commit()


def run_until_idle(worker=None, limit=20, max_seconds=None, now=None):
    """Publish everything due now (for `flask studio worker --until-idle` and the benchmark)."""
    deadline = time.monotonic() + max_seconds if max_seconds else None
    total = 0
    while deadline is None or time.monotonic() < deadline:
        handled = run_once(worker, limit, now)
        total += handled
        if not handled:
            break
    return total
