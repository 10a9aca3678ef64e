from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import UTCDateTime, utcnow
from studio.extensions import db
from studio.security.crypto import EncryptedText

CONNECTION_STATUSES = ("active", "expired", "revoked")


class PlatformConnection(db.Model):
    """One connected account on one platform, owned by a workspace. Tokens are sealed at rest."""

    __tablename__ = "platform_connections"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(128))
    username: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    avatar_url: Mapped[str] = mapped_column(Text, default="")
    access_token: Mapped[str | None] = mapped_column(EncryptedText("connection.access_token"))
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText("connection.refresh_token"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict] = mapped_column("metadata", db.JSON, default=dict)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    connected_by = relationship("User")

    @property
    def scopes(self):
        return [scope for scope in self.scope.replace(",", " ").split() if scope]

    def __repr__(self):
        return f"<PlatformConnection {self.platform}:{self.username}>"


class PendingConnection(db.Model):
    """Accounts an authorization returned that the user still has to choose from (Facebook Pages).
    Lives for minutes; its payload, which holds tokens, is sealed like any token."""

    __tablename__ = "pending_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(EncryptedText("pending_connection.payload"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SocialLink(db.Model):
    """A display-only link to the workspace's profile somewhere (no tokens, no API)."""

    __tablename__ = "social_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
