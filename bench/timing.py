"""What the page benchmarks share: time a page as a logged-in user and count its SQL statements."""
import statistics
import time

from sqlalchemy import event

from studio.extensions import db


def measure(app, user_id, url, repeats=25, headers=None):
    """(median milliseconds, SQL statements) of GET `url` for the user, after one warm-up call."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*args):
        statements.append(1)

    response = client.get(url, headers=headers or {})  # warm up templates and caches
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeats):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - start) * 1000)
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), len(statements)
