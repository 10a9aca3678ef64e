from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.database import enum_type, one_of, timestamp
from studio.extensions import Model


class NotificationType(StrEnum):
    NEW_DELIVERABLE = "new_deliverable"  # the portal
    NEW_MESSAGE = "new_message"
    MILESTONE_REMINDER = "milestone_reminder"
    ACCOUNT_UPDATE = "account_update"
    EVENT_REMINDER = "event_reminder"  # the community
    MENTION = "mention"
    BADGE = "badge"
    COACH_HANDOFF = "coach_handoff"  # staff: a client asked the coach for a person
    ANALYTICS_ALERT = "analytics_alert"  # staff: an account's numbers crossed a mark, surged or fell
    APPROVAL_REQUESTED = "approval_requested"  # a post waits for this person's approval
    CHANGES_REQUESTED = "changes_requested"  # an approver asked for changes
    POST_APPROVED = "post_approved"
    CONTENT_COMMENT = "content_comment"  # a comment on a post or request this person follows
    REQUEST_DUE = "request_due"  # a content request assigned to this person is due soon
    PROGRAM_STEP = "program_step"  # a step of the client's program: a reminder, a celebration, a check-in
    PROGRAM_ESCALATION = "program_escalation"  # staff: a client's program asks for a person, or a step failed
    STOREFRONT_INQUIRY = "storefront_inquiry"  # staff: a visitor asked about a service on the storefront


class Notification(Model):
    """Something a person should know about, with a link to it; read or not."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_created_at", "user_id", "created_at"), one_of("type", NotificationType))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    type: Mapped[NotificationType] = mapped_column(enum_type(NotificationType, 30))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    action_url: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]
