"""Background jobs do their work inside the app, as the scheduler runs them."""
from datetime import timedelta

from sqlalchemy import select

from studio.accounts.models import LoginAttempt
from studio.database import utcnow
from studio.extensions import db, scheduler
from studio.jobs import register_jobs, run_job


def test_old_failed_log_ins_are_pruned_and_recent_ones_kept(app):
    db.session.add_all([
        LoginAttempt(email="old@example.com", ip="127.0.0.1", created_at=utcnow() - timedelta(days=2)),
        LoginAttempt(email="new@example.com", ip="127.0.0.1", created_at=utcnow() - timedelta(seconds=30)),
    ])
    db.session.commit()
    assert run_job(app, "prune_login_attempts") == 1
    assert db.session.execute(select(LoginAttempt.email)).scalars().all() == ["new@example.com"]


def test_the_scheduler_knows_the_jobs(app):
    register_jobs(app)
    try:
        assert scheduler.get_job("prune_login_attempts") is not None
    finally:
        scheduler.remove_all_jobs()
