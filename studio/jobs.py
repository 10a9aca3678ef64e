"""Background jobs: one table of what runs when, registered on the shared APScheduler instance.
Each job runs in an app context of its own, through `run_job`."""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import Flask

from studio.accounts.service import prune_login_attempts
from studio.analytics.sync import sync_account_stats, sync_recent
from studio.community.events import send_event_reminders
from studio.connections.service import refresh_due_connections
from studio.content.approvals import remind_stalled
from studio.content.requests import remind_due
from studio.extensions import scheduler
from studio.journey.runner import run_due
from studio.journey.service import refresh_months
from studio.library.service import process_pending
from studio.portal.service import send_message_emails, send_weekly_summaries
from studio.publishing.engine import run_until_idle
from studio.publishing.recurrence import extend_all
from studio.publishing.service import mark_missed


def sync_metrics() -> int:
    return sync_recent() + sync_account_stats()


@dataclass(frozen=True)
class Job:
    id: str
    work: Callable[[], Any]
    trigger: str  # "interval" or "cron", with `when` as that trigger's arguments
    when: Mapping[str, Any]
    first_run_after: timedelta | None = None  # sooner than one interval after start


JOBS: tuple[Job, ...] = (
    Job("prune_login_attempts", prune_login_attempts, "interval", {"hours": 1}),
    Job("refresh_connections", refresh_due_connections, "interval", {"minutes": 5}),
    # Uploaded files are probed within seconds; claims make several workers safe.
    Job("process_media", process_pending, "interval", {"seconds": 3}),
    Job("publish_due", partial(run_until_idle, max_seconds=50), "interval", {"seconds": 2}),
    Job("mark_missed_posts", mark_missed, "interval", {"minutes": 1}),
    Job("extend_series", extend_all, "interval", {"hours": 1}),
    # First run shortly after start, so a fresh studio shows numbers without a 15-minute wait.
    Job("sync_metrics", sync_metrics, "interval", {"minutes": 15}, first_run_after=timedelta(seconds=20)),
    # New-message e-mails go out in batches: each run sends what has waited out the batching window.
    Job("send_message_emails", send_message_emails, "interval", {"seconds": 30}),
    Job("send_event_reminders", send_event_reminders, "interval", {"minutes": 5}),
    # Approvals that stalled, and requests due tomorrow: hourly is soon enough for a day's notice.
    Job("remind_approvals", remind_stalled, "interval", {"hours": 1}),
    # The clients' programs: due steps claimed and run (retries come round on the same beat).
    Job("run_program_steps", run_due, "interval", {"seconds": 30}),
    Job("refresh_program_months", refresh_months, "interval", {"hours": 1}),
    Job("remind_requests_due", remind_due, "interval", {"hours": 1}),
    Job("send_weekly_summaries", send_weekly_summaries, "cron",
        {"day_of_week": "mon", "hour": 8, "minute": 0, "timezone": "UTC"}),
)
JOBS_BY_ID: dict[str, Job] = {job.id: job for job in JOBS}


def run_job(app: Flask, job_id: str) -> Any:
    """Run one job as the scheduler does: inside an app context of its own."""
    with app.app_context():
        return JOBS_BY_ID[job_id].work()


def register_jobs(app: Flask, target: Any = None) -> None:
    """Every job in the table, on `target` (the shared scheduler unless given another)."""
    target = target or scheduler
    for job in JOBS:
        extra: dict[str, Any] = {}
        if job.first_run_after:
            extra["next_run_time"] = datetime.now(UTC) + job.first_run_after
        target.add_job(run_job, job.trigger, args=[app, job.id], id=job.id, name=job.id, replace_existing=True,
                       coalesce=True, max_instances=1, **job.when, **extra)
