"""The rules of the journey: the agency's program steps, starting a client's program, pausing and
resuming it, the decisions staff make about steps that fell inside a pause, and the timelines."""
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.database import changed_rows, utcnow
from studio.extensions import db, insert_in_dialect
from studio.journey.clock import due_instant, month_start, program_month
from studio.journey.models import (
    PROGRAM_MONTHS,
    Automation,
    AutomationLog,
    AutomationStatus,
    LogOutcome,
    ProgramStep,
    StepKind,
)
from studio.portal.models import Client, ClientStatus
from studio.refusal import Refused

UPCOMING = (AutomationStatus.SCHEDULED, AutomationStatus.RUNNING)
PLACEHOLDER = re.compile(r"\{(name|first_name|month|agency)\}")


# ---- the agency's program ----------------------------------------------------------------------


def steps_of(workspace: Workspace) -> Sequence[ProgramStep]:
    return db.session.execute(select(ProgramStep).where(ProgramStep.workspace_id == workspace.id)
                              .order_by(ProgramStep.month, ProgramStep.day_offset, ProgramStep.hour, ProgramStep.id)).scalars().all()


def save_step(workspace: Workspace, step: ProgramStep | None, month: int, day_offset: int, hour: int, kind: str,
              title: str, body: str) -> ProgramStep:
    """Add a step, or change one. Clients whose programs have started keep what was scheduled for
    them; a new step reaches them the next time their program is (re)scheduled."""
    if not 1 <= month <= PROGRAM_MONTHS:
        raise Refused(f"Choose a month from 1 to {PROGRAM_MONTHS}.", "month")
    step = step or ProgramStep(workspace_id=workspace.id)
    step.month, step.day_offset, step.hour, step.kind = month, day_offset, hour, StepKind(kind)
    step.title, step.body = title.strip(), body.strip()
    db.session.add(step)
    db.session.commit()
    return step


def delete_step(step: ProgramStep) -> None:
    db.session.delete(step)
    db.session.commit()


# ---- a client's program ------------------------------------------------------------------------


