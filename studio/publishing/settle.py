"""Recording what an attempt did: the attempt log, the delivery's new state (published, retried
later with backoff, or waiting for a person) and the post's status. Every write goes through the
lease: a worker whose lease ran out only logs its attempt, and the worker that took over decides."""
import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.platforms.base import Published
from studio.platforms.errors import AuthError
from studio.publishing.attempt import Outcome
from studio.publishing.claims import worker_of
from studio.publishing.models import (
    Delivery,
    DeliveryStatus,
    Post,
    PostMedia,
    PublishAttempt,
    PublishedPost,
)
from studio.publishing.notify import delivery_needs_attention
from studio.publishing.status import refresh_post_status

OUTCOME_LOG = {"published": "published", "recovered": "recovered", "retry": "retryable", "quota": "quota",
               "unconfirmed": "unconfirmed", "lost": "lease_lost", "released": "released"}


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential with full jitter, capped; a platform's Retry-After wins when it is longer."""
    base = current_app.config["PUBLISH_BACKOFF_SECONDS"]
    delay = random.uniform(base, min(3600, base * 2 ** attempt))
    return max(delay, retry_after or 0)


def lease_is_mine(delivery_id: int, worker: str, renew: bool = False) -> bool:
    """True while `worker` still holds the delivery's lease (renewing it if asked). Every write of
    a result goes through this check, so a worker whose lease ran out can never overwrite what the
    worker that recovered the delivery recorded."""
    values = {"lease_expires_at": utcnow() + timedelta(seconds=current_app.config["PUBLISH_LEASE_SECONDS"])} \
        if renew else {"lease_owner": Delivery.lease_owner}
    owned = changed_rows(db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.lease_owner == worker,
                               Delivery.status == "publishing").values(**values)
    )) == 1
    if renew:
        db.session.commit()
    return owned


def attempt_log(delivery: Delivery, outcome: Outcome, worker: str, started: datetime, duration_ms: int,
                counted: bool) -> PublishAttempt:
    """The PublishAttempt row for one try: what it did and what the platform answered."""
    error_text = outcome.message or (str(outcome.error) if outcome.error else None)
    logged = OUTCOME_LOG.get(outcome.kind) or ("auth" if isinstance(outcome.error, AuthError) else "permanent")
    payload = outcome.result.raw if outcome.result is not None else getattr(outcome.error, "payload", None)
    return PublishAttempt(delivery_id=delivery.id, number=delivery.attempt_count + (0 if counted else 1),
                          worker=worker_of(worker), outcome=logged,
                          error=error_text if outcome.kind not in ("published", "recovered") else None,
                          response=payload if isinstance(payload, dict) else {}, started_at=started,
                          duration_ms=duration_ms)


def log_without_lease(delivery_id: int, worker: str, outcome: Outcome, started: datetime, duration_ms: int) -> None:
    """An attempt whose lease another worker took over changes nothing about the delivery (that
    worker decides, looking the post up first), but what it did is still written down."""
    delivery = db.session.get_one(Delivery, delivery_id)
    db.session.refresh(delivery)
    seen = outcome.message or (str(outcome.error) if outcome.error else outcome.kind)
    if outcome.kind in ("published", "recovered") and outcome.result is not None:
        seen = f"{outcome.kind} as {outcome.result.platform_post_id}"
    lost = Outcome("lost", result=outcome.result, error=outcome.error,
                   message=f"Lease lost to another worker, which decides from here ({seen}).")
    db.session.add(attempt_log(delivery, lost, worker, started, duration_ms, counted=False))
    db.session.commit()
    current_app.logger.warning("delivery %s: lease lost to another worker after: %s", delivery_id, seen)


