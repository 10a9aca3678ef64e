"""The publishing engine: claim due deliveries, publish each once, retry what may be retried.

Every path that publishes (a scheduled time arriving, "Post now", a retry) goes through
`run_once`. Claims are atomic (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: a conditional UPDATE),
so any number of workers may run; a claim is a lease, and a worker that dies leaves a lease that
expires. Before publishing again after an expired lease or an uncertain answer, the engine asks the
platform whether the post already exists, and where the platform cannot say, it stops at
"unconfirmed" for a person to decide rather than risk a second post."""
import os
import random
import secrets
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased, joinedload

from studio.connections.models import PlatformConnection
from studio.connections.service import (
    CannotRefresh,
    fresh_access_token,
    mark_expired,
    refresh_connection,
)
from studio.database import utcnow
from studio.extensions import db
from studio.library.service import signed_file_url
from studio.platforms import get_platform
from studio.platforms.errors import (
    AuthError,
    PlatformError,
    RetryableError,
    UncertainError,
)
from studio.publishing import quota
from studio.publishing.lease import LeaseKeeper, LeaseLost, Released
from studio.publishing.models import (
    Delivery,
    Post,
    PublishAttempt,
    PublishedPost,
    WorkerHeartbeat,
)
from studio.publishing.notify import delivery_needs_attention
from studio.publishing.status import refresh_post_status


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_name(worker):
    """The owner written on the deliveries of one claim: the worker, and a mark of this claim.
    Threads of one worker, or two containers that share a host name and a PID, then never mistake
    a lease another claim took over for their own."""
    return f"{worker[:70]}#{secrets.token_hex(4)}"  # within the column's 80 characters


def worker_of(owner):
    return owner.split("#", 1)[0]


def due_condition(now):
    """Due now: pending and its time has come (unless it fell due so long ago that a person must
    decide: see mark_missed), or claimed by a worker whose lease ran out (it died)."""
    stale = now - timedelta(minutes=current_app.config["PUBLISH_MISSED_AFTER_MINUTES"])
    return or_(
        and_(Delivery.status == "pending", Delivery.next_attempt_at <= now,
             or_(Delivery.attempt_count > 0, Delivery.next_attempt_at >= stale)),
        and_(Delivery.status == "publishing", Delivery.lease_expires_at < now),
    )


def none_other_in_flight(now):
    """No other delivery to the same account is being published right now. One publish at a time
    per account keeps each platform's per-account limits (X's windows, Instagram's 24-hour cap)
    true however many workers and threads run."""
    other = aliased(Delivery)
    return ~exists().where(other.connection_id == Delivery.connection_id, other.id != Delivery.id,
                           other.status == "publishing", other.lease_expires_at >= now)