def zone_or_refuse(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused("Choose a time zone from the list.", "zone") from None
    return zone


def start_program(client: Client, start: date, zone: str) -> int:
    """Schedule every step of every month for the client, from `start` in `zone`; returns how many
    were scheduled. Starting again adds only steps not yet scheduled (each step once per client, by
    a unique key), so a double click or a second worker does nothing twice; a new first day or zone
    moves the steps still to come to the new calendar (and forgets earlier pauses)."""
    if client.paused_at is not None:
        raise Refused("Resume the program before you start it again.")
    zone = zone_or_refuse(zone)
    if client.program_start is not None and (start, zone) != (client.program_start, client.program_zone):
        client.paused_days = 0
        for automation, step in db.session.execute(select(Automation, ProgramStep).join(
                ProgramStep, ProgramStep.id == Automation.step_id).where(
                Automation.client_id == client.id, Automation.status == AutomationStatus.SCHEDULED)).all():
            automation.due_at = automation.next_attempt_at = due_instant(start, step.month, step.day_offset, step.hour, zone)
    client.program_start, client.program_zone = start, zone
    workspace = db.session.get_one(Workspace, client.workspace_id)
    made = 0
    for step in steps_of(workspace):
        due = due_instant(start, step.month, step.day_offset + client.paused_days, step.hour, zone)
        result = db.session.execute(insert_in_dialect(Automation).values(
            workspace_id=client.workspace_id, client_id=client.id, step_id=step.id, kind=step.kind, month=step.month,
            title=fill(step.title, client, step.month)[:200], body=fill(step.body, client, step.month),
            status=AutomationStatus.SCHEDULED, due_at=due, next_attempt_at=due, attempts=0, max_attempts=3, result={},
            created_at=utcnow()).on_conflict_do_nothing(index_elements=["client_id", "step_id"]).returning(Automation.id))
        made += result.first() is not None
    client.current_month = current_month(client)
    db.session.commit()
    return made


def celebrate(client: Client, title: str, body: str) -> Automation | None:
    """A celebration outside the plan (an analytics milestone of the client's own account), run by
    the next round of the runner; none for a client whose program has not started."""
    if client.program_start is None:
        return None
    now = utcnow()
    automation = Automation(workspace_id=client.workspace_id, client_id=client.id, kind=StepKind.CELEBRATION,
                            month=current_month(client, now), title=title[:200], body=body, due_at=now, next_attempt_at=now)
    db.session.add(automation)
    db.session.commit()
    return automation


def next_steps(client: Client, limit: int = 3) -> Sequence[Automation]:
    """What comes next for the client (not the team's escalations about her)."""
    return db.session.execute(select(Automation).where(Automation.client_id == client.id,
                                                       Automation.status == AutomationStatus.SCHEDULED,
                                                       Automation.kind != StepKind.ESCALATION)
                              .order_by(Automation.due_at).limit(limit)).scalars().all()


def fill(template: str, client: Client, month: int) -> str:
    """A step's words for this client: {name}, {first_name}, {month}, {agency} filled in (when the
    program is scheduled, so both timelines read as the client will)."""
    values = {"name": client.name, "first_name": client.name.split()[0] if client.name else "", "month": str(month),
              "agency": client.workspace.name}
    # Only these four are filled: any other brace is the agency's own text, left as written.
    return PLACEHOLDER.sub(lambda found: values[found.group(1)], template)


def log(automation: Automation, outcome: LogOutcome, message: str, worker: str = "") -> None:
    db.session.add(AutomationLog(workspace_id=automation.workspace_id, client_id=automation.client_id,
                                 automation_id=automation.id, worker=worker[:80], outcome=outcome, message=message))


def pause(client: Client, reason: str, now: datetime | None = None) -> None:
    """Hold every step until resumed: the runner passes a paused client's steps by (and a step
    claimed before the pause is handed back untouched)."""
    if not reason.strip():
        raise Refused("Say why the program pauses (the client sees it).", "reason")
    if changed_rows(db.session.execute(update(Client).where(Client.id == client.id, Client.paused_at.is_(None)).values(
            paused_at=now or utcnow(), pause_reason=reason.strip()[:300], status=ClientStatus.PAUSED))) != 1:
        db.session.rollback()
        raise Refused("The program is paused already.")
    db.session.commit()
    db.session.expire(client)


def resume(client: Client, now: datetime | None = None) -> tuple[int, int]:
    """Move every step still to come later by the days spent paused (days in the client's zone, so
    a step keeps its hour of her day across a change of clocks); a step that fell due inside the
    pause is held for staff to run now or skip. Returns (moved, held)."""
    seen, now = client.paused_at, now or utcnow()
    if seen is None:
        raise Refused("The program is not paused.")
    zone = ZoneInfo(client.program_zone)
    days = (now.astimezone(zone).date() - seen.astimezone(zone).date()).days
    # Conditional: of two people resuming at once, one moves the steps.
    if changed_rows(db.session.execute(update(Client).where(Client.id == client.id, Client.paused_at == seen).values(
            paused_at=None, pause_reason=None, status=ClientStatus.ACTIVE, paused_days=Client.paused_days + days))) != 1:
        db.session.rollback()
        raise Refused("The program was resumed already. Reload the page to see where it stands.")
    waiting = db.session.execute(select(Automation).where(Automation.client_id == client.id,
                                                          Automation.status == AutomationStatus.SCHEDULED)).scalars().all()
    moved = held = 0
    for automation in waiting:
        if automation.due_at < seen:
            continue  # due before the pause (a retry waiting): it runs as it would have
        if automation.due_at < now:
            automation.status, held = AutomationStatus.HELD, held + 1
            log(automation, LogOutcome.HELD, "Fell due while the program was paused: run it now or skip it.")
        elif days:
            local = automation.due_at.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
            automation.due_at = automation.next_attempt_at = local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
            moved += 1
    db.session.commit()
    db.session.refresh(client)
    client.current_month = current_month(client, now)
    db.session.commit()
    return moved, held


def decide(automation: Automation, run: bool, by: User) -> None:
    """A held or failed step: run it now, or skip it (both logged)."""
    settled = changed_rows(db.session.execute(
        update(Automation).where(Automation.id == automation.id,
                                 Automation.status.in_((AutomationStatus.HELD, AutomationStatus.FAILED)))
        .values(status=AutomationStatus.SCHEDULED if run else AutomationStatus.SKIPPED,
                next_attempt_at=utcnow(), attempts=0 if run else Automation.attempts)))
    if settled != 1:
        db.session.rollback()
        raise Refused("This step was settled already. Reload the page to see where it stands.")
    db.session.expire(automation)
    log(automation, LogOutcome.RESCHEDULED if run else LogOutcome.SKIPPED,
        f"{by.name} chose to {'run it now' if run else 'skip it'}.")
    db.session.commit()


def refresh_months(now: datetime | None = None) -> int:
    """Keep each started client's month current between steps (pages and the coach read it)."""
    changed = 0
    for client in db.session.execute(select(Client).where(Client.program_start.is_not(None),
                                                          Client.paused_at.is_(None))).scalars():
        month = current_month(client, now)
        if month != client.current_month:
            client.current_month, changed = month, changed + 1
    db.session.commit()
    return changed


def current_month(client: Client, now: datetime | None = None) -> int:
    if client.program_start is None:
        return client.current_month
    today = (now or utcnow()).astimezone(ZoneInfo(client.program_zone)).date()
    return max(1, program_month(client.program_start, today, client.paused_days))


# ---- reading -----------------------------------------------------------------------------------


class Timeline(NamedTuple):
    past: Sequence[Automation]  # done, skipped, failed, held: newest first
    upcoming: Sequence[Automation]  # soonest first
    next_month: list[Automation]  # the steps of the month after this one (a preview)
    logs: dict[int, list[AutomationLog]]  # each automation's runs


def timeline_of(client: Client, for_staff: bool = True, upcoming_limit: int = 12) -> Timeline:
    """The client's steps; the team's (for_staff) with each run's log and the escalations, hers
    without them."""
    query = select(Automation).where(Automation.client_id == client.id)
    if not for_staff:
        query = query.where(Automation.kind != StepKind.ESCALATION)
    rows = db.session.execute(query.order_by(Automation.due_at, Automation.id)).scalars().all()
    with_logs = for_staff
    upcoming = [a for a in rows if a.status in UPCOMING]
    past = sorted((a for a in rows if a.status not in UPCOMING), key=lambda a: a.done_at or a.due_at, reverse=True)
    month = current_month(client)
    logs: dict[int, list[AutomationLog]] = {}
    if with_logs:
        for entry in db.session.execute(select(AutomationLog).where(AutomationLog.client_id == client.id)
                                        .order_by(AutomationLog.id)).scalars():
            logs.setdefault(entry.automation_id or 0, []).append(entry)
    return Timeline(past, upcoming[:upcoming_limit], [a for a in upcoming if a.month == month + 1], logs)


def month_begins(client: Client, month: int) -> date | None:
    return month_start(client.program_start, month) if client.program_start else None


def needing_attention(workspace: Workspace) -> Sequence[Automation]:
    """Steps that failed after their retries or wait for a decision, across the clients."""
    return db.session.execute(select(Automation).where(
        Automation.workspace_id == workspace.id,
        Automation.status.in_((AutomationStatus.FAILED, AutomationStatus.HELD))).order_by(Automation.due_at)
        .options(joinedload(Automation.client)).limit(50)).scalars().all()
