import hashlib
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model

if TYPE_CHECKING:
    from studio.portal.models import Client


class Role(StrEnum):
    """A member's role in a workspace, highest first: each may do all that the ones after it may."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class ApprovalMode(StrEnum):
    """Who signs a post off before it may be scheduled."""

    NONE = "none"
    INTERNAL = "internal"  # an owner or admin of the workspace
    CLIENT = "client"  # the team, then the client whose accounts it goes to


class User(UserMixin, Model):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    notification_prefs: Mapped[dict] = mapped_column(default=dict)
    last_workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL")
    )
    password_changed_at: Mapped[timestamp]
    # Set when the person proved the address by opening a link e-mailed to it.
    email_verified_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="Membership.user_id"
    )

    @property
    def session_stamp(self) -> str:
        """Changes whenever the password does, so changing it ends the user's other sessions."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:12]

    def get_id(self) -> str:
        return f"{self.id}.{self.session_stamp}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Workspace(Model):
    """The seeds' Organization / Project / maker: everything a team owns hangs off one of these."""

    __tablename__ = "workspaces"
    __table_args__ = (one_of("approval_mode", ApprovalMode),)

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    plan: Mapped[str] = mapped_column(String(20), default="starter")  # a Plan's key (studio.billing)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    subscription_status: Mapped[str | None] = mapped_column(String(30))  # active, past_due, canceled
    # Who must approve a post before it may be scheduled: nobody, the team, or the team then the
    # client whose accounts it goes to (studio.content.approvals).
    approval_mode: Mapped[ApprovalMode] = mapped_column(enum_type(ApprovalMode, 10), default=ApprovalMode.NONE,
                                                        server_default="none")
    country: Mapped[str | None] = mapped_column(String(2))
    # The secret in the workspace's private iCalendar feed URL (reset to revoke old subscriptions).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Workspace {self.slug}>"


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"), one_of("role", Role))

    workspace_id: Mapped[workspace_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, 20))
    created_at: Mapped[timestamp]

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])


class InvitationKind(StrEnum):
    MEMBER = "member"  # joins the workspace's team in a role
    CLIENT = "client"  # opens a client's portal


class Invitation(Model):
    """An e-mailed link that works once and expires: to join a workspace's team in a role (kind
    "member"), or to open the portal of one of its clients (kind "client"). Only a hash of the
    link's token is stored."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'member' AND role IS NOT NULL AND client_id IS NULL)"
            " OR (kind = 'client' AND client_id IS NOT NULL AND role IS NULL)",
            name="kind_fits",
        ),
        one_of("role", Role),
    )

    kind: Mapped[InvitationKind] = mapped_column(enum_type(InvitationKind, 10), default=InvitationKind.MEMBER)
    workspace_id: Mapped[workspace_fk]
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role | None] = mapped_column(enum_type(Role, 20))  # a member's
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)  # a client's
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    sent_count: Mapped[int] = mapped_column(default=1)
    last_sent_at: Mapped[timestamp]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]

    workspace: Mapped[Workspace] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    client: Mapped["Client | None"] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class LoginAttempt(Model):
    """Failed log-ins, counted per account and per address to slow down password guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created_at", "email", "created_at"),
        Index("ix_login_attempts_ip_created_at", "ip", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[timestamp]

