"""The storefront's rows. Showcase videos are the workspace's own `PublishedPost` rows (with the
video they carried): what the engine published is what the page shows, with the synced numbers."""
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, utcnow, workspace_fk
from studio.extensions import Model

if TYPE_CHECKING:
    from studio.accounts.models import User, Workspace


class ServiceType(StrEnum):
    """What kind of work a service is (the seed's intangible products)."""

    DRIVER = "driver"  # delivery or transport
    AGENT = "agent"  # sales or representation
    ARTISAN = "artisan"  # craft or creative work


class ShowcaseKind(StrEnum):
    SHORT = "short"  # reels, shorts, TikToks
    LONG = "long"  # full videos, documentaries
    DEMO = "demo"  # product demonstrations


class InquiryState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # until the visitor writes again


class Storefront(Model):
    """One per workspace. Unpublished (`published_at` empty) it answers 404 to everyone but its
    team's preview. `changed_at` moves with anything the page shows that is stored here (its
    services, updates, likes, comments, showcase picks): with the synced numbers' times it makes
    the page's ETag and Last-Modified."""

    __tablename__ = "storefronts"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    headline: Mapped[str] = mapped_column(String(160), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_id: Mapped[int | None] = mapped_column(ForeignKey("media_assets.id", ondelete="SET NULL"))
    show_followers: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime | None]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[timestamp]

    workspace: Mapped["Workspace"] = relationship()


class Service(Model):
    __tablename__ = "services"
    __table_args__ = (
        Index("ix_services_workspace_id_position", "workspace_id", "position"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        one_of("type", ServiceType),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    type: Mapped[ServiceType] = mapped_column(enum_type(ServiceType, 10))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StorefrontUpdate(Model):
    """A text update on the page, with images from the library (`UpdateImage`, in order)."""

    __tablename__ = "storefront_updates"
    __table_args__ = (Index("ix_storefront_updates_workspace_id_created_at", "workspace_id", "created_at"),)

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    like_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp]


class UpdateImage(Model):
    """An image of an update: what makes a library image public on the storefront."""

    __tablename__ = "storefront_update_images"
    __table_args__ = (UniqueConstraint("update_id", "asset_id"),)

    update_id: Mapped[int] = mapped_column(ForeignKey("storefront_updates.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class StorefrontLike(Model):
    """One per person per update or video: the unique constraints make two clicks count once. Taking
    a like back keeps the row (`removed_at`), so the rate limit sees every like and unlike: `toggles`
    counts them in the rate limit's window that began at `window_started_at`."""

    __tablename__ = "storefront_likes"
    __table_args__ = (
        UniqueConstraint("user_id", "update_id", name="uq_storefront_likes_user_id_update_id"),
        UniqueConstraint("user_id", "video_id", name="uq_storefront_likes_user_id_video_id"),
        CheckConstraint("(update_id IS NULL) <> (video_id IS NULL)", name="one_target"),
        Index("ix_storefront_likes_user_id_window_started_at", "user_id", "window_started_at"),
    )

    workspace_id: Mapped[workspace_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("storefront_updates.id", ondelete="CASCADE"), index=True)
    video_id: Mapped[int | None] = mapped_column(ForeignKey("published_posts.id", ondelete="CASCADE"), index=True)
    removed_at: Mapped[datetime | None]
    toggles: Mapped[int] = mapped_column(default=1)
    window_started_at: Mapped[timestamp]
    created_at: Mapped[timestamp]


class StorefrontComment(Model):
    __tablename__ = "storefront_comments"
    __table_args__ = (
        CheckConstraint("(update_id IS NULL) <> (video_id IS NULL)", name="one_target"),
        Index("ix_storefront_comments_workspace_id_created_at", "workspace_id", "created_at"),
        Index("ix_storefront_comments_user_id_created_at", "user_id", "created_at"),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("storefront_updates.id", ondelete="CASCADE"), index=True)
    video_id: Mapped[int | None] = mapped_column(ForeignKey("published_posts.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    author: Mapped["User | None"] = relationship(foreign_keys=[user_id])


class Inquiry(Model):
    """"Ask about this service": a thread between a visitor (an e-mail address, no account) and the
    maker's team. The team sees it once the visitor opened the link e-mailed to that address; the
    same link (signed, see studio.storefront.inquiries) is the visitor's way back to the thread."""

    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_workspace_id_last_message_at", "workspace_id", "last_message_at"),
        Index("ix_inquiries_email_created_at", "email", "created_at"),
        Index("ix_inquiries_ip_created_at", "ip", "created_at"),
        one_of("state", InquiryState),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45), default="")
    verified_at: Mapped[datetime | None]
    state: Mapped[InquiryState] = mapped_column(enum_type(InquiryState, 10), default=InquiryState.OPEN)
    message_count: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[timestamp]
    last_preview: Mapped[str] = mapped_column(String(200), default="")
    last_from_visitor: Mapped[bool] = mapped_column(default=True)
    staff_read_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]

    service: Mapped["Service | None"] = relationship()

    @property
    def unread_for_staff(self) -> bool:
        return self.last_from_visitor and (self.staff_read_at is None or self.last_message_at > self.staff_read_at)


class InquiryMessage(Model):
    __tablename__ = "inquiry_messages"
    __table_args__ = (Index("ix_inquiry_messages_inquiry_id_id", "inquiry_id", "id"),)

    workspace_id: Mapped[workspace_fk]
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # a member of the team
    from_visitor: Mapped[bool] = mapped_column(default=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]

    sender: Mapped["User | None"] = relationship()
