"""The publishing engine against the sandbox over real HTTP: every delivery published once, every
attempt logged, faults retried or stopped, crashed workers recovered without a second post."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine, service
from studio.publishing.models import Delivery, PublishAttempt, PublishedPost
from studio.refusal import Refused
from studio.sandbox.models import SandboxPost
from studio.sandbox.service import set_faults
from tests.factories import make_post, make_studio
from tests.helpers import frozen_at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def studio(app, live_server):
    app.config.update(PUBLISH_BACKOFF_SECONDS=0, PUBLISH_LOOKUP_DELAY_SECONDS=0, PUBLISH_TIMEOUT_SECONDS=5)
    return make_studio(name="Engine Room", sandbox_accounts=("kitchen_cam", "street_cam"))


def count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def settle(rounds=40):
    """Run the engine until nothing is due (retries with zero back-off come straight round)."""
    for _ in range(rounds):
        if not engine.run_until_idle(limit=50):
            pending = count(Delivery, Delivery.status.in_(("pending", "publishing")))
            if not pending:
                return
            time.sleep(0.05)
    raise AssertionError("deliveries did not settle")


def assert_exactly_once():
    published = db.session.execute(select(Delivery).where(Delivery.status == "published")).scalars().all()
    assert count(SandboxPost) == len(published), "the sandbox holds exactly the published deliveries"
    references = db.session.execute(select(SandboxPost.client_reference)).scalars().all()
    assert len(references) == len(set(references))
    assert sorted(d.platform_post_id for d in published) == sorted(
        str(i) for i in db.session.execute(select(SandboxPost.id)).scalars())


def test_a_post_goes_out_to_two_accounts_with_an_override(studio):
    workspace, owner, (kitchen, street) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen, street],
                     overrides={str(street.id): "Bread on Main St"})
    assert engine.run_once() == 2
    db.session.expire_all()
    assert post.status == "published"
    texts = dict(db.session.execute(select(SandboxPost.client_reference, SandboxPost.text)).all())
    assert sorted(texts.values()) == ["Bread on Main St", "Fresh bread at 7"]
    for delivery in post.deliveries:
        assert delivery.status == "published" and delivery.platform_url.endswith(f"/sandbox/p/{delivery.platform_post_id}")
        assert [a.outcome for a in delivery.attempts] == ["published"]
    assert count(PublishedPost) == 2
    assert_exactly_once()


def test_nothing_publishes_before_its_time(studio):
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=connections, message="Later",
                     scheduled_at=datetime.now() + timedelta(days=1))
    assert engine.run_once() == 0
    assert post.status == "scheduled" and count(SandboxPost) == 0


def test_with_errors_and_rate_limits_every_delivery_ends_final_and_logged(studio):
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    posts = [make_post(workspace=workspace, author=owner, connections=connections, message=f"Post {n}") for n in range(10)]
    set_faults(error_rate=0.3, rate_limit_rate=0.2, retry_after_seconds=0, latency_ms=0)
    settle()
    set_faults(0, 0, 30, 0)
    deliveries = db.session.execute(select(Delivery)).scalars().all()
    # A server error from a create call leaves it open whether the post was made: such a delivery is
    # looked up before it is tried again, and stops "unconfirmed" (never "failed") if tries run out.
    assert all(d.status in ("published", "failed", "unconfirmed") for d in deliveries)
    assert count(PublishAttempt) >= len(deliveries)
    assert count(PublishAttempt, PublishAttempt.outcome == "retryable") > 0, "faults really happened"
    for d in deliveries:
        assert len(d.attempts) == d.attempt_count
    assert {p.status for p in posts} <= {"published", "partially_failed", "failed"}
    assert_exactly_once()


def test_a_timeout_is_looked_up_instead_of_retried_blindly(studio, app):
    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen])
    app.config["PUBLISH_TIMEOUT_SECONDS"] = 1
    set_faults(error_rate=0, rate_limit_rate=0, retry_after_seconds=0, latency_ms=1500)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and delivery.needs_lookup
    time.sleep(1)  # the sandbox finishes the slow request: the post exists though we never heard
    set_faults(0, 0, 30, 0)
    settle()
    db.session.expire_all()
    assert delivery.status == "published"
    assert [a.outcome for a in delivery.attempts] == ["retryable", "recovered"]
    assert count(SandboxPost) == 1


def test_revoked_tokens_stop_at_failed_and_the_account_asks_for_reconnecting(studio, outbox):
    from studio.sandbox.service import revoke_all_tokens

    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen])
    revoke_all_tokens()
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "Reconnect" in delivery.last_error
    assert kitchen.status == "expired" and count(SandboxPost) == 0
    assert service.needing_attention(workspace) == [delivery]
    subjects = [m["Subject"] for m in outbox.to(owner.email)]
    assert "A post to Sandbox @kitchen_cam did not go out" in subjects


def test_an_expired_lease_is_recovered_without_a_second_post(studio):
    """A worker published and died before recording it: the next worker finds the post."""
    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen])
    [delivery] = post.deliveries
    assert engine.claim("dead-worker", 10) == [delivery.id]
    from studio.platforms import get_platform

    get_platform("sandbox").publish(kitchen.access_token, post.message, [], delivery.client_reference)
    delivery.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert engine.run_once("second-worker") == 1
    db.session.expire_all()
    assert delivery.status == "published" and [a.outcome for a in delivery.attempts] == ["recovered"]
    assert count(SandboxPost) == 1


def test_two_workers_at_once_never_publish_a_delivery_twice(studio, app):
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    for n in range(20):
        make_post(workspace=workspace, author=owner, connections=connections, message=f"Crowd {n}")

    def work(name):
        with app.app_context():
            engine.run_until_idle(worker=name, limit=5)
            db.session.remove()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    settle()
    assert count(Delivery, Delivery.status == "published") == 40
    assert count(PublishAttempt, PublishAttempt.outcome == "published") == 40
    assert_exactly_once()


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(studio, app):
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    for n in range(30):
        make_post(workspace=workspace, author=owner, connections=connections, message=f"Batch {n}")
    set_faults(error_rate=0, rate_limit_rate=0, retry_after_seconds=0, latency_ms=60)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "STUDIO_INSTANCE_PATH": app.instance_path,
           "SECRET_KEY": app.config["SECRET_KEY"], "SANDBOX_BASE_URL": app.config["SANDBOX_BASE_URL"],
           "PUBLISH_LEASE_SECONDS": "2", "SCHEDULER_ENABLED": "false"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "studio", "worker", "--until-idle"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while count(Delivery, Delivery.status == "published") < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
        db.session.expire_all()
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    published_before = count(Delivery, Delivery.status == "published")
    assert 0 < published_before < 60, "the worker died mid-run"
    set_faults(0, 0, 30, 0)
    time.sleep(2.1)  # its leases run out
    settle()
    assert count(Delivery, Delivery.status == "published") == 60
    assert_exactly_once()


def test_editing_or_cancelling_races_are_refused_plainly(studio):
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=connections, message="Original",
                     scheduled_at=datetime.now() + timedelta(hours=2))
    version = post.version
    service.update_post(post, version, "First edit", {}, None, "UTC")
    with pytest.raises(Refused, match="changed since you opened it"):
        service.update_post(post, version, "Second edit from a stale page", {}, None, "UTC")
    db.session.expire_all()
    assert post.message == "First edit"

    post.deliveries[0].next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    engine.claim("busy-worker", 1)  # the engine starts on one delivery
    db.session.expire_all()
    with pytest.raises(Refused, match="Publishing has already started"):
        service.update_post(post, post.version, "Too late", {}, None, "UTC")
    db.session.expire_all()
    assert post.message == "First edit"
    started = service.cancel(post, post.version)
    assert [d.status for d in started] == ["publishing"]
    assert sorted(d.status for d in post.deliveries) == ["cancelled", "publishing"]


@frozen_at("2026-03-01 09:00")
def test_a_post_at_nine_in_berlin_after_a_dst_change_publishes_at_nine_berlin_time(studio):
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    days = (("2026-10-26", 8), ("2026-03-30", 7))  # the days after autumn and spring changes
    for (day, utc_hour), account in zip(days, connections, strict=True):  # one account each: each claim stays in flight
        local = datetime.strptime(f"{day} 09:00", "%Y-%m-%d %H:%M")
        post = make_post(workspace=workspace, author=owner, connections=[account], message=f"Guten Morgen {day}",
                         scheduled_at=local, timezone="Europe/Berlin")
        assert post.scheduled_at.hour == utc_hour and service.local_time(post.scheduled_at, "Europe/Berlin").hour == 9
        assert engine.claim("early", 10, now=post.scheduled_at - timedelta(seconds=1)) == []
        assert engine.claim("on-time", 10, now=post.scheduled_at) == [post.deliveries[0].id]


def test_posts_that_fell_due_long_ago_wait_for_a_decision(studio):
    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen], message="Old news",
                     scheduled_at=datetime.utcnow() - timedelta(hours=8))
    assert service.mark_missed() == 1
    [delivery] = post.deliveries
    assert delivery.status == "missed" and post.status == "missed"
    assert engine.run_once() == 0
    service.retry(delivery)
    settle()
    db.session.expire_all()
    assert delivery.status == "published" and post.status == "published"


def test_a_daily_quota_holds_deliveries_until_the_reset(studio, app):
    from zoneinfo import ZoneInfo

    from studio.publishing import quota

    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    app.config.update(SANDBOX_DAILY_UNITS=3, SANDBOX_POST_UNITS=1)
    posts = [make_post(workspace=workspace, author=owner, connections=[kitchen], message=f"Quota {n}") for n in range(5)]
    engine.run_until_idle()
    statuses = sorted(p.deliveries[0].status for p in posts)
    assert statuses == ["pending", "pending", "published", "published", "published"]
    waiting = [p.deliveries[0] for p in posts if p.deliveries[0].status == "pending"]
    reset = waiting[0].next_attempt_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (reset.hour, reset.minute) == (0, 0) and "daily quota (3 units) is used up" in waiting[0].last_error
    today = utcnow().astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()
    assert quota.used("sandbox", today) == 3
    assert engine.run_until_idle(now=waiting[0].next_attempt_at) == 2
    assert {p.deliveries[0].status for p in posts} == {"published"}
    assert_exactly_once()


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_result(studio):
    """Worker A is slow; its lease runs out; B recovers and publishes; A's late answer changes
    nothing, but what A did is still written down."""
    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen])
    [delivery] = post.deliveries
    assert engine.claim("slow-worker", 10) == [delivery.id]
    delivery.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert engine.run_once("fast-worker") == 1
    db.session.expire_all()
    assert delivery.status == "published"
    late = engine.Outcome("failed", message="a late, stale answer")
    engine.settle(delivery.id, "slow-worker", late, utcnow(), 5)
    db.session.expire_all()
    assert delivery.status == "published" and delivery.attempt_count == 1
    assert [(a.worker, a.outcome) for a in delivery.attempts] == [("fast-worker", "published"),
                                                                  ("slow-worker", "lease_lost")]
    assert "a late, stale answer" in delivery.attempts[1].error


def test_an_unexpected_error_counts_as_a_try_and_is_retried(studio, monkeypatch):
    from studio.platforms.sandbox import Sandbox

    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    post = make_post(workspace=workspace, author=owner, connections=[kitchen])

    def explode(*args, **kwargs):
        raise KeyError("id")

    monkeypatch.setattr(Sandbox, "publish", explode)
    engine.run_once()
    [delivery] = post.deliveries
    db.session.expire_all()
    assert delivery.status == "pending" and delivery.attempt_count == 1 and "Unexpected error: KeyError" in delivery.last_error
    monkeypatch.undo()
    settle()
    db.session.expire_all()
    assert delivery.status == "published"


def test_long_overdue_posts_are_not_claimed_before_a_person_decides(studio):
    workspace, owner, (kitchen, _) = studio.workspace, studio.owner, studio.connections
    make_post(workspace=workspace, author=owner, connections=[kitchen], message="From before the outage",
              scheduled_at=datetime.utcnow() - timedelta(hours=8))
    assert engine.run_once() == 0 and count(SandboxPost) == 0
