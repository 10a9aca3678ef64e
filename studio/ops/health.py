"""What /readyz checks: the database answers, its schema is at the migrations' head, storage takes a
file, and a worker has beaten recently (someone is publishing). Each check says why when it fails."""
import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from studio.database import utcnow
from studio.extensions import db
from studio.library.storage import StorageError, storage
from studio.publishing.models import WorkerHeartbeat

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revisions the code expects (read once: they change only with a new release)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database() -> tuple[Check, Check]:
    """(the database answers, its schema is at head)."""
    try:
        db.session.execute(text("SELECT 1"))
        current = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as error:
        db.session.rollback()
        reason = str(error.orig if hasattr(error, "orig") else error).strip().splitlines()[0][:200]
        return Check("database", False, f"unreachable: {reason}"), Check("migrations", False, "unknown: no database")
    heads = set(migration_heads())
    migrations = (Check("migrations", True, f"at head {', '.join(sorted(heads))}") if current == heads else
                  Check("migrations", False, f"at {', '.join(sorted(current)) or 'nothing'}, expected {', '.join(sorted(heads))}:"
                                             " run flask --app app db upgrade"))
    return Check("database", True, "answers"), migrations


def check_storage() -> Check:
    key = f"readiness/{uuid.uuid4().hex}"
    try:
        target = storage()
        target.save(key, io.BytesIO(b"ready"))
        target.delete(key)
    except (StorageError, OSError) as error:
        return Check("storage", False, f"not writable: {error}"[:200])
    return Check("storage", True, "writable")


def check_workers(database_ok: bool) -> Check:
    if not database_ok:
        return Check("worker", False, "unknown: no database")
    limit = current_app.config["READY_WORKER_SECONDS"]
    newest = db.session.scalar(select(func.max(WorkerHeartbeat.last_seen_at)))
    if newest is None:
        return Check("worker", False, "no worker has ever beaten: start flask --app app studio worker")
    age = (utcnow() - newest).total_seconds()
    if age > limit:
        return Check("worker", False, f"no worker has beaten for {int(age)} s (more than {limit} s)")
    return Check("worker", True, f"last beat {int(age)} s ago")


def readiness() -> list[Check]:
    database, migrations = check_database()
    return [database, migrations, check_storage(), check_workers(database.ok)]


def alive_workers(now=None) -> int:
    now = now or utcnow()
    return db.session.scalar(select(func.count()).select_from(WorkerHeartbeat).where(
        WorkerHeartbeat.last_seen_at > now - timedelta(seconds=current_app.config["READY_WORKER_SECONDS"]))) or 0
