"""Claiming due deliveries. A claim leases each delivery to one worker; it is atomic (PostgreSQL:
FOR UPDATE SKIP LOCKED on the accounts; SQLite: the conditions again in a conditional UPDATE), so
any number of workers may claim at once and none takes what another holds, and it takes at most one
delivery per account, so each platform's per-account limits hold."""
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from studio.connections.models import PlatformConnection
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.publishing.models import CLEARED_FOR_PUBLISHING, Delivery, Post


def lease_name(worker: str) -> str:
    """The owner written on the deliveries of one claim: the worker, and a mark of this claim.
    Threads of one worker, or two containers that share a host name and a PID, then never mistake
    a lease another claim took over for their own."""
    return f"{worker[:70]}#{secrets.token_hex(4)}"  # within the column's 80 characters


def worker_of(owner: str) -> str:
    return owner.split("#", 1)[0]


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Due now: pending and its time has come (unless it fell due so long ago that a person must
    decide: see mark_missed), or claimed by a worker whose lease ran out (it died). Either way its
    post must be cleared by its approvers: whatever its status says, a post that needs approval is
    never claimed."""
    stale = now - timedelta(minutes=current_app.config["PUBLISH_MISSED_AFTER_MINUTES"])
    return and_(
        or_(
            and_(Delivery.status == "pending", Delivery.next_attempt_at <= now,
                 or_(Delivery.attempt_count > 0, Delivery.next_attempt_at >= stale)),
            and_(Delivery.status == "publishing", Delivery.lease_expires_at < now),
        ),
        exists().where(Post.id == Delivery.post_id, Post.approval.in_(CLEARED_FOR_PUBLISHING)),
    )


def none_other_in_flight(now: datetime) -> ColumnElement[bool]:
    """No other delivery to the same account is being published right now. One publish at a time
    per account keeps each platform's per-account limits (X's windows, Instagram's 24-hour cap)
    true however many workers and threads run."""
    other = aliased(Delivery)
    return ~exists().where(other.connection_id == Delivery.connection_id, other.id != Delivery.id,
                           other.status == "publishing", other.lease_expires_at >= now)


def claim(worker: str, limit: int, now: datetime | None = None) -> list[int]:
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
        if changed_rows(result) == 1:
            claimed.append(delivery_id)
    db.session.commit()
    return claimed
