"""Background jobs, registered on the shared APScheduler instance."""
from datetime import timedelta

from sqlalchemy import delete

from studio.extensions import scheduler


def prune_login_attempts(app, keep=timedelta(days=1)):
    """Failed log-ins matter only for the rate limit's short window; drop the old ones."""
    from studio.accounts.models import LoginAttempt
    from studio.database import utcnow
    from studio.extensions import db

    with app.app_context():
        result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - keep))
        db.session.commit()
        return result.rowcount


def register_jobs(app):
    scheduler.add_job(
        prune_login_attempts, "interval", hours=1, args=[app], id="prune_login_attempts", replace_existing=True,
        coalesce=True, max_instances=1,
    )
