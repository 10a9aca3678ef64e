"""The engine publishes each delivery once even when uploads outlast a lease, when a create call
fails after the post was made, and when a platform keeps no idempotency key (as X does): the
sandbox counts every create call that reaches it. Runs on SQLite and on PostgreSQL."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine
from studio.publishing.models import Delivery, PublishAttempt
from studio.sandbox.models import SandboxPost
from studio.sandbox.service import count_calls, reset_faults, set_faults
from tests.factories import make_post, make_stored_asset, make_studio


@pytest.fixture
def studio(app, live_server):
    app.config.update(PUBLISH_BACKOFF_SECONDS=0, PUBLISH_LOOKUP_DELAY_SECONDS=0, PUBLISH_TIMEOUT_SECONDS=5)
    yield make_studio(name="Exactly Once", sandbox_accounts=("kitchen_cam",))
    reset_faults()


def posts_on_the_sandbox():
    return db.session.execute(select(func.count()).select_from(SandboxPost)).scalar_one()


def in_a_worker(app, name, until):
    """A second worker process's loop, in a thread with its own app context and session."""
    def loop():
        with app.app_context():
            while not until.is_set():
                engine.run_once(name)
                time.sleep(0.2)
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_an_upload_longer_than_the_lease_is_not_published_twice_by_a_second_worker(app, studio):
    """Worker A uploads five images at 0.4 s a call (16 calls, ~6.5 s) under a 2 s lease while
    worker B looks for work every 0.2 s. A's lease is renewed as it works, so B never takes the
    delivery over; with no idempotency on the platform, a second create would be a second post."""
    workspace, owner, account = studio.workspace, studio.owner, studio.connection
    app.config["PUBLISH_LEASE_SECONDS"] = 2
    images = [make_stored_asset(workspace, "image", 2048) for _ in range(5)]
    post = make_post(workspace=workspace, author=owner, connections=[account], message="Five photos from the market",
                     media=images)
    set_faults(no_idempotency=True, media_latency_ms=400, create_latency_ms=400)
    [claimed] = engine.claim("worker-a", 1)
    done = threading.Event()
    other = in_a_worker(app, "worker-b", done)
    try:
        engine.publish_delivery(claimed, "worker-a")
    finally:
        done.set()
        other.join(timeout=10)
    db.session.expire_all()
    [delivery] = post.deliveries
    assert delivery.status == "published"
    assert count_calls("create") == 1 and posts_on_the_sandbox() == 1, "one create call, one post"
    assert count_calls("media") == 15, "each image went up once: init, one part, finalize"
    assert [(a.worker, a.outcome) for a in delivery.attempts] == [("worker-a", "published")]


@pytest.mark.parametrize("fault", ["error_after_create_rate", "drop_after_create_rate"])
def test_a_create_that_fails_after_the_post_was_made_is_looked_up_not_sent_again(app, studio, fault):
    """The sandbox stores the post, then answers 500 or drops the connection. The engine does not
    know whether the post exists, so it looks it up before anything else; it finds it."""
    workspace, owner, account = studio.workspace, studio.owner, studio.connection
    post = make_post(workspace=workspace, author=owner, connections=[account], message="Did that go out?")
    set_faults(no_idempotency=True, **{fault: 1.0})
    assert engine.run_once() == 1
    [delivery] = post.deliveries
    db.session.refresh(delivery)
    assert delivery.status == "pending" and delivery.needs_lookup
    set_faults(error_after_create_rate=0.0, drop_after_create_rate=0.0)
    engine.run_until_idle()
    db.session.expire_all()
    assert delivery.status == "published"
    assert [a.outcome for a in delivery.attempts] == ["retryable", "recovered"]
    assert count_calls("create") == 1 and count_calls("lookup") == 1 and posts_on_the_sandbox() == 1
    assert delivery.platform_post_id == str(db.session.execute(select(SandboxPost.id)).scalar_one())


def test_the_look_up_waits_until_the_platform_can_see_the_post(app, studio):
    """The sandbox's search lags 1 s behind its creates: a look-up right after the uncertain answer
    would find nothing and post again. The engine waits PUBLISH_LOOKUP_DELAY_SECONDS first."""
    workspace, owner, account = studio.workspace, studio.owner, studio.connection
    app.config["PUBLISH_LOOKUP_DELAY_SECONDS"] = 2
    post = make_post(workspace=workspace, author=owner, connections=[account], message="Patience")
    set_faults(no_idempotency=True, error_after_create_rate=1.0, lookup_lag_seconds=1)
    engine.run_once()
    set_faults(error_after_create_rate=0.0)
    assert engine.run_once() == 0, "not due again before the look-up delay"
    time.sleep(2.1)
    engine.run_until_idle()
    db.session.expire_all()
    [delivery] = post.deliveries
    assert delivery.status == "published" and posts_on_the_sandbox() == 1 and count_calls("create") == 1


