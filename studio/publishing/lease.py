"""A delivery's lease, kept alive for as long as the attempt that holds it runs.

A claim leases a delivery to one worker for PUBLISH_LEASE_SECONDS; a worker that dies leaves a lease
that runs out, and another worker recovers the delivery (looking it up first). An attempt can last
far longer than a lease (a video uploaded in many parts to a slow platform), so while it runs a
heartbeat thread renews the lease on a connection of its own. Before every platform call the
attempt checks that the lease still holds long enough for that call; when it does not (the
database could not be reached, or another worker took the delivery over) the attempt stops there,
before any call, and above all before a create call, is made without the lease."""
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Literal, Self

from sqlalchemy import Engine, update

from studio.database import changed_rows, utcnow
from studio.publishing.models import Delivery

log = logging.getLogger("studio")


class LeaseLost(Exception):
    """The delivery is no longer this worker's: another worker recovered it, or it could not be renewed."""


class Released(Exception):
    """The worker is stopping: the attempt hands the delivery back before its next platform call."""


class LeaseKeeper:
    """Keeps `worker`'s lease on one delivery while an attempt runs (use as a context manager)."""

    def __init__(self, engine: Engine, delivery_id: int, worker: str, lease_seconds: float, call_seconds: float,
                 stopping: threading.Event | None = None, now: datetime | None = None) -> None:
        self.engine, self.delivery_id, self.worker = engine, delivery_id, worker
        self.now = now  # a test's stand-in for the clock, as the claim had it
        self.lease_seconds = lease_seconds
        # A call may start only while the lease holds at least this much longer: the call's own
        # time limit, plus a margin for the clocks of different machines.
        self.needed_for_call = min(call_seconds + 5, lease_seconds * 0.75)
        self.stopping = stopping or threading.Event()
        self.lost = False
        self.create_sent = False  # a create call went out: the post may exist whatever happens next
        self.calls = 0
        self._held_until = time.monotonic() + lease_seconds * 0.5  # the claim was just made
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{delivery_id}", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self._done.set()
        self._thread.join(timeout=5)
        return False

    def renew(self, strict: bool = False) -> bool:
        """Extend the lease if it is still ours; returns whether it is. When the database cannot be
        reached it answers from what was last confirmed, unless `strict`."""
        with self._lock:
            if self.lost:
                return False
            asked = time.monotonic()
            try:
                # One statement in autocommit: a renewal is a single round trip, however busy the worker.
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    held = changed_rows(connection.execute(
                        update(Delivery).where(Delivery.id == self.delivery_id, Delivery.lease_owner == self.worker,
                                               Delivery.status == "publishing")
                        .values(lease_expires_at=(self.now or utcnow()) + timedelta(seconds=self.lease_seconds))
                    )) == 1
            except Exception:  # the database is away for now: the lease runs down until it is back
                log.warning("delivery %s: could not renew the lease", self.delivery_id, exc_info=True)
                return not strict and time.monotonic() + self.needed_for_call < self._held_until
            if held:
                self._held_until = asked + self.lease_seconds
            else:
                self.lost = True
            return held

    def _beat(self) -> None:
        interval = max(0.2, self.lease_seconds / 4)
        while not self._done.wait(interval):
            if not self.renew():
                if self.lost:
                    log.warning("delivery %s: the lease was taken over by another worker", self.delivery_id)
                    return

    def before_call(self, creates: bool = False) -> None:
        """Called before each platform request of the attempt (Platform.before_call)."""
        if self.stopping.is_set() and not self.create_sent:
            raise Released("The worker is stopping; the delivery is handed back before its next call.")
        # Before a create call the lease is confirmed in the database, whatever the clock says: the
        # one call that must never go out twice never goes out on a lease it could not confirm.
        if creates and not self.renew(strict=True):
            raise LeaseLost("This worker could not confirm its lease, so it did not send the post.")
        if time.monotonic() + self.needed_for_call > self._held_until and not self.renew():
            self.lost = True
        if self.lost:
            raise LeaseLost("This worker's lease on the delivery ran out, so it stopped before its next call.")
        self.calls += 1
        if creates:
            self.create_sent = True

    def create_refused(self) -> None:
        """The platform answered the create call with a refusal (4xx, 429): nothing was made."""
        self.create_sent = False
