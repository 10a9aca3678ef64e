"""The one invitation-link migration carries both kinds of pending link over: a team invitation and
a client's portal invitation e-mailed before the upgrade still open and redeem after it (only the
token's hash was stored, and it is kept); the downgrade puts the portal's back in a table of its own."""
import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from studio import create_app
from studio.extensions import db
from tests.conftest import test_config as config_for
from tests.factories import PASSWORD
from tests.helpers import StudioClient
from tests.integration.test_migrations import empty_database, flask  # noqa: F401 (a fixture)

BEFORE = "7c1f0a2d9e31"
TEAM_TOKEN, PORTAL_TOKEN = "team-link-sent-before-the-upgrade", "portal-link-sent-before-the-upgrade"


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def links_sent_before_the_upgrade(database_url):
    """A workspace whose owner invited kai@example.com to the team and Rosa, a client, to her
    portal, both links pending (no ids given: PostgreSQL's sequences stay right)."""
    engine = sa.create_engine(database_url)
    now = datetime.now(UTC)
    week = now + timedelta(days=7)
    with engine.begin() as connection:
        run = connection.execute
        run(sa.text("INSERT INTO users (email, name, password_hash, timezone, notification_prefs, password_changed_at, "
                    "created_at) VALUES ('owner@example.com', 'Olu Owner', 'x', 'UTC', '{}', :now, :now)"), {"now": now})
        owner = run(sa.text("SELECT id FROM users")).scalar_one()
        run(sa.text("INSERT INTO workspaces (name, slug, plan, created_at) VALUES ('Launch Agency', 'launch', 'free', :now)"),
            {"now": now})
        workspace = run(sa.text("SELECT id FROM workspaces")).scalar_one()
        run(sa.text("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (:w, :u, 'owner', :now)"),
            {"w": workspace, "u": owner, "now": now})
        run(sa.text("INSERT INTO clients (workspace_id, name, email, niche, current_month, status, created_at) "
                    "VALUES (:w, 'Rosa Diaz', 'rosa@example.com', '', 1, 'invited', :now)"), {"w": workspace, "now": now})
        client = run(sa.text("SELECT id FROM clients")).scalar_one()
        run(sa.text("INSERT INTO invitations (workspace_id, email, role, token_hash, invited_by_id, expires_at, sent_count, "
                    "last_sent_at, created_at) VALUES (:w, 'kai@example.com', 'editor', :hash, :u, :week, 1, :now, :now)"),
            {"w": workspace, "u": owner, "hash": digest(TEAM_TOKEN), "week": week, "now": now})
        run(sa.text("INSERT INTO portal_invites (workspace_id, client_id, email, token_hash, invited_by_id, expires_at, "
                    "sent_count, created_at) VALUES (:w, :c, 'rosa@example.com', :hash, :u, :week, 1, :now)"),
            {"w": workspace, "c": client, "u": owner, "hash": digest(PORTAL_TOKEN), "week": week, "now": now})
    engine.dispose()
    return client


def test_pending_team_and_portal_invitations_still_redeem_after_the_upgrade(empty_database, tmp_path):  # noqa: F811
    assert flask("db", "upgrade", BEFORE, database_url=empty_database, tmp_path=tmp_path).returncode == 0
    client_id = links_sent_before_the_upgrade(empty_database)
    upgrade = flask("db", "upgrade", database_url=empty_database, tmp_path=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr

    app = create_app(config_for(tmp_path / "instance", empty_database))
    app.test_client_class = StudioClient
    with app.app_context():
        kai = app.test_client()
        assert "Join Launch Agency" in kai.text(f"/invite/{TEAM_TOKEN}")
        joined = kai.submit(f"/invite/{TEAM_TOKEN}", {"name": "Kai Nakamura", "password": "lantern-meadow-93"})
        assert joined.status_code == 303 and joined.headers["Location"] == "/w/launch/"

        rosa = app.test_client()
        assert "Set password and open my portal" in rosa.text(f"/portal/invite/{PORTAL_TOKEN}")
        opened = rosa.submit(f"/portal/invite/{PORTAL_TOKEN}", {"name": "Rosa Diaz", "password": PASSWORD})
        assert opened.status_code == 303 and opened.headers["Location"] == f"/portal/c/{client_id}/inbox"

        with db.engine.connect() as connection:
            role = connection.execute(sa.text(
                "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'kai@example.com'"
            )).scalar_one()
            status = connection.execute(sa.text("SELECT status FROM clients")).scalar_one()
        assert role == "editor" and status == "active"
        assert app.test_client().get(f"/portal/invite/{PORTAL_TOKEN}").status_code == 410, "used once, like any link"
        db.session.remove()
        db.engine.dispose()


def test_the_downgrade_gives_the_portal_its_own_table_back_with_its_links(empty_database, tmp_path):  # noqa: F811
    assert flask("db", "upgrade", BEFORE, database_url=empty_database, tmp_path=tmp_path).returncode == 0
    links_sent_before_the_upgrade(empty_database)
    assert flask("db", "upgrade", database_url=empty_database, tmp_path=tmp_path).returncode == 0
    downgrade = flask("db", "downgrade", BEFORE, database_url=empty_database, tmp_path=tmp_path)
    assert downgrade.returncode == 0, downgrade.stderr

    engine = sa.create_engine(empty_database)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT email, role, token_hash FROM invitations")).all() == [
            ("kai@example.com", "editor", digest(TEAM_TOKEN))]
        assert connection.execute(sa.text("SELECT email, token_hash FROM portal_invites")).all() == [
            ("rosa@example.com", digest(PORTAL_TOKEN))]
    engine.dispose()