def test_an_attempt_that_lost_its_lease_stops_before_its_next_call_and_is_logged(app, studio):
    """Worker A is mid-upload when another worker takes the delivery over (its lease ran out while
    the database was away, say): A makes no further call, creates nothing, and writes its attempt."""
    workspace, owner, account = studio.workspace, studio.owner, studio.connection
    app.config["PUBLISH_LEASE_SECONDS"] = 1.5
    images = [make_stored_asset(workspace, "image", 2048) for _ in range(3)]
    post = make_post(workspace=workspace, author=owner, connections=[account], message="Taken over", media=images)
    [delivery] = post.deliveries
    set_faults(media_latency_ms=300)

    def take_over():
        time.sleep(1.0)
        with app.app_context():
            db.session.execute(db.update(Delivery).where(Delivery.id == delivery.id).values(lease_owner="worker-b"))
            db.session.commit()

    thief = threading.Thread(target=take_over)
    thief.start()
    engine.run_once("worker-a")
    thief.join()
    db.session.expire_all()
    assert count_calls("create") == 0 and posts_on_the_sandbox() == 0
    assert count_calls("media") < 9, "it stopped before the rest of the upload"
    [attempt] = db.session.execute(select(PublishAttempt)).scalars().all()
    assert attempt.worker == "worker-a" and attempt.outcome == "lease_lost"
    assert delivery.status == "publishing" and delivery.lease_owner == "worker-b", "worker B's to decide"


def test_a_stale_attempt_of_the_same_worker_cannot_act_on_a_delivery_claimed_again(app, studio):
    """Two claims by one worker process (same host, same PID) are told apart: after its lease ran
    out and the worker claimed the delivery again, the first attempt cannot renew or publish."""
    workspace, owner, account = studio.workspace, studio.owner, studio.connection
    post = make_post(workspace=workspace, author=owner, connections=[account], message="Once")
    [delivery] = post.deliveries
    [stale] = engine.claim("host:1", 1)  # what a claim wrote before claims were told apart
    db.session.execute(db.update(Delivery).where(Delivery.id == stale).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    set_faults(no_idempotency=True, create_latency_ms=1000)
    done = threading.Event()

    def claim_again():
        with app.app_context():
            engine.run_once("host:1")
        done.set()

    again = threading.Thread(target=claim_again)
    again.start()
    deadline = time.monotonic() + 10
    while count_calls("create") == 0 and time.monotonic() < deadline:  # the new claim's create is under way
        time.sleep(0.05)
        db.session.expire_all()
    engine.publish_delivery(stale, "host:1")  # the first attempt wakes up late
    again.join(timeout=15)
    db.session.expire_all()
    assert done.is_set() and delivery.status == "published"
    assert count_calls("create") == 1 and posts_on_the_sandbox() == 1


def test_an_error_after_the_create_went_out_is_looked_up_not_sent_again(app, studio, monkeypatch):
    """The post is made, then something after it fails (a status poll, a permalink): that says
    nothing about whether the post exists, so the next attempt looks it up."""
    from studio.platforms.errors import RetryableError
    from studio.platforms.sandbox import Sandbox

    workspace, owner, account = studio.workspace, studio.owner, studio.connection
    post = make_post(workspace=workspace, author=owner, connections=[account], message="Made, then a hiccup")
    made = Sandbox.publish

    def publish_then_fail(self, *args, **kwargs):
        made(self, *args, **kwargs)
        raise RetryableError("The sandbox answered 503 when asked for the post's address.")

    set_faults(no_idempotency=True)
    monkeypatch.setattr(Sandbox, "publish", publish_then_fail)
    engine.run_once()
    monkeypatch.setattr(Sandbox, "publish", made)
    [delivery] = post.deliveries
    db.session.refresh(delivery)
    assert delivery.status == "pending" and delivery.needs_lookup
    engine.run_until_idle()
    db.session.expire_all()
    assert delivery.status == "published" and [a.outcome for a in delivery.attempts] == ["retryable", "recovered"]
    assert count_calls("create") == 1 and posts_on_the_sandbox() == 1
