"""Running due steps, the publishing engine's way: each due automation is claimed by one
conditional UPDATE (status scheduled → running, with a lease), so any number of workers may run at
once and each step runs once; a worker that dies leaves a lease that runs out, and the step is
claimed again. A failure is retried with back-off, then shown to staff; every try is logged."""
import os
import socket
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update

from studio.accounts.models import Membership, User, Workspace
from studio.content import drafts
from studio.content.notices import approvers_of
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.journey.models import Automation, AutomationStatus, LogOutcome, StepKind
from studio.journey.service import current_month, log
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.notify.models import NotificationType
from studio.portal import service as portal
from studio.portal.models import Client, ClientStatus, Deliverable
from studio.publishing.claims import lease_name, worker_of
from studio.refusal import Refused
from studio.urls import external_url, path_for

LEASE = timedelta(minutes=5)
BATCH = 5  # claimed at a time: a lease covers a few steps, not a long queue
BACKOFF = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))
OVER = (ClientStatus.ARCHIVED, ClientStatus.COMPLETED)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def not_paused():
    return ~exists().where(Client.id == Automation.client_id, Client.paused_at.is_not(None))


def due(now: datetime):
    """Due: scheduled and its time has come, or running under a lease that ran out (its worker
    died) with tries left; and its client's program is not paused."""
    return and_(
        or_(and_(Automation.status == AutomationStatus.SCHEDULED, Automation.next_attempt_at <= now),
            and_(Automation.status == AutomationStatus.RUNNING, Automation.lease_expires_at < now,
                 Automation.attempts < Automation.max_attempts)),
        not_paused(),
    )


def claim(owner: str, limit: int, now: datetime) -> list[int]:
    ids = db.session.execute(select(Automation.id).where(due(now)).order_by(Automation.next_attempt_at, Automation.id)
                             .limit(limit)).scalars().all()
    claimed = []
    for automation_id in ids:
        # The conditions again in the UPDATE: whoever updates first has it; the others change nothing.
        if changed_rows(db.session.execute(
                update(Automation).where(Automation.id == automation_id, due(now))
                .values(status=AutomationStatus.RUNNING, lease_owner=owner, lease_expires_at=now + LEASE,
                        attempts=Automation.attempts + 1).execution_options(synchronize_session=False))) == 1:
            claimed.append(automation_id)
    db.session.commit()
    return claimed


def run_due(now: datetime | None = None, limit: int = 50, worker: str | None = None) -> int:
    """Claim and run what is due, a few at a time; returns how many steps this worker ran."""
    worker = worker or worker_name()
    give_up_on_lost(now or utcnow())
    ran = handled = 0
    while handled < limit:
        owner = lease_name(worker)  # each claim's own mark: a lease taken over is never mistaken for ours
        ids = claim(owner, min(BATCH, limit - handled), now or utcnow())
        if not ids:
            break
        handled += len(ids)
        ran += sum(run_one(automation_id, owner, now or utcnow()) for automation_id in ids)
    return ran


def take_turn(automation_id: int, owner: str) -> bool:
    """Just before a step runs: renew its lease, if it is still this claim's and its client is not
    paused (a pause pressed since the claim hands the step back untouched)."""
    held = [Automation.id == automation_id, Automation.status == AutomationStatus.RUNNING, Automation.lease_owner == owner]
    if changed_rows(db.session.execute(update(Automation).where(*held, not_paused())
                                       .values(lease_expires_at=utcnow() + LEASE))) == 1:
        db.session.commit()
        return True
    db.session.execute(update(Automation).where(*held).values(  # paused: back to waiting, the try not counted
        status=AutomationStatus.SCHEDULED, lease_owner=None, lease_expires_at=None, attempts=Automation.attempts - 1))
    db.session.commit()
    return False


