"""The community's rows: profiles, channels, topics and their replies, likes, bookmarks, read
markers, edits, reports, files, direct messages, events with answers, and the points ledger."""
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.accounts.models import User
from studio.database import UTCDateTime, utcnow
from studio.extensions import db


class ChannelType(StrEnum):
    ANNOUNCEMENT = "ANNOUNCEMENT"  # only the team starts topics; members reply
    GENERAL = "GENERAL"
    NICHE = "NICHE"
    MONTH = "MONTH"  # a cohort's month of the program
    QA = "QA"
    RESOURCES = "RESOURCES"


class TopicType(StrEnum):
    TEXT = "TEXT"
    QUESTION = "QUESTION"  # can be solved by marking a reply helpful
    WIN = "WIN"
    RESOURCE = "RESOURCE"
    EVENT = "EVENT"


class EventType(StrEnum):
    COACHING = "COACHING"
    COWORKING = "COWORKING"
    HOTSEAT = "HOTSEAT"
    MEETUP = "MEETUP"
    PANEL = "PANEL"


class RsvpStatus(StrEnum):
    GOING = "GOING"  # takes one of the event's places
    MAYBE = "MAYBE"
    NOT_GOING = "NOT_GOING"


class ReportStatus(StrEnum):
    OPEN = "open"
    HIDDEN = "hidden"  # a moderator hid what was reported
    DISMISSED = "dismissed"


class MemberProfile(db.Model):
    __tablename__ = "member_profiles"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_profiles_workspace_id_user_id"),
                      UniqueConstraint("workspace_id", "username", name="uq_member_profiles_workspace_id_username"),
                      Index("ix_member_profiles_workspace_id_points", "workspace_id", "points"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(30))
    bio: Mapped[str] = mapped_column(String(1000), default="")  # ProfileForm's limit
    bio_html: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(80), default="")
    links: Mapped[list] = mapped_column(db.JSON, default=list)
    allow_dms: Mapped[bool] = mapped_column(default=True)
    email_notifications: Mapped[bool] = mapped_column(default=True)
    points: Mapped[int] = mapped_column(default=0)
    badges: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Channel(db.Model):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    icon: Mapped[str] = mapped_column(String(8), default="")
    type: Mapped[str] = mapped_column(String(20), default=ChannelType.GENERAL)
    is_archived: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Topic(db.Model):
    """The seeds' CommunityPost: the opening post of a thread, in Markdown with its sanitised HTML."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_channel_id_pinned_activity", "channel_id", "is_pinned", "last_activity_at", "id"),
                      Index("ix_topics_workspace_id_author_id_created_at", "workspace_id", "author_id", "created_at"),
                      Index("ix_topics_workspace_id_last_activity_at", "workspace_id", "last_activity_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(12), default=TopicType.TEXT)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64), default="")
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_solved: Mapped[bool] = mapped_column(default=False)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    # Whoever hid it: an author may show again what they hid, not what a moderator hid.
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    like_count: Mapped[int] = mapped_column(default=0)
    reply_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    channel: Mapped[Channel] = relationship()


class Reply(db.Model):
    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_topic_id_id", "topic_id", "id"),
                      Index("ix_replies_workspace_id_author_id_created_at", "workspace_id", "author_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64), default="")
    like_count: Mapped[int] = mapped_column(default=0)
    is_helpful: Mapped[bool] = mapped_column(default=False)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    # Whoever hid it: an author may show again what they hid, not what a moderator hid.
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    topic: Mapped[Topic] = relationship()

    if TYPE_CHECKING:  # what reading.thread sets on each reply it shows (not stored)
        username: str | None
        depth: int
        children: list["Reply"]


class Like(db.Model):
    """One per member per topic or reply: the unique constraints make a double click count once."""

    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("user_id", "topic_id", name="uq_likes_user_id_topic_id"),
                      UniqueConstraint("user_id", "reply_id", name="uq_likes_user_id_reply_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bookmark(db.Model):
    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TopicRead(db.Model):
    """When a member last read a topic: what came after is new to them."""

    __tablename__ = "topic_reads"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Edit(db.Model):
    """The text a topic or reply had before an edit (a short history is shown)."""

    __tablename__ = "post_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    previous_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship()


class Report(db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.OPEN)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    topic: Mapped[Topic | None] = relationship()
    reply: Mapped[Reply | None] = relationship()


class CommunityFile(db.Model):
    __tablename__ = "community_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(db.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(db.Model):
    """Direct messages between two members; user_a has the lower id, so a pair has one row."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("workspace_id", "user_a_id", "user_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_a_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_b_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    a_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    b_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user_a: Mapped[User] = relationship(foreign_keys=[user_a_id])
    user_b: Mapped[User] = relationship(foreign_keys=[user_b_id])


class DirectMessage(db.Model):
    __tablename__ = "direct_messages"
    __table_args__ = (Index("ix_direct_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User | None] = relationship()


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_workspace_id_starts_at", "workspace_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(12), default=EventType.COACHING)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    going_count: Mapped[int] = mapped_column(default=0)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventRSVP(db.Model):
    __tablename__ = "event_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsEntry(db.Model):
    """Every point given, so the leaderboard can count a week, a month or all time."""

    __tablename__ = "points_ledger"
    __table_args__ = (Index("ix_points_ledger_workspace_id_created_at", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
