"""Posts and their deliveries: one Post to many connections, one Delivery per connection, an
attempt log, and what is live on each platform."""
import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, utcnow, workspace_fk
from studio.extensions import Model
from studio.platforms import PLATFORM_CLASSES, get_platform

if TYPE_CHECKING:
    from studio.accounts.models import User
    from studio.connections.models import PlatformConnection
    from studio.library.models import MediaAsset


class PostStatus(StrEnum):
    """Set by hand while a draft or scheduled; from then on derived from the deliveries (status.py)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIALLY_FAILED = "partially_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    MISSED = "missed"  # fell due while the studio was down for too long: waits for a person


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # the platform cannot say whether the post was made
    CANCELLED = "cancelled"
    MISSED = "missed"


# What a delivery does not leave on its own (a person may still try a failed one again).
FINAL_DELIVERY_STATUSES = frozenset(DeliveryStatus) - {DeliveryStatus.PENDING, DeliveryStatus.PUBLISHING}


class Approval(StrEnum):
    """Where a post stands with its approvers (the workspace's approval mode says who they are)."""

    NOT_REQUIRED = "not_required"  # the workspace approves nothing
    NOT_SUBMITTED = "not_submitted"
    PENDING_TEAM = "pending_team"
    PENDING_CLIENT = "pending_client"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


# What lets a post be scheduled and lets the engine claim its deliveries.
CLEARED_FOR_PUBLISHING = (Approval.NOT_REQUIRED, Approval.APPROVED)


def approval_after_edit(state: Approval, approvals_on: bool = True) -> Approval:
    """An edit to a post that was approved, or waiting for the client, or sent back with changes,
    sends it back to the team for approval: nobody signed off on the new words. So does an edit
    to a post scheduled before the workspace turned approvals on."""
    if state in (Approval.APPROVED, Approval.PENDING_CLIENT, Approval.CHANGES_REQUESTED):
        return Approval.PENDING_TEAM
    if state == Approval.NOT_REQUIRED and approvals_on:
        return Approval.PENDING_TEAM
    return state


NEEDS_APPROVAL = ("This post needs approval before it can be scheduled: submit it for approval, and it is "
                  "scheduled for its time once approved.")
NOW_NEEDS_APPROVAL = ("This workspace approves posts before they go out, so nothing goes out at once: choose a "
                      "time and submit it for approval.")


class Repeat(StrEnum):
    """How a repeating post's rule was made (the rule itself is always a crontab line)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CRON = "cron"


class AttemptOutcome(StrEnum):
    PUBLISHED = "published"
    RECOVERED = "recovered"  # a look-up found the post an earlier attempt made
    RETRYABLE = "retryable"
    QUOTA = "quota"  # waits for the platform's quota (or a pause it asked for)
    UNCONFIRMED = "unconfirmed"
    LEASE_LOST = "lease_lost"  # another worker took the delivery over
    RELEASED = "released"  # handed back when the worker stopped
    AUTH = "auth"  # the platform refused the connection's tokens
    PERMANENT = "permanent"  # refused for good


class Post(Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_workspace_id_scheduled_at", "workspace_id", "scheduled_at"),
        # One occurrence per moment in a series, even when two workers extend it at once.
        UniqueConstraint("series_id", "scheduled_at"),
        one_of("status", PostStatus),
        one_of("recurrence", Repeat),
        one_of("approval", Approval),
        Index("ix_posts_workspace_id_approval", "workspace_id", "approval"),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    overrides: Mapped[dict] = mapped_column(default=dict)  # connection id (str) -> text
    scheduled_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[PostStatus] = mapped_column(enum_type(PostStatus, 20), default=PostStatus.DRAFT)
    # Bumped by every edit: an edit based on an older version is refused instead of lost.
    version: Mapped[int] = mapped_column(default=1)
    # Repeating posts: the first post holds the rule; each occurrence is a post of its own whose
    # series_id names the first, made ahead of time so it shows on the calendar.
    recurrence: Mapped[Repeat | None] = mapped_column(enum_type(Repeat, 10))
    recurrence_rule: Mapped[str | None] = mapped_column(String(120))  # a crontab line, in the post's zone
    recurrence_until: Mapped[datetime | None]
    recurrence_count: Mapped[int | None]
    series_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    # The agency's client whose accounts the post goes to (who signs it off, and sees it in the portal).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    # Approval (studio.content.approvals): the state, when it was asked for and last reminded
    # about, who gave the final approval and when.
    approval: Mapped[Approval] = mapped_column(enum_type(Approval, 20), default=Approval.NOT_REQUIRED,
                                               server_default=Approval.NOT_REQUIRED.value)
    approval_asked_at: Mapped[datetime | None]
    # When the client was first asked to approve it: from then on she may open it in her portal
    # (not before: the team's drafts and what the team sent back are the team's alone).
    client_asked_at: Mapped[datetime | None]
    approval_reminded_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    request_id: Mapped[int | None] = mapped_column(ForeignKey("content_requests.id", ondelete="SET NULL"), index=True)
    # "Add to my storefront's showcase": each video it publishes shows there (studio.storefront).
    showcase: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[timestamp]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])
    approved_by: Mapped["User | None"] = relationship(foreign_keys=[approved_by_id])
    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                        order_by="Delivery.id")
    media: Mapped[list["PostMedia"]] = relationship(cascade="all, delete-orphan", order_by="PostMedia.position")

    def text_for(self, connection_id: int | str | None) -> str:
        return (self.overrides or {}).get(str(connection_id)) or self.message

    @property
    def cleared_for_publishing(self) -> bool:
        return self.approval in CLEARED_FOR_PUBLISHING

    def edited(self, approvals_on: bool) -> None:
        """Its words changed: back to the team's approval queue if they had been signed off."""
        before = self.approval
        self.approval = approval_after_edit(before, approvals_on)
        if self.approval != before:
            self.approval_asked_at, self.approval_reminded_at = utcnow(), None


class PostMedia(Model):
    __tablename__ = "post_media"
    __table_args__ = (UniqueConstraint("post_id", "asset_id"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    asset: Mapped["MediaAsset"] = relationship()


class Delivery(Model):
    """One post to one connection: the unit the engine claims, publishes and retries."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_in_flight", "connection_id", "status"),  # one publish at a time per account
        Index("ix_deliveries_published_at", "published_at"),  # the last hour's publish lag (studio.ops.metrics)
        UniqueConstraint("post_id", "connection_id"),
        one_of("status", DeliveryStatus),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    workspace_id: Mapped[workspace_fk]
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("platform_connections.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(20))
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus, 20), default=DeliveryStatus.PENDING)
    attempt_count: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None]
    # Sent with the publish call, so the platform can tell us later whether the post exists.
    client_reference: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: uuid.uuid4().hex)
    # Set when a publish call may have worked without our knowing (a timeout, a worker that died):
    # the next attempt asks the platform first.
    needs_lookup: Mapped[bool] = mapped_column(default=False)
    # The per-platform choices made in the composer (TikTok privacy, YouTube title, LinkedIn author).
    options: Mapped[dict] = mapped_column(default=dict)
    # What an adapter must remember between attempts: an open upload session, the platform's id for
    # a publish in flight, the quota day already charged. Saved after every attempt.
    progress: Mapped[dict] = mapped_column(default=dict)
    platform_post_id: Mapped[str | None] = mapped_column(String(128))
    platform_url: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship(back_populates="deliveries")
    connection: Mapped["PlatformConnection | None"] = relationship()
    attempts: Mapped[list["PublishAttempt"]] = relationship(cascade="all, delete-orphan", order_by="PublishAttempt.id")

    @property
    def link(self) -> str | None:
        """The published post's address, worked out when shown (see Platform.post_url)."""
        return post_link(self.platform, self.platform_post_id, self.platform_url)


class PublishAttempt(Model):
    """Every try, whatever came of it (the seeds' PublishLog)."""

    __tablename__ = "publish_attempts"
    __table_args__ = (one_of("outcome", AttemptOutcome),)

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    worker: Mapped[str] = mapped_column(String(80), default="")
    outcome: Mapped[AttemptOutcome] = mapped_column(enum_type(AttemptOutcome, 20))
    error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict] = mapped_column(default=dict)
    started_at: Mapped[timestamp]
    duration_ms: Mapped[int] = mapped_column(default=0)


class PublishedPost(Model):
    """What is live on a platform: one row per platform post, never two."""

    __tablename__ = "published_posts"
    __table_args__ = (
        UniqueConstraint("platform", "platform_post_id"),
        # The maker's storefront shows these (studio.storefront), newest first.
        Index("ix_published_posts_showcase", "workspace_id", "in_showcase", "published_at"),
        CheckConstraint("showcase_kind IN ('short', 'long', 'demo')", name="showcase_kind"),
    )

    workspace_id: Mapped[workspace_fk]
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), unique=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("platform_connections.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(20))
    platform_post_id: Mapped[str] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str] = mapped_column(Text, default="")
    metrics: Mapped[dict] = mapped_column(default=dict)
    published_at: Mapped[timestamp]
    last_synced_at: Mapped[datetime | None]
    # When its numbers are next fetched, sooner while the post is young (studio.analytics.sync);
    # None once it is old enough that they no longer move.
    next_sync_at: Mapped[datetime | None] = mapped_column(default=utcnow, index=True)
    # The video it carried (its title and thumbnail on the storefront), and the storefront's own
    # state: shown in the showcase or not, as what kind of video, liked and commented by visitors.
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_assets.id", ondelete="SET NULL"))
    in_showcase: Mapped[bool] = mapped_column(default=False, server_default=false())
    showcase_kind: Mapped[str | None] = mapped_column(String(10))
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def link(self) -> str | None:
        return post_link(self.platform, self.platform_post_id, self.url)


def post_link(platform_key: str, platform_post_id: str | None, stored_url: str | None) -> str | None:
    if not stored_url:
        return stored_url
    return get_platform(platform_key).post_url(platform_post_id, stored_url) if platform_key in PLATFORM_CLASSES else stored_url


class WorkerHeartbeat(Model):
    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(80), unique=True)
    last_seen_at: Mapped[timestamp]
    published: Mapped[int] = mapped_column(default=0)


class QuotaLedger(Model):
    """Units of a platform's daily API quota spent (YouTube: 10,000 a day, reset at midnight Pacific)."""

    __tablename__ = "quota_ledger"
    __table_args__ = (UniqueConstraint("platform", "day"),)

    platform: Mapped[str] = mapped_column(String(20))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the platform's quota zone
    units_used: Mapped[int] = mapped_column(default=0)
    units_limit: Mapped[int]