def claim(worker, limit, now=None):
    """Lease up to `limit` due deliveries to `worker`, at most one per account; returns their ids."""
    now = now or utcnow()
    if limit <= 0:
        return []
    lease = now + timedelta(seconds=current_app.config["PUBLISH_LEASE_SECONDS"])
    rows = db.session.execute(
        select(Delivery.id, Delivery.connection_id).where(due_condition(now), none_other_in_flight(now))
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit * 4)
    ).all()
    accounts = {row.connection_id for row in rows if row.connection_id is not None}
    if db.engine.dialect.name == "postgresql" and accounts:
        # Two workers claiming at once must not each take a delivery of the same account: the
        # account rows are locked until this claim commits (others skip them for now).
        accounts = set(db.session.execute(
            select(PlatformConnection.id).where(PlatformConnection.id.in_(accounts)).order_by(PlatformConnection.id)
            .with_for_update(skip_locked=True, key_share=True)).scalars())
    ids, taken = [], set()
    for row in rows:
        if row.connection_id is not None and (row.connection_id in taken or row.connection_id not in accounts):
            continue
        taken.add(row.connection_id)
        ids.append(row.id)
        if len(ids) == limit:
            break
    claimed = []
    for delivery_id in ids:
        # The same conditions again in the UPDATE: on SQLite this is what makes the claim atomic.
        result = db.session.execute(
            update(Delivery).where(Delivery.id == delivery_id, due_condition(now), none_other_in_flight(now))
            .values(needs_lookup=Delivery.needs_lookup | (Delivery.status == "publishing"),
                    status="publishing", lease_owner=worker, lease_expires_at=lease)
            .execution_options(synchronize_session=False)
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


# Set when the worker process is asked to stop (SIGTERM): nothing new is claimed, and attempts hand
# their delivery back before their next platform call unless a create call already went out.
stopping = threading.Event()


def concurrency():
    return max(1, int(current_app.config.get("PUBLISH_CONCURRENCY", 8)))


class Publisher:
    """Publishes up to PUBLISH_CONCURRENCY deliveries at once, each in a thread with its own app
    context and database session. It claims only as many as it has free threads, so nothing it
    holds waits in a queue while its lease runs."""

    def __init__(self, worker, now=None):
        self.app = current_app._get_current_object()
        self.worker, self.now = worker, now
        self.size = concurrency()
        self.pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="publish")
        self.running = set()

    def start_what_is_due(self, limit=None):
        if stopping.is_set():
            return 0
        free = min(self.size - len(self.running), limit if limit is not None else self.size)
        owner = lease_name(self.worker)
        ids = claim(owner, free, self.now)
        for delivery_id in ids:
            self.running.add(self.pool.submit(self.publish, delivery_id, owner))
        return len(ids)

    def publish(self, delivery_id, owner):
        with self.app.app_context():
            publish_delivery(delivery_id, owner, self.now, just_claimed=True)

    def wait_for_one(self, timeout):
        done, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            self.running.discard(future)
            if future.exception() is not None:
                current_app.logger.error("a publish thread failed", exc_info=future.exception())

    def close(self):
        while self.running:
            self.wait_for_one(timeout=None)
        self.pool.shutdown()


def run_once(worker=None, limit=None, now=None):
    """Claim one batch and publish it (at once, up to PUBLISH_CONCURRENCY); returns how many
    deliveries it handled. `now` lets a test stand in for the clock."""
    worker = worker or worker_name()
    if concurrency() == 1:
        owner = lease_name(worker)
        ids = [] if stopping.is_set() else claim(owner, limit or 20, now)
        for delivery_id in ids:
            publish_delivery(delivery_id, owner, now)
        handled = len(ids)
    else:
        publisher = Publisher(worker, now)
        try:
            handled = publisher.start_what_is_due(limit)
        finally:
            publisher.close()
    beat(worker, handled)
    return handled


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


def publish_delivery(delivery_id, worker, now=None, just_claimed=False):
    """One attempt at one claimed delivery, recorded. A delivery claimed a while ago (a batch
    published one by one) is checked first: its lease may have run out and gone to another worker."""
    config = current_app.config
    keeper = LeaseKeeper(db.engine, delivery_id, worker, config["PUBLISH_LEASE_SECONDS"],
                         config["PUBLISH_TIMEOUT_SECONDS"], stopping, now)
    if not just_claimed and not keeper.renew():
        return  # someone else holds it now
    started, clock = utcnow(), time.perf_counter()
    delivery = db.session.get(Delivery, delivery_id, options=[  # what an attempt reads, in one query
        joinedload(Delivery.connection), joinedload(Delivery.post).selectinload(Post.media)])
    progress = dict(delivery.progress or {})  # the adapter notes what a later attempt can resume
    with keeper:  # the lease is renewed in the background until the outcome is recorded
        try:
            outcome = attempt(delivery, now, progress, keeper)
        except LeaseLost as error:
            db.session.rollback()
            outcome = Outcome("lost", message=str(error))
        except Released as error:
            db.session.rollback()
            outcome = Outcome("released", message=str(error))
        except Exception as error:  # anything unforeseen still counts as a try and is retried later
            db.session.rollback()
            current_app.logger.exception("delivery %s failed unexpectedly", delivery_id)
            outcome = Outcome("retry", error=RetryableError(f"Unexpected error: {error.__class__.__name__}: {error}"),
                              uncertain=keeper.create_sent)
        if keeper.create_sent and outcome.kind in ("lost", "released"):
            outcome.uncertain = True  # the create call went out: the post may exist
        duration_ms = int((time.perf_counter() - clock) * 1000)
        for wait_seconds in (0.5, 2, 5, None):  # the lease is still kept alive meanwhile
            try:
                settle(delivery_id, worker, outcome, started, duration_ms, progress)
                break
            except OperationalError:  # the database was busy or away: the result must not be dropped
                db.session.rollback()
                if wait_seconds is None:
                    raise
                current_app.logger.warning("delivery %s: recording the outcome failed; trying again", delivery_id,
                                           exc_info=True)
                time.sleep(wait_seconds)