def settle(delivery_id: int, worker: str, outcome: Outcome, started: datetime, duration_ms: int,
           progress: dict | None = None) -> None:
    """Record an attempt's outcome, only if the lease is still ours (else only the attempt)."""
    if outcome.kind == "lost" or not lease_is_mine(delivery_id, worker):
        db.session.rollback()
        log_without_lease(delivery_id, worker, outcome, started, duration_ms)
        return
    delivery = db.session.get_one(Delivery, delivery_id)
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
        assert outcome.result is not None  # what was published or found
        record_published(delivery, outcome.result)
    elif outcome.kind == "quota":
        delivery.status, delivery.next_attempt_at, delivery.last_error = DeliveryStatus.PENDING, outcome.until, outcome.message
    elif outcome.kind == "released":
        delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, utcnow()
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
    elif outcome.kind == "retry":
        delivery.needs_lookup = delivery.needs_lookup or outcome.uncertain
        if delivery.attempt_count >= delivery.max_attempts:
            delivery.status = DeliveryStatus.UNCONFIRMED if delivery.needs_lookup else DeliveryStatus.FAILED
            delivery.last_error = f"Gave up after {delivery.attempt_count} attempts: {outcome.error}"
            needs_person = True
        else:
            delivery.status, delivery.last_error = DeliveryStatus.PENDING, str(outcome.error)
            wait_at_least = current_app.config["PUBLISH_LOOKUP_DELAY_SECONDS"] if delivery.needs_lookup else None
            delivery.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(
                delivery.attempt_count, max(getattr(outcome.error, "retry_after", None) or 0, wait_at_least or 0)))
    else:  # failed or unconfirmed
        delivery.status, delivery.last_error = DeliveryStatus(outcome.kind), outcome.message
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


def tell_workspace(delivery: Delivery) -> None:
    """E-mail the workspace's owners and admins when a delivery needs a person."""
    delivery_needs_attention(delivery)


def record_published(delivery: Delivery, result: Published) -> None:
    now = utcnow()
    delivery.status, delivery.platform_post_id, delivery.platform_url = DeliveryStatus.PUBLISHED, result.platform_post_id, result.url
    delivery.published_at, delivery.last_error, delivery.needs_lookup = now, None, False
    video = first_video_of(delivery.post_id)
    if video is not None and delivery.post.showcase:
        # Another delivery of the post may be settling now: the post's row (locked here, as settle
        # locks it below) orders them, so the second sees the first's showcase entry.
        db.session.execute(select(Post.id).where(Post.id == delivery.post_id).with_for_update(key_share=True))
    db.session.add(PublishedPost(workspace_id=delivery.workspace_id, delivery_id=delivery.id,
                                 connection_id=delivery.connection_id, platform=delivery.platform,
                                 platform_post_id=result.platform_post_id, url=result.url,
                                 caption=delivery.post.text_for(delivery.connection_id), published_at=now,
                                 media_id=video.id if video else None,
                                 in_showcase=bool(video and delivery.post.showcase and not shown_already(delivery.post_id)),
                                 showcase_kind=showcase_kind_of(video) if video else None))


def first_video_of(post_id: int) -> MediaAsset | None:
    return db.session.execute(select(MediaAsset).join(PostMedia, PostMedia.asset_id == MediaAsset.id)
                              .where(PostMedia.post_id == post_id, MediaAsset.kind == "video")
                              .order_by(PostMedia.position).limit(1)).scalar_one_or_none()


def shown_already(post_id: int) -> bool:
    """The storefront shows a post's video once: from the first platform it went out on (the team may
    show the others too, from the Showcase tab)."""
    return db.session.scalar(select(PublishedPost.id).join(Delivery, Delivery.id == PublishedPost.delivery_id)
                             .where(Delivery.post_id == post_id, PublishedPost.in_showcase.is_(True)).limit(1)) is not None


SHORT_VIDEO_SECONDS = 180  # the longest a Short, a Reel or most TikToks run


def showcase_kind_of(video: MediaAsset) -> str:
    """How the storefront first files a published video (the team may change it): short when it is
    vertical and brief, long otherwise."""
    brief = (video.duration_seconds or 0) <= SHORT_VIDEO_SECONDS
    return "short" if brief and video.orientation != "horizontal" else "long"
