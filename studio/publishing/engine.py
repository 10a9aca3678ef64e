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
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from studio.connections.service import (
    CannotRefresh,
    fresh_access_token,
    mark_expired,
    refresh_connection,
)
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
    """Due now: pending and its time has come (unless it fell due so long ago that a person must
    decide: see mark_missed), or claimed by a worker whose lease ran out (it died)."""
    stale = now - timedelta(minutes=current_app.config["PUBLISH_MISSED_AFTER_MINUTES"])
    return or_(
        and_(Delivery.status == "pending", Delivery.next_attempt_at <= now,
             or_(Delivery.attempt_count > 0, Delivery.next_attempt_at >= stale)),
        and_(Delivery.status == "publishing", Delivery.lease_expires_at < now),
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
        publish_delivery(delivery_id, worker, now)
    beat(worker, len(ids))
    return len(ids)


@dataclass
class Outcome:
    kind: str  # published, recovered, retry, failed, unconfirmed, quota
    result: object = None
    error: Exception | None = None
    message: str = ""
    uncertain: bool = False
    until: object = None


def lease_is_mine(delivery_id, worker, renew=False):
    """True while `worker` still holds the delivery's lease (renewing it if asked). Every write of
    a result goes through this check, so a worker whose lease ran out can never overwrite what the
    worker that recovered the delivery recorded."""
    values = {"lease_expires_at": utcnow() + timedelta(seconds=current_app.config["PUBLISH_LEASE_SECONDS"])} \
        if renew else {"lease_owner": Delivery.lease_owner}
    owned = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.lease_owner == worker,
                               Delivery.status == "publishing").values(**values)
    ).rowcount == 1
    if renew:
        db.session.commit()
    return owned


def publish_delivery(delivery_id, worker, now=None):
    if not lease_is_mine(delivery_id, worker, renew=True):
        return  # someone else holds it now
    started, clock = utcnow(), time.perf_counter()
    delivery = db.session.get(Delivery, delivery_id)
    progress = dict(delivery.progress or {})  # the adapter notes what a later attempt can resume
    try:
        outcome = attempt(delivery, now, progress)
    except Exception as error:  # anything unforeseen still counts as a try and is retried later
        db.session.rollback()
        current_app.logger.exception("delivery %s failed unexpectedly", delivery_id)
        outcome = Outcome("retry", error=RetryableError(f"Unexpected error: {error.__class__.__name__}: {error}"))
    settle(delivery_id, worker, outcome, started, int((time.perf_counter() - clock) * 1000), progress)


def attempt(delivery, now, progress):
    """Talk to the platform; returns what happened without recording it. `progress` is the
    delivery's resumable state, which the adapter may update as it goes."""
    connection = delivery.connection
    platform = get_platform(delivery.platform)
    if connection is None:
        return Outcome("failed", message="The account was disconnected before this could publish.")
    media = [m.asset for m in delivery.post.media]
    text = delivery.post.text_for(connection.id)

    def publish(token):
        try:
            return platform.publish(token, text, media, delivery.client_reference, connection=connection,
                                    options=dict(delivery.options or {}), progress=progress)
        finally:
            remember_pause(connection, platform)

    paused = paused_until(connection)
    if paused is not None:
        return Outcome("quota", message=paused[1], until=paused[0])
    try:
        token = fresh_access_token(connection)
        if delivery.needs_lookup:
            existing = look_up(platform, token, delivery, progress)
            if existing is not None:
                return Outcome("recovered", result=existing)
        wait = charge_quota(platform, delivery, progress, now)
        if wait:
            return Outcome("quota", message=wait["reason"], until=wait["until"])
        try:
            return Outcome("published", result=publish(token))
        except AuthError as refused:
            # Refresh once, then try once more with the new token. Where the platform offers no
            # refresh, the token is simply dead: the account is marked expired with the platform's words.
            try:
                refresh_connection(connection)
            except CannotRefresh:
                mark_expired(connection, str(refused))
                raise refused
            return Outcome("published", result=publish(connection.access_token))
    except UncertainError as error:
        if not platform.can_look_up(progress):
            return Outcome("unconfirmed", uncertain=True, message=f"{error} {platform.name} cannot tell whether the post "
                                                                   "was made: check the account, then retry or cancel.")
        return Outcome("retry", error=error, uncertain=True)
    except RetryableError as error:
        return Outcome("retry", error=error)
    except AuthError as error:
        return Outcome("failed", message=f"{error} Reconnect the account, then retry.", error=error)
    except PlatformError as error:
        return Outcome("failed", message=str(error), error=error)