def attempt(delivery, now, progress, keeper=None):
    """Talk to the platform; returns what happened without recording it. `progress` is the
    delivery's resumable state, which the adapter may update as it goes; `keeper` holds the lease
    and is asked before every platform call."""
    connection = delivery.connection
    platform = get_platform(delivery.platform)
    if keeper is not None:
        platform.before_call, platform.create_refused = keeper.before_call, keeper.create_refused
    if connection is None:
        return Outcome("failed", message="The account was disconnected before this could publish.")
    media = [m.asset for m in delivery.post.media]
    text = delivery.post.text_for(connection.id)

    def publish(token):
        try:
            return platform.publish(token, text, media, delivery.client_reference, connection=connection,
                                    options=dict(delivery.options or {}), progress=progress, media_url=signed_file_url)
        except (RetryableError, AuthError) as error:
            if keeper is not None and keeper.create_sent and not isinstance(error, UncertainError):
                # The create call went out and was not refused: whatever failed after it (a status
                # poll, a permalink, a token) says nothing about whether the post exists.
                raise UncertainError(f"{error} This came after the post was sent.", error.status,
                                     error.payload) from error
            raise
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
               "unconfirmed": "unconfirmed", "lost": "lease_lost", "released": "released"}


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


def attempt_log(delivery, outcome, worker, started, duration_ms, counted):
    """The PublishAttempt row for one try: what it did and what the platform answered."""
    error_text = outcome.message or (str(outcome.error) if outcome.error else None)
    logged = OUTCOME_LOG.get(outcome.kind) or ("auth" if isinstance(outcome.error, AuthError) else "permanent")
    payload = outcome.result.raw if outcome.result is not None else getattr(outcome.error, "payload", None)
    return PublishAttempt(delivery_id=delivery.id, number=delivery.attempt_count + (0 if counted else 1),
                          worker=worker_of(worker), outcome=logged,
                          error=error_text if outcome.kind not in ("published", "recovered") else None,
                          response=payload if isinstance(payload, dict) else {}, started_at=started,
                          duration_ms=duration_ms)


def log_without_lease(delivery_id, worker, outcome, started, duration_ms):
    """An attempt whose lease another worker took over changes nothing about the delivery (that
    worker decides, looking the post up first), but what it did is still written down."""
    delivery = db.session.get(Delivery, delivery_id)
    db.session.refresh(delivery)
    seen = outcome.message or (str(outcome.error) if outcome.error else outcome.kind)
    if outcome.kind in ("published", "recovered") and outcome.result is not None:
        seen = f"{outcome.kind} as {outcome.result.platform_post_id}"
    lost = Outcome("lost", result=outcome.result, error=outcome.error,
                   message=f"Lease lost to another worker, which decides from here ({seen}).")
    db.session.add(attempt_log(delivery, lost, worker, started, duration_ms, counted=False))
    db.session.commit()
    current_app.logger.warning("delivery %s: lease lost to another worker after: %s", delivery_id, seen)


