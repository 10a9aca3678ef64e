"""One refresh at a time per connection (issue 13, hole 2).

Two workers find one connection's token about to run out at the same moment. Before, both sent
the same refresh token; the platform rotates it, so the second was refused `invalid_grant` and the
connection was marked expired although a valid token had just been stored: every delivery behind
it failed "needs reconnecting" and the workspace was e-mailed. Now one refreshes and the others
wait for it and use its token. Run through the real sandbox over HTTP (the live server), with
its token endpoint slowed to a second, each worker with its own database session."""
import threading
from datetime import timedelta

import pytest
import requests

from studio.connections import service
from studio.connections.models import PlatformConnection
from studio.database import utcnow
from studio.extensions import db
from studio.platforms.errors import AuthError
from studio.sandbox.service import count_calls, revoke_all_tokens, set_faults
from tests.factories import make_sandbox_connection, make_workspace, owner_of


@pytest.fixture
def nearly_expired(app, live_server):
    """A sandbox connection whose token has 30 seconds left; the token endpoint takes a second."""
    workspace = make_workspace(name="Busy Kitchen")
    connection = make_sandbox_connection(workspace, handle="busy_kitchen")
    connection.expires_at = utcnow() + timedelta(seconds=30)
    db.session.commit()
    set_faults(token_latency_ms=1000)
    return connection


def at_once(app, connection_id, *jobs):
    """Run each job(connection) in a thread of its own, with its own app context and database
    session, all released together; returns what each returned (or raised)."""
    start = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        with app.app_context():
            try:
                connection = db.session.get(PlatformConnection, connection_id)
                prepared = job(connection)  # a job may prepare, then hand back what to run at the signal
                start.wait(timeout=30)
                results[index] = prepared()
            except Exception as error:  # noqa: BLE001 - the test looks at what each worker met
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


def a_delivery(connection):
    """What the engine does before publishing."""
    return lambda: service.fresh_access_token(connection)


def the_refresh_job(connection):
    return service.refresh_due_connections


def reconnect_emails(outbox):
    return [message for message in outbox.messages() if message["Subject"].startswith("Reconnect")]


def workspace_of(connection):
    from studio.accounts.models import Workspace

    return db.session.get(Workspace, connection.workspace_id)


def reload(connection_id):
    db.session.expire_all()
    return db.session.get(PlatformConnection, connection_id)


def api_me(live_server, token):
    return requests.get(f"{live_server}/sandbox/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_two_workers_refreshing_one_connection_at_once_leave_it_active(app, live_server, nearly_expired, outbox):
    results = at_once(app, nearly_expired.id, a_delivery, a_delivery)

    assert all(isinstance(result, str) for result in results), results
    assert results[0] == results[1], "the worker that waited uses the token the other one stored"
    connection = reload(nearly_expired.id)
    assert connection.status == "active" and connection.last_error is None
    assert connection.expires_at > utcnow() + timedelta(minutes=30)
    assert connection.access_token == results[0]
    assert count_calls("token") == 1, "exactly one refresh reached the sandbox"
    assert reconnect_emails(outbox) == []
    assert api_me(live_server, results[0]).status_code == 200


def test_the_refresh_job_and_a_delivery_at_once_refresh_once(app, live_server, nearly_expired, outbox):
    job, token = at_once(app, nearly_expired.id, the_refresh_job, a_delivery)

    assert job == {"refreshed": 1, "expired": 0, "failed": 0} and isinstance(token, str), (job, token)
    connection = reload(nearly_expired.id)
    assert connection.status == "active" and connection.access_token == token
    assert count_calls("token") == 1
    assert reconnect_emails(outbox) == []


def test_a_manual_refresh_during_a_delivery_refreshes_once(app, live_server, nearly_expired, outbox):
    workspace = workspace_of(nearly_expired)
    client = app.test_client().log_in_as(owner_of(workspace))
    csrf_token = client.csrf_token()
    url = f"/w/{workspace.slug}/connections/{nearly_expired.id}/refresh"

    def manual_refresh(connection):
        return lambda: client.post(url,
                                   data={"csrf_token": csrf_token}, follow_redirects=True)

    page, token = at_once(app, nearly_expired.id, manual_refresh, a_delivery)

    assert isinstance(token, str), token
    assert "Refreshed @busy_kitchen." in page.get_data(as_text=True)
    connection = reload(nearly_expired.id)
    assert connection.status == "active" and connection.access_token == token
    assert count_calls("token") == 1
    assert reconnect_emails(outbox) == []


def test_a_worker_holding_a_token_another_refresh_replaced_uses_the_new_one(app, live_server):
    """The engine's path: a call refused with the old token refreshes, and finds the new one."""
    connection = make_sandbox_connection(make_workspace(name="Two Workers"))
    old_token = connection.access_token
    with app.app_context():  # another worker, with its own session, refreshes first
        service.refresh_connection(db.session.get(PlatformConnection, connection.id))
        db.session.remove()
    assert connection.access_token == old_token  # this worker still holds the old one
    assert api_me(live_server, old_token).status_code == 401

    service.refresh_connection(connection)

    assert connection.access_token != old_token and connection.status == "active"
    assert count_calls("token") == 1, "it used the stored token instead of refreshing again"
    assert api_me(live_server, connection.access_token).status_code == 200


def test_a_refresh_token_the_platform_revoked_expires_the_connection_once(app, live_server, nearly_expired, outbox):
    revoke_all_tokens()

    results = at_once(app, nearly_expired.id, a_delivery, a_delivery)

    assert all(isinstance(result, AuthError) for result in results), results
    connection = reload(nearly_expired.id)
    assert connection.status == "expired" and connection.last_error
    assert count_calls("token") == 1, "the worker that waited did not send the refused token again"
    [email] = reconnect_emails(outbox)
    assert email["To"] == owner_of(workspace_of(connection)).email
    assert email["Subject"] == "Reconnect Sandbox account @busy_kitchen"


def test_a_refused_token_no_longer_stored_does_not_expire_the_connection(app, live_server, outbox):
    """What the compare-and-swap guards: a refresh refused with a token that another writer (a
    reconnect, or a worker without the lock) has meanwhile replaced leaves the new tokens alone."""
    from studio.platforms.base import Tokens

    connection = make_sandbox_connection(make_workspace(name="Swapped"))
    sent = service.reread_connection(connection)
    db.session.commit()
    with app.app_context():  # meanwhile a reconnect stores new tokens
        other = db.session.get(PlatformConnection, connection.id)
        service.apply_tokens(other, Tokens(access_token="new-access", refresh_token="new-refresh",
                                           expires_at=utcnow() + timedelta(hours=2)))
        db.session.commit()
        db.session.remove()

    assert service.expire_if_unchanged(connection, sent, "invalid_grant") is False
    assert connection.status == "active" and connection.refresh_token == "new-refresh"
    assert service.store_if_unchanged(connection, sent, Tokens(access_token="late", refresh_token="late",
                                                               expires_at=utcnow() + timedelta(hours=1))) is False
    assert connection.access_token == "new-access", "the newer tokens stand"
    assert reconnect_emails(outbox) == []
