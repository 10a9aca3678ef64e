from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model

if TYPE_CHECKING:
    from studio.accounts.models import User, Workspace


# A client wrote after the team last read the thread (the partial index's condition, as the
# service's query writes it).
UNREAD_FOR_STAFF = ("last_client_message_at IS NOT NULL AND "
                    "(staff_read_at IS NULL OR last_client_message_at > staff_read_at)")


class ClientStatus(StrEnum):
    INVITED = "invited"  # until the client accepts the portal invitation
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class ThreadState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # until the client writes again


class Client(Model):
    """A client of an agency workspace (a creator in its 8-month program). Their portal log-in is
    a `User`, linked once they accept the invitation."""

    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        Index("ix_clients_workspace_id_name", "workspace_id", "name"),
        one_of("status", ClientStatus),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    niche: Mapped[str] = mapped_column(String(80), default="")
    program_start: Mapped[date | None]
    current_month: Mapped[int] = mapped_column(default=1)  # 1 to 8
    status: Mapped[ClientStatus] = mapped_column(enum_type(ClientStatus, 12), default=ClientStatus.INVITED)
    # The program's clock (studio.journey): its time zone, and its pauses (the current one's start
    # and reason; the days spent paused so far, which push the calendar back).
    program_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    paused_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(300))
    paused_days: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[timestamp]

    user: Mapped["User | None"] = relationship()
    workspace: Mapped["Workspace"] = relationship()


class Thread(Model):
    """A conversation between one client and the agency's team. Each side's last-read time gives
    read receipts and unread counts; the last message's time, author side and opening words are
    kept here so an inbox of thousands of threads is one query."""

    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_workspace_id_last_message_at", "workspace_id", "last_message_at"),
        Index("ix_threads_client_id_last_message_at", "client_id", "last_message_at"),
        # The threads the team has not read (see studio.portal.reading.unread_for_staff): the badge
        # and "Unread only" read this index alone, as long as there are unread threads.
        Index("ix_threads_staff_unread", "workspace_id", "last_message_at",
              sqlite_where=text(UNREAD_FOR_STAFF), postgresql_where=text(UNREAD_FOR_STAFF)),
        one_of("state", ThreadState),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverables.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    state: Mapped[ThreadState] = mapped_column(enum_type(ThreadState, 10), default=ThreadState.OPEN)
    message_count: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[timestamp]
    last_preview: Mapped[str] = mapped_column(String(200), default="")
    last_from_client: Mapped[bool] = mapped_column(default=False)
    last_client_message_at: Mapped[datetime | None]
    last_staff_message_at: Mapped[datetime | None]
    client_read_at: Mapped[datetime | None]
    staff_read_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]

    client: Mapped[Client] = relationship()
    deliverable: Mapped["Deliverable | None"] = relationship()

    @property
    def unread_for_staff(self):
        return bool(self.last_client_message_at and (self.staff_read_at is None
                                                     or self.last_client_message_at > self.staff_read_at))

    @property
    def unread_for_client(self):
        return bool(self.last_staff_message_at and (self.client_read_at is None
                                                    or self.last_staff_message_at > self.client_read_at))


class Message(Model):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_thread_id_id", "thread_id", "id"),
        # The e-mail job looks for messages nobody has been told about yet.
        Index("ix_messages_emailed_at_created_at", "emailed_at", "created_at"),
    )

    workspace_id: Mapped[workspace_fk]
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_client: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]
    # Set once the other side was e-mailed about it (or chose not to be): batching reads this.
    emailed_at: Mapped[datetime | None]

    thread: Mapped[Thread] = relationship()
    sender: Mapped["User | None"] = relationship()
    files: Mapped[list["PortalFile"]] = relationship(order_by="PortalFile.id", viewonly=True)


class Deliverable(Model):
    """Work the agency hands a client for a program month: text and files, then reviewed."""

    __tablename__ = "deliverables"
    __table_args__ = (Index("ix_deliverables_client_id_published_at", "client_id", "published_at"),)

    workspace_id: Mapped[workspace_fk]
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The program step that made it, if one did: a step run twice finds its deliverable.
    automation_id: Mapped[int | None] = mapped_column(ForeignKey("automations.id", ondelete="SET NULL"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    program_month: Mapped[int] = mapped_column(default=1)
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]

    client: Mapped[Client] = relationship()
    files: Mapped[list["PortalFile"]] = relationship(order_by="PortalFile.id", viewonly=True)

    @property
    def status(self):
        if self.reviewed_at:
            return "reviewed"
        if self.published_at:
            return "opened" if self.opened_at else "new"
        return "draft"


class PortalFile(Model):
    """A file attached to a message or a deliverable, kept by the library's storage service."""

    __tablename__ = "portal_files"

    workspace_id: Mapped[workspace_fk]
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[timestamp]
