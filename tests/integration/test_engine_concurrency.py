"""One worker publishes several deliveries at the same time (PUBLISH_CONCURRENCY threads), never
two of the same account at once, and stops cleanly on SIGTERM: what has not reached its create
call is handed back, and nothing is lost or sent twice."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from studio.extensions import db
from studio.publishing import engine
from studio.publishing.models import Delivery, PublishAttempt
from studio.sandbox.models import SandboxPost
from studio.sandbox.service import count_calls, reset_faults, set_faults
from tests.factories import make_post, make_sandbox_connection, make_stored_asset, make_studio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def studio(app, live_server):
    app.config.update(PUBLISH_BACKOFF_SECONDS=0, PUBLISH_LOOKUP_DELAY_SECONDS=0, PUBLISH_TIMEOUT_SECONDS=5,
                      PUBLISH_CONCURRENCY=4)
    yield make_studio(name="Busy Morning")
    reset_faults()


def spans(attempts):
    return [(a.started_at, a.started_at + timedelta(milliseconds=a.duration_ms)) for a in attempts]


def overlap(first, second):
    return first[0] < second[1] and second[0] < first[1]


def test_several_accounts_publish_at_once_but_one_account_one_at_a_time(app, studio):
    workspace, owner = studio.workspace, studio.owner
    accounts = [make_sandbox_connection(workspace, f"cam_{n}") for n in range(3)]
    for account in accounts:
        for n in range(2):
            make_post(workspace=workspace, author=owner, connections=[account], message=f"Post {n} for @{account.username}")
    set_faults(create_latency_ms=500)
    assert engine.run_until_idle() == 6
    deliveries = db.session.execute(select(Delivery)).scalars().all()
    assert {d.status for d in deliveries} == {"published"} and count_calls("create") == 6
    by_account = {}
    for delivery in deliveries:
        by_account.setdefault(delivery.connection_id, []).extend(spans(delivery.attempts))
    for account_spans in by_account.values():
        assert not overlap(*account_spans), "an account's two posts went out one after the other"
    first_of_each = [sorted(s)[0] for s in by_account.values()]
    assert overlap(first_of_each[0], first_of_each[1]) and overlap(first_of_each[1], first_of_each[2]), \
        "different accounts' posts went out at the same time"


def test_sigterm_finishes_or_hands_back_what_the_worker_holds(app, studio):
    workspace, owner = studio.workspace, studio.owner
    accounts = [make_sandbox_connection(workspace, f"cam_{n}") for n in range(4)]
    for account in accounts:
        images = [make_stored_asset(workspace, "image", 2048) for _ in range(3)]
        make_post(workspace=workspace, author=owner, connections=[account], message=f"Three photos for @{account.username}",
                  media=images)
    set_faults(no_idempotency=True, media_latency_ms=400)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "STUDIO_INSTANCE_PATH": app.instance_path,
           "SECRET_KEY": app.config["SECRET_KEY"], "SANDBOX_BASE_URL": app.config["SANDBOX_BASE_URL"],
           "PUBLISH_CONCURRENCY": "4", "SCHEDULER_ENABLED": "false"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "studio", "worker", "--until-idle"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while count_calls("media") < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.expire_all()
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    db.session.expire_all()
    deliveries = db.session.execute(select(Delivery)).scalars().all()
    assert "publishing" not in {d.status for d in deliveries}, "nothing is left held by a stopped worker"
    handed_back = [d for d in deliveries if d.status == "pending"]
    assert handed_back, "the stop came mid-upload"
    for delivery in handed_back:
        assert [a.outcome for a in delivery.attempts] == ["released"] and delivery.attempt_count == 0
    assert count_calls("create") == 4 - len(handed_back)

    engine.stopping.clear()
    set_faults(media_latency_ms=0)
    engine.run_until_idle()
    db.session.expire_all()
    assert {d.status for d in db.session.execute(select(Delivery)).scalars()} == {"published"}
    assert count_calls("create") == 4 and db.session.query(SandboxPost).count() == 4, "none lost, none twice"
    assert db.session.query(PublishAttempt).filter_by(outcome="published").count() == 4