def run_one(automation_id: int, owner: str, now: datetime) -> bool:
    if not take_turn(automation_id, owner):
        return False
    automation = db.session.get_one(Automation, automation_id)
    if automation.client.status in OVER:
        settle(automation, owner, AutomationStatus.CANCELLED, LogOutcome.SKIPPED,
               f"Not run: {automation.client.name}'s program is {automation.client.status}.")
        return True
    try:
        message = perform(automation)
    except Exception as error:  # noqa: BLE001  (any failure of a step is logged and retried, never lost)
        db.session.rollback()
        failed(db.session.get_one(Automation, automation_id), owner, now, f"{type(error).__name__}: {error}")
        return True
    settle(automation, owner, AutomationStatus.DONE, LogOutcome.SUCCESS, message)
    client = db.session.get_one(Client, automation.client_id)
    client.current_month = current_month(client)
    db.session.commit()
    return True


def settle(automation: Automation, owner: str, status: AutomationStatus, outcome: LogOutcome, message: str) -> None:
    """Finish the step under this claim's lease; one taken over meanwhile is left to its new owner."""
    finished = changed_rows(db.session.execute(
        update(Automation).where(Automation.id == automation.id, Automation.lease_owner == owner,
                                 Automation.status == AutomationStatus.RUNNING)
        .values(status=status, done_at=utcnow(), lease_owner=None, lease_expires_at=None, last_error=None,
                result=automation.result)))
    log(automation, outcome if finished else LogOutcome.RETRY,
        message if finished else "Ran, but another worker had taken it over.", worker_of(owner))
    db.session.commit()


def failed(automation: Automation, owner: str, now: datetime, error: str) -> None:
    """Try again later with back-off, or, after the last try, show it to staff as failed; only
    while this claim still holds the step."""
    current_app.logger.warning("program step %s failed (try %s): %s", automation.id, automation.attempts, error)
    retry = automation.attempts < automation.max_attempts
    next_try = now + BACKOFF[min(automation.attempts, len(BACKOFF)) - 1]
    values: dict[str, object] = {"lease_owner": None, "lease_expires_at": None, "last_error": error[:2000],
                                 "status": AutomationStatus.SCHEDULED if retry else AutomationStatus.FAILED}
    if retry:
        values["next_attempt_at"] = next_try
    changed = changed_rows(db.session.execute(update(Automation).where(
        Automation.id == automation.id, Automation.status == AutomationStatus.RUNNING, Automation.lease_owner == owner)
        .values(**values)))
    if not changed:
        log(automation, LogOutcome.RETRY, f"Failed ({error}), but another worker had taken it over.", worker_of(owner))
    elif retry:
        log(automation, LogOutcome.RETRY, f"Try {automation.attempts} failed: {error}. Trying again at "
            f"{next_try:%H:%M} UTC.", worker_of(owner))
    else:
        log(automation, LogOutcome.FAILED, f"Gave up after {automation.attempts} tries: {error}", worker_of(owner))
    db.session.commit()
    if changed and not retry:
        client = db.session.get_one(Client, automation.client_id)
        tell_staff(client, f"A program step failed for {client.name}: {automation.title}", error)


def give_up_on_lost(now: datetime) -> None:
    """A step whose worker died on its last try (its lease ran out) is not run again blindly: it
    fails, and staff hear of it."""
    lost = [Automation.status == AutomationStatus.RUNNING, Automation.lease_expires_at < now,
            Automation.attempts >= Automation.max_attempts]
    for automation in db.session.execute(select(Automation).where(*lost)).scalars().all():
        if changed_rows(db.session.execute(update(Automation).where(Automation.id == automation.id, *lost).values(
                status=AutomationStatus.FAILED, lease_owner=None, lease_expires_at=None,
                last_error="Its worker stopped during the last try."))) == 1:
            log(automation, LogOutcome.FAILED, "Its worker stopped during the last try: run it again or skip it.")
            db.session.commit()
            tell_staff(automation.client, f"A program step failed for {automation.client.name}: {automation.title}",
                       "Its worker stopped during the last try.")


# ---- what each kind of step does ---------------------------------------------------------------


