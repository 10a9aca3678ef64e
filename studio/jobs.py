"""Background jobs, registered on the shared APScheduler instance. Each job runs in an app context."""
from datetime import datetime, timedelta, timezone

from studio.extensions import scheduler


def prune_login_attempts(app):
    from studio.accounts.service import prune_login_attempts

    with app.app_context():
        return prune_login_attempts()


def refresh_connections(app):
    from studio.connections.service import refresh_due_connections

    with app.app_context():
        return refresh_due_connections()


def process_media(app):
    from studio.library.service import process_pending

    with app.app_context():
        return process_pending()


def publish_due(app):
    from studio.publishing.engine import run_until_idle

    with app.app_context():
        return run_until_idle(max_seconds=50)


def mark_missed_posts(app):
    from studio.publishing.service import mark_missed

    with app.app_context():
        return mark_missed()


def extend_series(app):
    from studio.publishing.recurrence import extend_all

    with app.app_context():
        return extend_all()


def sync_metrics(app):
    from studio.publishing.metrics import sync_account_stats, sync_recent

    with app.app_context():
        return sync_recent() + sync_account_stats()


def send_message_emails(app):
    from studio.portal.service import send_message_emails

    with app.app_context():
        return send_message_emails()


def send_weekly_summaries(app):
    from studio.portal.service import send_weekly_summaries

    with app.app_context():
        return send_weekly_summaries()


def send_event_reminders(app):
    from studio.community.service import send_event_reminders

    with app.app_context():
        return send_event_reminders()


def register_jobs(app, target=None):
    target = target or scheduler
    target.add_job(
        prune_login_attempts, "interval", hours=1, args=[app], id="prune_login_attempts",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    target.add_job(
        refresh_connections, "interval", minutes=5, args=[app], id="refresh_connections",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    register_media_job(app, target)
    register_engine_jobs(app, target)


def register_engine_jobs(app, target=None, seconds=2):
    (target or scheduler).add_job(
        publish_due, "interval", seconds=seconds, args=[app], id="publish_due",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    (target or scheduler).add_job(
        mark_missed_posts, "interval", minutes=1, args=[app], id="mark_missed_posts",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    (target or scheduler).add_job(
        extend_series, "interval", hours=1, args=[app], id="extend_series",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    (target or scheduler).add_job(
        sync_metrics, "interval", minutes=15, args=[app], id="sync_metrics",
        replace_existing=True, coalesce=True, max_instances=1,
        # First run shortly after start, so a fresh studio shows numbers without a 15-minute wait.
        next_run_time=datetime.now(timezone.utc) + timedelta(seconds=20),
    )
    # New-message e-mails go out in batches: the job sends what has waited out the batching window.
    (target or scheduler).add_job(
        send_message_emails, "interval", seconds=30, args=[app], id="send_message_emails",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    (target or scheduler).add_job(
        send_event_reminders, "interval", minutes=5, args=[app], id="send_event_reminders",
        replace_existing=True, coalesce=True, max_instances=1,
    )
    (target or scheduler).add_job(
        send_weekly_summaries, "cron", day_of_week="mon", hour=8, minute=0, timezone="UTC", args=[app],
        id="send_weekly_summaries", replace_existing=True, coalesce=True, max_instances=1,
    )


def register_media_job(app, target=None, seconds=3):
    """Uploaded files are probed within seconds; claims make several workers safe."""
    (target or scheduler).add_job(
        process_media, "interval", seconds=seconds, args=[app], id="process_media",
        replace_existing=True, coalesce=True, max_instances=1,
    )
