"""A program's steps (the agency's template), each client's automations made from them, and the log
of every run."""
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model

if TYPE_CHECKING:
    from studio.portal.models import Client

PROGRAM_MONTHS = 8


class StepKind(StrEnum):
    DELIVERABLE = "deliverable"  # a deliverable made and shared with the client
    REMINDER = "reminder"  # to the client
    CELEBRATION = "celebration"  # to the client
    CHECK_IN = "check_in"  # to the client: how is it going?
    ESCALATION = "escalation"  # to the team's owners and admins


class ProgramStep(Model):
    """One step of the agency's program: in month 1 to 8, so many days into the month, at an hour
    of the client's day."""

    __tablename__ = "program_steps"
    __table_args__ = (Index("ix_program_steps_workspace_id_month", "workspace_id", "month", "day_offset"),
                      one_of("kind", StepKind))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    month: Mapped[int]
    day_offset: Mapped[int] = mapped_column(default=0)  # 0: the month's first day
    hour: Mapped[int] = mapped_column(default=9)  # in the client's time zone
    kind: Mapped[StepKind] = mapped_column(enum_type(StepKind, 20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[timestamp]


class AutomationStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"  # claimed by a worker (its lease says until when)
    DONE = "done"
    FAILED = "failed"  # after its retries: shown to staff until retried or skipped
    HELD = "held"  # fell due while the program was paused: staff run it now or skip it
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Automation(Model):
    """A step of one client's program, due at an instant (UTC)."""

    __tablename__ = "automations"
    __table_args__ = (
        Index("ix_automations_due", "status", "next_attempt_at"),
        Index("ix_automations_client_id_due_at", "client_id", "due_at"),
        UniqueConstraint("client_id", "step_id"),  # a program started twice schedules a step once
        one_of("kind", StepKind),
        one_of("status", AutomationStatus),
    )

    workspace_id: Mapped[workspace_fk]
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("program_steps.id", ondelete="SET NULL"))
    kind: Mapped[StepKind] = mapped_column(enum_type(StepKind, 20))
    month: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime]
    status: Mapped[AutomationStatus] = mapped_column(enum_type(AutomationStatus, 12), default=AutomationStatus.SCHEDULED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    result: Mapped[dict] = mapped_column(default=dict)  # what it made (a deliverable's id)
    created_at: Mapped[timestamp]

    client: Mapped["Client"] = relationship()


class LogOutcome(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"
    HELD = "held"
    RESCHEDULED = "rescheduled"


class AutomationLog(Model):
    __tablename__ = "automation_logs"
    __table_args__ = (Index("ix_automation_logs_client_id_id", "client_id", "id"), one_of("outcome", LogOutcome))

    workspace_id: Mapped[workspace_fk]
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    automation_id: Mapped[int | None] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"), index=True)
    worker: Mapped[str] = mapped_column(String(80), default="")
    outcome: Mapped[LogOutcome] = mapped_column(enum_type(LogOutcome, 12))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[timestamp]
