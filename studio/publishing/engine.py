"""The publishing engine: claim due deliveries, publish each once, retry what may be retried.

Every path that publishes (a scheduled time arriving, "Post now", a retry) goes through
`run_once` or `run_until_idle`. Claims are atomic (see `claims`), so any number of workers may run;
a claim is a lease, and a worker that dies leaves a lease that expires. Before publishing again
after an expired lease or an uncertain answer, the engine asks the platform whether the post already
exists, and where the platform cannot say, it stops at "unconfirmed" for a person to decide rather
than risk a second post (see `attempt`); what an attempt did is recorded under the lease (see `settle`)."""
import os
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from studio.database import utcnow
from studio.extensions import db
from studio.platforms.errors import RetryableError
from studio.publishing.attempt import Outcome, attempt
from studio.publishing.claims import claim, lease_name
from studio.publishing.lease import LeaseKeeper, LeaseLost, Released
from studio.publishing.models import Delivery, Post, WorkerHeartbeat
from studio.publishing.settle import settle


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# Set when the worker process is asked to stop (SIGTERM): nothing new is claimed, and attempts hand
# their delivery back before their next platform call unless a create call already went out.
stopping = threading.Event()


def concurrency() -> int:
    return max(1, int(current_app.config.get("PUBLISH_CONCURRENCY", 8)))


class Publisher:
    """Publishes up to PUBLISH_CONCURRENCY deliveries at once, each in a thread with its own app
    context and database session. It claims only as many as it has free threads, so nothing it
    holds waits in a queue while its lease runs."""

    def __init__(self, worker: str, now: datetime | None = None) -> None:
        self.app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.worker, self.now = worker, now
        self.size = concurrency()
        self.pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="publish")
        self.running: set[Future] = set()

    def start_what_is_due(self, limit: int | None = None) -> int:
        if stopping.is_set():
            return 0
        free = min(self.size - len(self.running), limit if limit is not None else self.size)
        owner = lease_name(self.worker)
        ids = claim(owner, free, self.now)
        for delivery_id in ids:
            self.running.add(self.pool.submit(self.publish, delivery_id, owner))
        return len(ids)

    def publish(self, delivery_id: int, owner: str) -> None:
        with self.app.app_context():
            publish_delivery(delivery_id, owner, self.now, just_claimed=True)

    def wait_for_one(self, timeout: float | None) -> None:
        done, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            self.running.discard(future)
            if future.exception() is not None:
                current_app.logger.error("a publish thread failed", exc_info=future.exception())

    def close(self) -> None:
        while self.running:
            self.wait_for_one(timeout=None)
        self.pool.shutdown()


def run_once(worker: str | None = None, limit: int | None = None, now: datetime | None = None) -> int:
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


def publish_delivery(delivery_id: int, worker: str, now: datetime | None = None, just_claimed: bool = False) -> None:
    """One attempt at one claimed delivery, recorded. A delivery claimed a while ago (a batch
    published one by one) is checked first: its lease may have run out and gone to another worker."""
    config = current_app.config
    keeper = LeaseKeeper(db.engine, delivery_id, worker, config["PUBLISH_LEASE_SECONDS"],
                         config["PUBLISH_TIMEOUT_SECONDS"], stopping, now)
    if not just_claimed and not keeper.renew():
        return  # someone else holds it now
    started, clock = utcnow(), time.perf_counter()
    delivery = db.session.get_one(Delivery, delivery_id, options=[  # what an attempt reads, in one query
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


def beat(worker: str, handled: int) -> None:
    row = db.session.execute(select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)).scalar_one_or_none()
    if row is None:
        row = WorkerHeartbeat(worker=worker, published=0)
        db.session.add(row)
    row.last_seen_at = utcnow()
    row.published += handled
    db.session.commit()


def run_until_idle(worker: str | None = None, limit: int | None = None, max_seconds: float | None = None,
                   now: datetime | None = None) -> int:
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
        beat(worker, total)  # /readyz asks whether some worker is alive
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
