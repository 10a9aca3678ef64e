"""The length-limit migration upgrades a database holding text longer than the new limits: a long bio
is cut to 1,000 characters before its column becomes VARCHAR(1000) (PostgreSQL would refuse it
otherwise), and on SQLite, which never enforced lengths, an over-long name is cut to its column."""
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL
from tests.integration.test_migrations import empty_database, flask  # noqa: F401 (a fixture)

BEFORE = "3d639befcdde"


def test_text_longer_than_the_new_limits_is_cut_to_fit_and_the_upgrade_succeeds(empty_database, tmp_path):  # noqa: F811
    assert flask("db", "upgrade", BEFORE, database_url=empty_database, tmp_path=tmp_path).returncode == 0
    long_name = "N" * (120 if TEST_DATABASE_URL else 10_000)  # PostgreSQL never held more than its column
    engine = sa.create_engine(empty_database)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO users (id, email, name, password_hash, timezone, notification_prefs, password_changed_at, created_at) "
            "VALUES (1, 'ana@example.com', :name, 'x', 'UTC', '{}', :now, :now)"), {"name": long_name, "now": now})
        connection.execute(sa.text("INSERT INTO workspaces (id, name, slug, plan, created_at) VALUES (1, 'Club', 'club', 'free', :now)"),
                           {"now": now})
        connection.execute(sa.text(
            "INSERT INTO member_profiles (id, workspace_id, user_id, username, bio, bio_html, location, links, allow_dms, "
            "email_notifications, points, badges, created_at) "
            "VALUES (1, 1, 1, 'ana', :bio, '', '', '[]', true, true, 0, '[]', :now)"), {"bio": "b" * 5_000, "now": now})
    engine.dispose()

    upgrade = flask("db", "upgrade", database_url=empty_database, tmp_path=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr

    engine = sa.create_engine(empty_database)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT bio FROM member_profiles")).scalar_one() == "b" * 1_000
        assert connection.execute(sa.text("SELECT name FROM users")).scalar_one() == "N" * 120
    bio = next(c for c in sa.inspect(engine).get_columns("member_profiles") if c["name"] == "bio")
    engine.dispose()
    assert isinstance(bio["type"], sa.String) and bio["type"].length == 1_000
