from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model
from studio.security.crypto import EncryptedText

if TYPE_CHECKING:
    from studio.accounts.models import User


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"  # its tokens stopped working: someone must connect it again
    REVOKED = "revoked"


class PlatformConnection(Model):
    """One connected account on one platform, owned by a workspace. Tokens are sealed at rest."""

    __tablename__ = "platform_connections"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "account_id"), one_of("status", ConnectionStatus))

    workspace_id: Mapped[workspace_fk]
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(128))
    username: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    avatar_url: Mapped[str] = mapped_column(Text, default="")
    access_token: Mapped[str | None] = mapped_column(EncryptedText("connection.access_token"))
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText("connection.refresh_token"))
    expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    scope: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ConnectionStatus] = mapped_column(enum_type(ConnectionStatus, 20), default=ConnectionStatus.ACTIVE)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_used_at: Mapped[datetime | None]
    last_refreshed_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    details: Mapped[dict] = mapped_column("metadata", default=dict)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The agency's client whose account this is, where it is one (their coach reads its numbers).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[timestamp]

    connected_by: Mapped["User | None"] = relationship()

    @property
    def scopes(self) -> list[str]:
        return [scope for scope in self.scope.replace(",", " ").split() if scope]

    def __repr__(self) -> str:
        return f"<PlatformConnection {self.platform}:{self.username}>"


class PendingConnection(Model):
    """Accounts an authorization returned that the user still has to choose from (Facebook Pages).
    Lives for minutes; its payload, which holds tokens, is sealed like any token."""

    __tablename__ = "pending_connections"

    workspace_id: Mapped[workspace_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(EncryptedText("pending_connection.payload"))
    expires_at: Mapped[datetime]
    created_at: Mapped[timestamp]


class SocialLink(Model):
    """A display-only link to the workspace's profile somewhere (no tokens, no API)."""

    __tablename__ = "social_links"

    workspace_id: Mapped[workspace_fk]
    label: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp]
