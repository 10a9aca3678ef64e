"""What the page benchmarks share: an app on a database of their own, fresh statistics, and a page
timed as a logged-in user with its SQL statements counted."""
import statistics
import time

from flask_migrate import upgrade
from sqlalchemy import event, text

from studio import create_app
from studio.extensions import db


def measure(app, user_id, url, repeats=25, headers=None, expect=200):
    """(median milliseconds, SQL statements) of GET `url` for the user (None: a visitor with no
    account), after one warm-up call; every answer must have the status `expect`."""
    client = app.test_client()
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user_id
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*args):
        statements.append(1)

    response = client.get(url, headers=headers or {})  # warm up templates and caches
    assert response.status_code == expect, (url, response.status_code)
    timings = []
    for _ in range(repeats):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - start) * 1000)
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == expect, (url, response.status_code)
    return statistics.median(timings), len(statements)


def bench_app(database_url, folder):
    """The studio on `database_url`, migrated, with no background jobs."""
    app = create_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench" * 10, "SCHEDULER_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
    return app


def analyze():
    """Fresh planner statistics, as a database that has been running a while would have."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