def settle(delivery_id, worker, outcome, started, duration_ms, progress=None):
    """Record an attempt's outcome, only if the lease is still ours (else only the attempt)."""
    if outcome.kind == "lost" or not lease_is_mine(delivery_id, worker):
        db.session.rollback()
        log_without_lease(delivery_id, worker, outcome, started, duration_ms)
        return
    delivery = db.session.get(Delivery, delivery_id)
    db.session.refresh(delivery)
    if progress is not None:
        delivery.progress = dict(progress)
    counted = outcome.kind not in ("quota", "released")
    if counted:
        delivery.attempt_count += 1
    db.session.add(attempt_log(delivery, outcome, worker, started, duration_ms, counted))  # no need to load the others
    delivery.lease_owner = delivery.lease_expires_at = None
    needs_person = False
    if outcome.kind in ("published", "recovered"):
        record_published(delivery, outcome.result)
    elif outcome.kind == "quota":
        delivery.status, delivery.next_attempt_at, delivery.last_error = "pending", outcome.until, outcome.message
    elif outcome.kind == "released":
        delivery.status, delivery.next_attempt_at = "pending", utcnow()
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
    elif outcome.kind == "retry":
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
        if delivery.attempt_count >= delivery.max_attempts:
            delivery.status = "unconfirmed" if delivery.needs_lookup else "failed"
            delivery.last_error = f"Gave up after {delivery.attempt_count} attempts: {outcome.error}"
            needs_person = True
        else:
            delivery.status, delivery.last_error = "pending", str(outcome.error)
            wait_at_least = current_app.config["PUBLISH_LOOKUP_DELAY_SECONDS"] if delivery.needs_lookup else None
            delivery.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(
                delivery.attempt_count, max(getattr(outcome.error, "retry_after", None) or 0, wait_at_least or 0)))
    else:  # failed or unconfirmed
        delivery.status, delivery.last_error = outcome.kind, outcome.message
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
        needs_person = True
    # Two deliveries of one post may settle at the same moment in two threads or workers: the post's
    # row is locked before its status is worked out from its deliveries, so the second to settle
    # sees the first's result (on SQLite the write lock already orders them).
    # (FOR NO KEY UPDATE: the rows written with the outcome hold key-share locks on the post.)
    db.session.execute(select(Post.id).where(Post.id == delivery.post_id).with_for_update(key_share=True))
    db.session.execute(select(Delivery).where(Delivery.post_id == delivery.post_id)
                       .execution_options(populate_existing=True)).scalars().all()
    refresh_post_status(delivery.post)
    db.session.commit()
    if needs_person:
        tell_workspace(delivery)


def tell_workspace(delivery):
    """E-mail the workspace's owners and admins when a delivery needs a person."""
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


def run_until_idle(worker=None, limit=None, max_seconds=None, now=None):
    """Publish everything due now, keeping PUBLISH_CONCURRENCY deliveries in flight (for the
    scheduler's job, `flask studio worker --until-idle` and the benchmarks). Stops claiming after
    `max_seconds` or when the worker is asked to stop, and returns once what it holds is done."""
    worker = worker or worker_name()
    deadline = time.monotonic() + max_seconds if max_seconds else None
    if concurrency() == 1:
        total = 0
        while deadline is None or time.monotonic() < deadline:
            handled = run_once(worker, limit, now)
            total += handled
            if not handled:
                break
        return total
    publisher, total, last_beat = Publisher(worker, now), 0, time.monotonic()
    try:
        while deadline is None or time.monotonic() < deadline:
            total += publisher.start_what_is_due()
            if not publisher.running:
                break
            publisher.wait_for_one(timeout=1.0)  # a free thread, or a second gone: look for more
            if time.monotonic() - last_beat > 5:  # the status page's heartbeat, not once per delivery
                beat(worker, 0)
                last_beat = time.monotonic()
    finally:
        publisher.close()
    beat(worker, total)
    return total
