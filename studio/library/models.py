from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import UTCDateTime, utcnow
from studio.extensions import db

MEDIA_KINDS = ("video", "image")
MEDIA_STATUSES = ("processing", "ready", "failed")


class MediaAsset(db.Model):
    """A video or image in a workspace's library (the seeds' Video, mediaAttachments and videos)."""

    __tablename__ = "media_assets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "sha256"),
        Index("ix_media_assets_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(80))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    external_url: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(db.BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="processing")
    error: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    aspect_ratio: Mapped[str | None] = mapped_column(String(12))
    orientation: Mapped[str | None] = mapped_column(String(12))  # vertical, horizontal, square
    video_codec: Mapped[str | None] = mapped_column(String(40))
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    frame_rate: Mapped[float | None]
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    file_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by = relationship("User")

    @property
    def is_vertical(self):
        return self.orientation == "vertical"

    def open(self):
        """The stored bytes, as a readable stream."""
        from studio.library.storage import storage

        return storage().open(self.storage_key)


class UsageCounter(db.Model):
    """What a workspace used in a period (a calendar month): plans will set limits on it."""

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("workspace_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    files_uploaded: Mapped[int] = mapped_column(default=0)
    bytes_uploaded: Mapped[int] = mapped_column(db.BigInteger, default=0)
    generations: Mapped[int] = mapped_column(default=0)
    scheduled_posts: Mapped[int] = mapped_column(default=0)
