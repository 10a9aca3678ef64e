"""Requests and their versions, the edit history of posts and versions, and comments."""
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, utcnow, workspace_fk
from studio.extensions import Model

if TYPE_CHECKING:
    from studio.accounts.models import User
    from studio.library.models import MediaAsset
    from studio.portal.models import Client


class RequestStatus(StrEnum):
    DRAFT = "draft"  # a brief nobody has started on
    IN_PROGRESS = "in_progress"
    PENDING_APPROVAL = "pending_approval"  # its post waits for an approver
    APPROVED = "approved"
    REJECTED = "rejected"  # changes were asked for
    DONE = "done"


OPEN_REQUEST_STATUSES = (RequestStatus.DRAFT, RequestStatus.IN_PROGRESS, RequestStatus.PENDING_APPROVAL,
                         RequestStatus.REJECTED)


class ContentRequest(Model):
    """A brief: what a piece of content should achieve, for which platforms, by when. Made by the
    team or by a client from the portal; its versions are drafts of the text, one picked."""

    __tablename__ = "content_requests"
    __table_args__ = (
        Index("ix_content_requests_workspace_id_status", "workspace_id", "status"),
        one_of("status", RequestStatus),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    brief: Mapped[str] = mapped_column(Text, default="")
    goal: Mapped[str] = mapped_column(String(200), default="")
    platforms: Mapped[list] = mapped_column(default=list)
    due_on: Mapped[date | None]
    status: Mapped[RequestStatus] = mapped_column(enum_type(RequestStatus, 20), default=RequestStatus.DRAFT)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    due_reminded_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    client: Mapped["Client | None"] = relationship()
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    references: Mapped[list["ContentReference"]] = relationship(cascade="all, delete-orphan",
                                                                order_by="ContentReference.id")
    versions: Mapped[list["ContentVersion"]] = relationship(cascade="all, delete-orphan", back_populates="request",
                                                            order_by="ContentVersion.id")


class ContentReference(Model):
    """A file from the library the brief points at."""

    __tablename__ = "content_references"
    __table_args__ = (UniqueConstraint("request_id", "asset_id"),)

    request_id: Mapped[int] = mapped_column(ForeignKey("content_requests.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="CASCADE"), index=True)

    asset: Mapped["MediaAsset"] = relationship()


class ContentVersion(Model):
    """One draft of a request's text, written by a person or by the language model."""

    __tablename__ = "content_versions"

    workspace_id: Mapped[workspace_fk]
    request_id: Mapped[int] = mapped_column(ForeignKey("content_requests.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list] = mapped_column(default=list)
    image_prompt: Mapped[str] = mapped_column(Text, default="")
    selected: Mapped[bool] = mapped_column(default=False)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    model: Mapped[str | None] = mapped_column(String(120))  # the model that wrote it; None: a person
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    request: Mapped[ContentRequest] = relationship(back_populates="versions")
    created_by: Mapped["User | None"] = relationship()


class EditAction(StrEnum):
    """Each step in a post's or version's history; the text ones carry the text before and after."""

    CREATED = "created"
    EDITED = "edited"
    REVERTED = "reverted"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CLIENT_APPROVED = "client_approved"
    CHANGES_REQUESTED = "changes_requested"
    SCHEDULED = "scheduled"


class ContentEdit(Model):
    """The history of a post or a version: who did what and when, and for a change of text, the
    text before and after and why (the seeds' contentEditHistory)."""

    __tablename__ = "content_edits"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (version_id IS NULL)", name="one_subject"),
        Index("ix_content_edits_post_id_id", "post_id", "id"),
        Index("ix_content_edits_version_id_id", "version_id", "id"),
        one_of("action", EditAction),
    )

    workspace_id: Mapped[workspace_fk]
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("content_versions.id", ondelete="CASCADE"))
    action: Mapped[EditAction] = mapped_column(enum_type(EditAction, 20))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_client: Mapped[bool] = mapped_column(default=False)
    previous_text: Mapped[str | None] = mapped_column(Text)
    new_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    reverted_from_id: Mapped[int | None] = mapped_column(ForeignKey("content_edits.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    editor: Mapped["User | None"] = relationship()

    @property
    def changes_text(self) -> bool:
        return self.new_text is not None


class Comment(Model):
    """A comment on a request or a post: threaded by `parent_id`, resolvable; internal ones are for
    the team alone, shared ones the client sees and may answer."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (request_id IS NULL)", name="one_subject"),
        Index("ix_comments_post_id_id", "post_id", "id"),
        Index("ix_comments_request_id_id", "request_id", "id"),
    )

    workspace_id: Mapped[workspace_fk]
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("content_requests.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_client: Mapped[bool] = mapped_column(default=False)
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped["User | None"] = relationship(foreign_keys=[resolved_by_id])
