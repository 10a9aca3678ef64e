"""`flask db upgrade` builds the schema from empty, and `flask db check` finds nothing to generate,
on the database this run uses (SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL, sqlalchemy_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database(tmp_path):
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server = sa.create_engine(sqlalchemy_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    name = f"studio_migrations_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    server.dispose()


def flask(*args, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "STUDIO_INSTANCE_PATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_migrations_build_the_schema_from_empty_and_match_the_models(empty_database, tmp_path):
    upgrade = flask("db", "upgrade", database_url=empty_database, tmp_path=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask("db", "check", database_url=empty_database, tmp_path=tmp_path)
    assert check.returncode == 0, check.stderr + check.stdout
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    engine = sa.create_engine(empty_database)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "workspaces", "memberships", "invitations", "login_attempts", "alembic_version"} <= tables


def test_migrations_run_down_and_up_again(empty_database, tmp_path):
    assert flask("db", "upgrade", database_url=empty_database, tmp_path=tmp_path).returncode == 0
    downgrade = flask("db", "downgrade", "base", database_url=empty_database, tmp_path=tmp_path)
    assert downgrade.returncode == 0, downgrade.stderr
    assert flask("db", "upgrade", database_url=empty_database, tmp_path=tmp_path).returncode == 0
