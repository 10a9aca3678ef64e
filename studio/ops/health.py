"""What /readyz checks: the database answers, its schema is at the migrations' head, storage takes a
file, and a worker has beaten recently (someone is publishing). Each check says why when it fails."""
import io
import time
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
from studio.library.storage import storage
from studio.publishing.models import WorkerHeartbeat

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    """This release's migrations (read once: they change only with a new release)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def migration_heads() -> frozenset[str]:
    return frozenset(scripts().get_heads())


def known(revision: str) -> bool:
    try:
        return scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001  # alembic says "unknown" in several ways
        return False


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
    if current == heads:
        migrations = Check("migrations", True, f"at head {', '.join(sorted(heads))}")
    elif current and not any(known(revision) for revision in current):
        # A newer release migrated it (migrations add before they take away): this code still works.
        migrations = Check("migrations", True, f"at {', '.join(sorted(current))}, ahead of this release")
    else:
        migrations = Check("migrations", False, f"at {', '.join(sorted(current)) or 'nothing'}, expected "
                                                f"{', '.join(sorted(heads))}: run flask --app app db upgrade")
    return Check("database", True, "answers"), migrations


STORAGE_CHECK_SECONDS = 30  # probes come every few seconds: the store is written at most this often
_storage_checked: dict[str, tuple[float, Check]] = {}


def check_storage() -> Check:
    """Write a small file and delete it, at most every STORAGE_CHECK_SECONDS per process."""
    remembered = _storage_checked.get("last")
    if remembered and time.monotonic() - remembered[0] < STORAGE_CHECK_SECONDS:
        return remembered[1]
    key = f"readiness/{uuid.uuid4().hex}"
    try:
        target = storage()
        target.save(key, io.BytesIO(b"ready"))
        target.delete(key)
        check = Check("storage", True, "writable")
    except Exception as error:  # noqa: BLE001  # any store's failure (OSError, botocore's ClientError…) is a reason
        check = Check("storage", False, f"not writable: {error}"[:200])
    _storage_checked["last"] = (time.monotonic(), check)
    return check


def check_workers(database_ok: bool) -> Check:
    if not database_ok:
        return Check("worker", False, "unknown: no database")
    limit = current_app.config["READY_WORKER_SECONDS"]
    if not limit:
        return Check("worker", True, "not checked (READY_WORKER_SECONDS=0)")
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
    window = current_app.config["READY_WORKER_SECONDS"] or 120
    return db.session.scalar(select(func.count()).select_from(WorkerHeartbeat).where(
        WorkerHeartbeat.last_seen_at > now - timedelta(seconds=window))) or 0
