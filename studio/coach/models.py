from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model
from studio.security.crypto import EncryptedText

if TYPE_CHECKING:
    from studio.accounts.models import User
    from studio.portal.models import Client, Thread


class Role(StrEnum):
    USER = "user"  # the client's question
    ASSISTANT = "assistant"  # the coach's answer
    NOTICE = "notice"  # what the studio itself says in the conversation (a hand-off, a hand-back)


class AnswerState(StrEnum):
    STREAMING = "streaming"  # still arriving; the text so far is stored as it grows
    COMPLETE = "complete"
    STOPPED = "stopped"  # the client pressed Stop: what arrived is kept
    INCOMPLETE = "incomplete"  # the provider failed or timed out mid-answer: what arrived is kept


class Capability(StrEnum):
    """What the coach may bring into an answer; staff switch each on or off."""
    PLAYBOOK = "playbook"  # excerpts of the program playbook, cited
    PROGRAM = "program"  # the client's program month and what comes next
    DELIVERABLES = "deliverables"  # the client's open deliverables
    NUMBERS = "numbers"  # the client's latest posts and their numbers


DEFAULT_SYSTEM_PROMPT = (
    "You are the business coach of a creator in the agency's eight-month program. Answer in a few short paragraphs "
    "or a list, practical and specific to the creator's month, deliverables and numbers given below. Ground your "
    "advice in the playbook excerpts and cite the ones you use as [1], [2]. If a question needs a person (contracts, "
    "money owed, complaints), say so and suggest writing to the team.")
DEFAULT_ESCALATION_KEYWORDS = ["lawyer", "refund", "cancel my contract", "complaint", "urgent"]


class CoachConfig(Model):
    """One per agency workspace: how its coach behaves and, where set here, which model it calls
    (otherwise the COACH_* settings; with none, the coach answers from the playbook)."""

    __tablename__ = "coach_configs"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    system_prompt: Mapped[str] = mapped_column(Text, default=DEFAULT_SYSTEM_PROMPT)
    max_tokens_per_message: Mapped[int] = mapped_column(default=500)
    max_tokens_per_day: Mapped[int] = mapped_column(default=5000)
    capabilities: Mapped[list] = mapped_column(default=lambda: [c.value for c in Capability])
    escalation_keywords: Mapped[list] = mapped_column(default=lambda: list(DEFAULT_ESCALATION_KEYWORDS))
    api_url: Mapped[str] = mapped_column(String(300), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    api_key: Mapped[str | None] = mapped_column(EncryptedText("coach.api_key"))
    updated_at: Mapped[timestamp]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PlaybookArticle(Model):
    """A page of the agency's program playbook, for one program month or for any month. Full-text
    indexed by the database (an FTS5 table kept by triggers on SQLite, a GIN index on PostgreSQL)."""

    __tablename__ = "playbook_articles"
    __table_args__ = (Index("ix_playbook_articles_workspace_id_month", "workspace_id", "program_month"),)

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    program_month: Mapped[int | None]  # 1 to 8; None for any month
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[timestamp]


class CoachConversation(Model):
    __tablename__ = "coach_conversations"
    __table_args__ = (Index("ix_coach_conversations_client_id_last_message_at", "client_id", "last_message_at"),
                      Index("ix_coach_conversations_workspace_id_last_message_at", "workspace_id", "last_message_at"))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120), default="New conversation")
    last_message_at: Mapped[timestamp]
    message_count: Mapped[int] = mapped_column(default=0)
    total_tokens: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)  # thumbs up count 1, down 0: the average is the share up
    has_escalation: Mapped[bool] = mapped_column(default=False)
    # While set, a person has the conversation: the coach stays quiet until staff hand it back.
    handed_off_at: Mapped[datetime | None]
    handoff_thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    client: Mapped["Client"] = relationship()
    handoff_thread: Mapped["Thread | None"] = relationship()

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


class CoachMessage(Model):
    __tablename__ = "coach_messages"
    __table_args__ = (
        Index("ix_coach_messages_conversation_id_id", "conversation_id", "id"),
        # The daily budget sums a client's tokens since their midnight.
        Index("ix_coach_messages_client_id_created_at", "client_id", "created_at"),
        Index("ix_coach_messages_workspace_id_rating", "workspace_id", "rating"),
        one_of("role", Role),
        one_of("state", AnswerState),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("coach_conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[Role] = mapped_column(enum_type(Role, 10))
    content: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[AnswerState] = mapped_column(enum_type(AnswerState, 10), default=AnswerState.COMPLETE)
    source: Mapped[str] = mapped_column(String(20), default="")  # "model" or "playbook", for answers
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    tokens_used: Mapped[int] = mapped_column(default=0)  # counted against the client's day
    tokens_estimated: Mapped[bool] = mapped_column(default=False)  # the provider reported no usage
    rating: Mapped[int | None]  # 1 thumbs up, 0 thumbs down
    rating_feedback: Mapped[str] = mapped_column(Text, default="")
    is_escalation: Mapped[bool] = mapped_column(default=False)
    replaced: Mapped[bool] = mapped_column(default=False)  # a regenerated answer took its place
    error: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column("metadata", default=dict)  # citations, the model's name
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]

    conversation: Mapped[CoachConversation] = relationship()
    author: Mapped["User | None"] = relationship()

    @property
    def citations(self) -> list[dict]:
        return list(self.details.get("citations", []))