def perform(automation: Automation) -> str:
    client = db.session.get_one(Client, automation.client_id)
    text, title = automation.body, automation.title  # filled in for the client when scheduled
    if automation.kind == StepKind.DELIVERABLE:
        return make_deliverable(automation, client, title, text)
    if automation.kind == StepKind.ESCALATION:
        told = tell_staff(client, f"{client.name}, month {automation.month}: {title}", text, automation)
        return f"Told {told} of the team."
    if automation.result.get("told"):
        return "Told already by an earlier run."
    # Marked told in the same commit as the notification: a run after a crash tells nobody twice.
    automation.result = {**automation.result, "told": True}
    said = []
    if client.user is not None:
        notify.notify(client.user.id, NotificationType.PROGRAM_STEP, title, text[:500],
                      path_for("portal.journey", client_id=client.id), workspace_id=client.workspace_id, client_id=client.id)
        said.append("in the portal")
    else:
        db.session.commit()
    if client.user is None or portal.wants_email(client.user, "milestone_reminder"):
        try:
            send_mail(client.email, title, "program_step", client=client, title=title, text=text,
                      link=external_url("portal.journey", client_id=client.id))
            said.append("by e-mail")
        except MailError as error:  # the notification in the portal still tells her
            return f"Told {' and '.join(said) or 'nobody'}; the e-mail failed: {error}"
    return f"Told {client.name} {' and '.join(said) or 'nothing: no portal log-in and no e-mail wanted'}."


def make_deliverable(automation: Automation, client: Client, title: str, body: str) -> str:
    """One deliverable per step, ever: a second run finds the one the first made (by its step)."""
    made = db.session.execute(select(Deliverable).where(Deliverable.automation_id == automation.id)).scalar_one_or_none()
    how = "made by an earlier run"
    if made is None:
        body, how = drafted(client, automation, title, body)
        author = db.session.execute(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.workspace_id == client.workspace_id, Membership.role == "owner").order_by(User.id)).scalars().first()
        made = Deliverable(workspace_id=client.workspace_id, client_id=client.id, automation_id=automation.id,
                           created_by_id=author.id if author else None, title=title, program_month=automation.month, body=body)
        db.session.add(made)
        db.session.flush()
    automation.result = {"deliverable_id": made.id}
    db.session.commit()
    portal.publish_deliverable(made)  # does nothing the second time
    return f"Shared the deliverable “{title}” ({how})."


def drafted(client: Client, automation: Automation, title: str, outline: str) -> tuple[str, str]:
    """The deliverable's text: written by the workspace's language model from the step's outline
    when one is set up (one AI generation on the plan), else the outline as the agency wrote it.
    A model that fails, or a plan with no generations left, falls back to the outline (said in the
    log), so the client still gets her deliverable."""
    workspace = db.session.get_one(Workspace, client.workspace_id)
    if drafts.model_for(workspace) is None:
        return outline, "from the program's text"
    messages = [{"role": "system", "content": "You write a creator program's monthly deliverable for one client: "
                                              "clear, warm, practical, in Markdown, under 400 words."},
                {"role": "user", "content": f"Client: {client.name} (niche: {client.niche or 'not given'}), month "
                                            f"{automation.month} of 8.\nDeliverable: {title}\nOutline:\n{outline}"}]
    try:
        text, model = drafts.write(workspace, messages, utcnow())
    except Refused as refusal:
        return outline, f"from the program's text: {refusal}"
    return (text or outline), f"written by {model}"


def tell_staff(client: Client, title: str, text: str, automation: Automation | None = None) -> int:
    """Tell the team's owners and admins; with the step, each once however often it runs."""
    slug = db.session.get_one(Workspace, client.workspace_id).slug
    people = approvers_of(client.workspace_id)
    for person in people:
        if automation is not None:
            told = automation.result.get("told_staff", [])
            if person.id in told:
                continue
            automation.result = {**automation.result, "told_staff": [*told, person.id]}  # committed with the notification
        notify.notify(person.id, NotificationType.PROGRAM_ESCALATION, title[:200], text[:500],
                      path_for("clients.journey", ws=slug, client_id=client.id), workspace_id=client.workspace_id)
        try:
            send_mail(person.email, title, "program_step", client=client, title=title, text=text,
                      link=external_url("clients.journey", ws=slug, client_id=client.id))
        except MailError as error:
            current_app.logger.warning("program e-mail to %s failed: %s", person.email, error)
    return len(people)
