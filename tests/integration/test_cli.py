"""The `flask studio` commands an operator runs."""
from sqlalchemy import func, select

from studio.accounts.models import Invitation, Membership, User, Workspace
from studio.demo import DEMO_EMAIL, DEMO_PASSWORD
from studio.extensions import db


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_demo_fills_an_empty_database_once_and_prints_the_log_in(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["studio", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert f"Demo log-in: {DEMO_EMAIL} / {DEMO_PASSWORD}" in result.output
    users, workspaces, memberships = count(User), count(Workspace), count(Membership)
    assert users >= 5 and workspaces >= 3 and count(Invitation) >= 1
    from studio.library.models import MediaAsset

    library = db.session.execute(select(MediaAsset)).scalars().all()
    assert len(library) == 5 and {asset.status for asset in library} == {"ready"}
    assert {asset.aspect_ratio for asset in library} >= {"9:16", "16:9", "1:1", "4:5"}
    from studio.publishing.models import Post

    team_posts = select(Post).where(Post.client_id.is_(None), Post.request_id.is_(None))
    statuses = sorted(post.status for post in db.session.execute(team_posts).scalars())
    assert statuses == ["draft", "failed", "published", "published", "published", "scheduled", "scheduled", "scheduled"]
    # The content work: a team post from a request waiting for the team, Rosa's posts waiting for
    # the team (she asked for a change, since made), for her, and one she approved (scheduled).
    approvals = sorted((post.approval, post.status) for post in db.session.execute(
        select(Post).where((Post.client_id.is_not(None)) | (Post.request_id.is_not(None)))).scalars())
    assert approvals == [("approved", "scheduled"), ("pending_client", "draft"), ("pending_team", "draft"),
                         ("pending_team", "draft")]
    # The journey: an eight-month program; Rosa (month 3) and Amara (month 6) started, what fell due run.
    from studio.journey.models import Automation, ProgramStep

    assert count(ProgramStep) >= 16
    done = db.session.execute(select(Automation.status)).scalars().all()
    assert done.count("done") >= 10 and done.count("scheduled") >= 10 and set(done) == {"done", "scheduled"}

    again = runner.invoke(args=["studio", "seed-demo"])
    assert "nothing changed" in again.output
    assert (count(User), count(Workspace), count(Membership)) == (users, workspaces, memberships)


def test_the_demo_log_in_works(app):
    app.test_cli_runner().invoke(args=["studio", "seed-demo"])
    client = app.test_client()
    response = client.submit("/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.text(response.headers["Location"])
    assert "Northwind Creators" in page and "Brightside Agency" in page


def test_create_user_makes_an_account_with_a_workspace(app):
    result = app.test_cli_runner().invoke(
        args=["studio", "create-user", "--email", "ops@example.com", "--name", "Olu Ops", "--password", "granite-willow-31"]
    )
    assert result.exit_code == 0, result.output
    assert "Created ops@example.com with workspace Olu's workspace" in result.output
    user = db.session.execute(select(User).where(User.email == "ops@example.com")).scalar_one()
    assert user.memberships[0].role == "owner"


def test_create_user_refuses_a_weak_password_or_a_taken_email(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["studio", "create-user", "--email", "a@example.com", "--name", "A", "--password", "short"])
    assert weak.exit_code != 0 and "Password refused: Use at least 10 characters." in weak.output
    runner.invoke(args=["studio", "create-user", "--email", "b@example.com", "--name", "B", "--password", "granite-willow-31"])
    taken = runner.invoke(args=["studio", "create-user", "--email", "b@example.com", "--name", "B", "--password", "granite-willow-31"])
    assert taken.exit_code != 0 and "already exists" in taken.output


def test_the_demo_sandbox_account_really_works(app, live_server):
    from studio.connections import service
    from studio.connections.models import PlatformConnection

    app.test_cli_runner().invoke(args=["studio", "seed-demo"])
    working, revoked = db.session.execute(select(PlatformConnection).where(PlatformConnection.client_id.is_(None))
                                          .order_by(PlatformConnection.username)).scalars()
    assert (working.username, working.status, revoked.status) == ("northwind_kitchen", "active", "expired")
    old_access = working.access_token
    service.refresh_connection(working)
    assert working.status == "active" and working.access_token != old_access
