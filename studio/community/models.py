"""The community's rows: profiles, channels, topics and their replies, likes, bookmarks, read
markers, edits, reports, files, direct messages, events with answers, and the points ledger."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.accounts.models import User
from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model


class ChannelType(StrEnum):
    ANNOUNCEMENT = "announcement"  # only the team starts topics; members reply
    GENERAL = "general"
    NICHE = "niche"
    MONTH = "month"  # a cohort's month of the program
    QA = "qa"
    RESOURCES = "resources"


class TopicType(StrEnum):
    TEXT = "text"
    QUESTION = "question"  # solved once a reply is marked helpful
    WIN = "win"
    RESOURCE = "resource"
    EVENT = "event"


class EventType(StrEnum):
    COACHING = "coaching"
    COWORKING = "coworking"
    HOTSEAT = "hotseat"
    MEETUP = "meetup"
    PANEL = "panel"


class RsvpStatus(StrEnum):
    GOING = "going"  # takes one of the event's places
    MAYBE = "maybe"
    NOT_GOING = "not_going"


class ReportStatus(StrEnum):
    OPEN = "open"
    HIDDEN = "hidden"  # a moderator hid what was reported
    DISMISSED = "dismissed"


class MemberProfile(Model):
    __tablename__ = "member_profiles"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_profiles_workspace_id_user_id"),
                      UniqueConstraint("workspace_id", "username", name="uq_member_profiles_workspace_id_username"),
                      Index("ix_member_profiles_workspace_id_points", "workspace_id", "points"))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)  # its composite indexes lead with it
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(30))
    bio: Mapped[str] = mapped_column(String(1000), default="")  # ProfileForm's limit
    bio_html: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(80), default="")
    links: Mapped[list] = mapped_column(default=list)
    allow_dms: Mapped[bool] = mapped_column(default=True)
    email_notifications: Mapped[bool] = mapped_column(default=True)
    points: Mapped[int] = mapped_column(default=0)
    badges: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[timestamp]

    user: Mapped[User] = relationship()


class Channel(Model):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"), one_of("type", ChannelType))

    workspace_id: Mapped[workspace_fk]
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    icon: Mapped[str] = mapped_column(String(8), default="")
    type: Mapped[ChannelType] = mapped_column(enum_type(ChannelType, 20), default=ChannelType.GENERAL)
    is_archived: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp]


class Topic(Model):
    """The seeds' CommunityPost: the opening post of a thread, in Markdown with its sanitised HTML."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_channel_id_pinned_activity", "channel_id", "is_pinned", "last_activity_at", "id"),
                      Index("ix_topics_workspace_id_author_id_created_at", "workspace_id", "author_id", "created_at"),
                      Index("ix_topics_workspace_id_last_activity_at", "workspace_id", "last_activity_at"),
                      one_of("type", TopicType))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)  # its composite indexes lead with it
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[TopicType] = mapped_column(enum_type(TopicType, 12), default=TopicType.TEXT)
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
    last_activity_at: Mapped[timestamp]
    created_at: Mapped[timestamp]
    edited_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    channel: Mapped[Channel] = relationship()


class Reply(Model):
    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_topic_id_id", "topic_id", "id"),
                      Index("ix_replies_workspace_id_author_id_created_at", "workspace_id", "author_id", "created_at"))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)  # its composite indexes lead with it
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
    created_at: Mapped[timestamp]
    edited_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    topic: Mapped[Topic] = relationship()


class Like(Model):
    """One per member per topic or reply: the unique constraints make a double click count once."""

    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("user_id", "topic_id", name="uq_likes_user_id_topic_id"),
                      UniqueConstraint("user_id", "reply_id", name="uq_likes_user_id_reply_id"))

    workspace_id: Mapped[workspace_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[timestamp]


class Bookmark(Model):
    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    workspace_id: Mapped[workspace_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[timestamp]


class TopicRead(Model):
    """When a member last read a topic: what came after is new to them."""

    __tablename__ = "topic_reads"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[timestamp]


class Edit(Model):
    """The text a topic or reply had before an edit (a short history is shown)."""

    __tablename__ = "post_edits"

    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    previous_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]

    editor: Mapped[User | None] = relationship()


class Report(Model):
    __tablename__ = "reports"
    __table_args__ = (one_of("status", ReportStatus),)

    workspace_id: Mapped[workspace_fk]
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus, 12), default=ReportStatus.OPEN)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    topic: Mapped[Topic | None] = relationship()
    reply: Mapped[Reply | None] = relationship()


class CommunityFile(Model):
    __tablename__ = "community_files"

    workspace_id: Mapped[workspace_fk]
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[timestamp]


class Conversation(Model):
    """Direct messages between two members; user_a has the lower id, so a pair has one row."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("workspace_id", "user_a_id", "user_b_id"),)

    workspace_id: Mapped[workspace_fk]
    user_a_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_b_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    a_read_at: Mapped[datetime | None]
    b_read_at: Mapped[datetime | None]
    last_message_at: Mapped[timestamp]
    created_at: Mapped[timestamp]

    user_a: Mapped[User] = relationship(foreign_keys=[user_a_id])
    user_b: Mapped[User] = relationship(foreign_keys=[user_b_id])


class DirectMessage(Model):
    __tablename__ = "direct_messages"
    __table_args__ = (Index("ix_direct_messages_conversation_id_id", "conversation_id", "id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]

    sender: Mapped[User | None] = relationship()


class Event(Model):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_workspace_id_starts_at", "workspace_id", "starts_at"), one_of("type", EventType))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)  # its composite indexes lead with it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[EventType] = mapped_column(enum_type(EventType, 12), default=EventType.COACHING)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    going_count: Mapped[int] = mapped_column(default=0)
    reminder_sent_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]


class EventRSVP(Model):
    __tablename__ = "event_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "user_id"), one_of("status", RsvpStatus))

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[RsvpStatus] = mapped_column(enum_type(RsvpStatus, 10))
    created_at: Mapped[timestamp]


class PointsEntry(Model):
    """Every point given, so the leaderboard can count a week, a month or all time."""

    __tablename__ = "points_ledger"
    __table_args__ = (Index("ix_points_ledger_workspace_id_created_at", "workspace_id", "created_at"),)

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)  # its composite indexes lead with it
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[timestamp]
