"""The publishing status page shows a workspace its own deliveries, and nothing of anyone else's."""
from datetime import timedelta

from studio.database import utcnow
from studio.extensions import db
from studio.publishing import service
from studio.publishing.models import PublishAttempt, WorkerHeartbeat
from tests.factories import add_member, make_connection, make_workspace, owner_of


def busy_workspace():
    """A workspace whose post is stuck, whose other post failed, and a worker that tried it."""
    workspace = make_workspace(name="Bakery")
    owner, account = owner_of(workspace), make_connection(workspace, username="kitchen")
    stuck = service.create_post(workspace, owner, "Stuck", {}, [account], [], "now")
    stuck.deliveries[0].next_attempt_at -= timedelta(minutes=10)
    failed = service.create_post(workspace, owner, "Refused", {}, [account], [], "now")
    failed.deliveries[0].status = "failed"
    db.session.add(PublishAttempt(delivery_id=failed.deliveries[0].id, number=1, worker="press-a.internal:4242",
                                  outcome="permanent", error="No.", started_at=utcnow()))
    db.session.add(WorkerHeartbeat(worker="press-a.internal:4242", last_seen_at=utcnow(), published=17))
    db.session.commit()
    return workspace


def test_a_workspace_sees_its_own_figures_and_no_host_names(app):
    workspace = busy_workspace()
    page = app.test_client().log_in_as(owner_of(workspace)).text(f"/w/{workspace.slug}/publishing/status")
    assert "the engine may be stalled" in page and "1 delivery needs attention" in page
    assert "1 publish attempt for this workspace" in page and "A worker was last seen" in page
    assert "press-a.internal" not in page


def test_a_member_of_another_workspace_sees_nothing_of_its_deliveries_or_workers(app):
    busy_workspace()
    other = make_workspace(name="Florist")
    member = add_member(other, "viewer")
    page = app.test_client().log_in_as(member).text(f"/w/{other.slug}/publishing/status")
    assert "Nothing is waiting: every due post has gone out." in page
    assert "may be stalled" not in page and "0 deliveries need attention" in page
    assert "0 publish attempts for this workspace" in page
    assert "press-a.internal" not in page and "4242" not in page