OUTCOME_LOG = {"published": "published", "recovered": "recovered", "retry": "retryable", "quota": "quota",
               "unconfirmed": "unconfirmed"}


def paused_until(connection):
    """(moment, reason) while the platform asked us to hold this account's posts, else None."""
    held = (connection.details or {}).get("paused_until")
    if not held:
        return None
    moment = datetime.fromisoformat(held["until"])
    return (moment, held["reason"]) if moment > utcnow() else None


def remember_pause(connection, platform):
    """Keep what the platform said about its limits, so the next publish to this account waits."""
    if platform.pause_until is None:
        return
    moment, reason = platform.pause_until
    connection.details = {**(connection.details or {}), "paused_until": {"until": moment.isoformat(), "reason": reason}}
    db.session.commit()


def charge_quota(platform, delivery, progress, now):
    """Reserve the platform's units once per delivery: a resumed upload is the same upload."""
    if progress.get("quota_charged"):
        return None
    wait = quota.reserve(platform, now)
    if wait is None and platform.quota() is not None:
        progress["quota_charged"] = True
        # Saved at once: if this worker dies mid-upload, the next attempt must not pay again.
        db.session.execute(update(Delivery).where(Delivery.id == delivery.id).values(progress=dict(progress)))
        db.session.commit()
    return wait


def settle(delivery_id, worker, outcome, started, duration_ms, progress=None):
    """Record an attempt's outcome, only if the lease is still ours."""
    if not lease_is_mine(delivery_id, worker):
        db.session.rollback()
        current_app.logger.warning("delivery %s: lease lost to another worker; its result is kept", delivery_id)
        return
    delivery = db.session.get(Delivery, delivery_id)
    db.session.refresh(delivery)
    if progress is not None:
        delivery.progress = dict(progress)
    counted = outcome.kind != "quota"
    if counted:
        delivery.attempt_count += 1
    error_text = outcome.message or (str(outcome.error) if outcome.error else None)
    logged = OUTCOME_LOG.get(outcome.kind) or ("auth" if isinstance(outcome.error, AuthError) else "permanent")
    payload = outcome.result.raw if outcome.result is not None else getattr(outcome.error, "payload", None)
    delivery.attempts.append(PublishAttempt(number=delivery.attempt_count + (0 if counted else 1), worker=worker,
                                            outcome=logged, error=error_text if outcome.kind not in ("published", "recovered") else None,
                                            response=payload if isinstance(payload, dict) else {},
                                            started_at=started, duration_ms=duration_ms))
    delivery.lease_owner = delivery.lease_expires_at = None
    needs_person = False
    if outcome.kind in ("published", "recovered"):
        record_published(delivery, outcome.result)
    elif outcome.kind == "quota":
        delivery.status, delivery.next_attempt_at, delivery.last_error = "pending", outcome.until, outcome.message
    elif outcome.kind == "retry":
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
        if delivery.attempt_count >= delivery.max_attempts:
            delivery.status = "unconfirmed" if delivery.needs_lookup else "failed"
            delivery.last_error = f"Gave up after {delivery.attempt_count} attempts: {outcome.error}"
            needs_person = True
        else:
            delivery.status, delivery.last_error = "pending", str(outcome.error)
            delivery.next_attempt_at = utcnow() + timedelta(
                seconds=backoff_seconds(delivery.attempt_count, getattr(outcome.error, "retry_after", None)))
    else:  # failed or unconfirmed
        delivery.status, delivery.last_error = outcome.kind, outcome.message
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
        needs_person = True
    refresh_post_status(delivery.post)
    db.session.commit()
    if needs_person:
        tell_workspace(delivery)


def tell_workspace(delivery):
    """E-mail the workspace's owners and admins when a delivery needs a person."""
    from studio.publishing.notify import delivery_needs_attention

    delivery_needs_attention(delivery)


def look_up(platform, token, delivery, progress):
    if not platform.can_look_up(progress):
        raise UncertainError("An earlier attempt may have published this already.")
    return platform.find_published(token, delivery.client_reference, progress)


def record_published(delivery, result):
    now = utcnow()
    delivery.status, delivery.platform_post_id, delivery.platform_url = "published", result.platform_post_id, result.url
    delivery.published_at, delivery.last_error, delivery.needs_lookup = now, None, False
    db.session.add(PublishedPost(workspace_id=delivery.workspace_id, delivery_id=delivery.id,
                                 connection_id=delivery.connection_id, platform=delivery.platform,
                                 platform_post_id=result.platform_post_id, url=result.url,
                                 caption=delivery.post.text_for(delivery.connection_id), published_at=now))


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
