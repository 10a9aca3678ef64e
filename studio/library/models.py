from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model
from studio.library.storage import storage

if TYPE_CHECKING:
    from studio.accounts.models import User


class MediaKind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"


class MediaStatus(StrEnum):
    PROCESSING = "processing"  # uploaded; its details and thumbnail are being worked out
    READY = "ready"
    FAILED = "failed"


class Orientation(StrEnum):
    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"
    SQUARE = "square"


class MediaAsset(Model):
    """A video or image in a workspace's library (the seeds' Video, mediaAttachments and videos)."""

    __tablename__ = "media_assets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "sha256"),
        Index("ix_media_assets_workspace_id_created_at", "workspace_id", "created_at"),
        one_of("kind", MediaKind),
        one_of("status", MediaStatus),
        one_of("orientation", Orientation),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[MediaKind] = mapped_column(enum_type(MediaKind, 10))
    title: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(80))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    external_url: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[MediaStatus] = mapped_column(enum_type(MediaStatus, 12), default=MediaStatus.PROCESSING)
    error: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    aspect_ratio: Mapped[str | None] = mapped_column(String(12))
    orientation: Mapped[Orientation | None] = mapped_column(enum_type(Orientation, 12))
    video_codec: Mapped[str | None] = mapped_column(String(40))
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    frame_rate: Mapped[float | None]
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    processing_started_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    file_deleted_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]

    uploaded_by: Mapped["User | None"] = relationship()

    @property
    def is_vertical(self) -> bool:
        return self.orientation == Orientation.VERTICAL

    def open(self):
        """The stored bytes, as a readable stream."""
        return storage().open(self.storage_key)

