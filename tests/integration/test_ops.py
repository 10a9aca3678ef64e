"""What an operator's load balancer and Prometheus see: /healthz while the process runs, /readyz
ready only when the database answers at the migrations' head, storage takes files and a worker beat
in the last two minutes (503 with the reason otherwise), /metrics in Prometheus's format, and
every request's id in its response and in the JSON log line about it."""
import json
import logging
from datetime import timedelta

from sqlalchemy import text

from studio import create_app
from studio.database import utcnow
from studio.extensions import db
from studio.ops.health import migration_heads
from studio.publishing import engine
from studio.publishing.models import WorkerHeartbeat
from tests.factories import make_post, make_sandbox_connection, make_workspace, owner_of


def beat(seconds_ago):
    db.session.add(WorkerHeartbeat(worker="worker-1", last_seen_at=utcnow() - timedelta(seconds=seconds_ago)))
    db.session.commit()


def test_readyz_is_ready_only_with_a_worker_that_beat_in_the_last_two_minutes(app):
    client = app.test_client()
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"

    never = client.get("/readyz")
    assert never.status_code == 503
    assert never.json["reasons"] == ["worker: no worker has ever beaten: start flask --app app studio worker"]
    assert never.json["checks"]["database"]["ok"] and never.json["checks"]["migrations"]["ok"]
    assert never.json["checks"]["storage"] == {"ok": True, "detail": "writable"}

    beat(seconds_ago=150)
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json["reasons"][0].startswith("worker: no worker has beaten for 15")

    engine.run_until_idle(worker="worker-2")  # a worker's round beats, with or without work
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready", ready.json


def test_readyz_says_when_the_schema_is_behind_the_code(app):
    beat(seconds_ago=1)
    [head] = migration_heads()
    db.session.execute(text("UPDATE alembic_version SET version_num = '54f93e5947b5'"))
    db.session.commit()
    try:
        behind = app.test_client().get("/readyz")
        assert behind.status_code == 503
        assert behind.json["reasons"] == [f"migrations: at 54f93e5947b5, expected {head}: run flask --app app db upgrade"]
        # A newer release migrated it: the old processes stay ready while they are replaced.
        db.session.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
        db.session.commit()
        ahead = app.test_client().get("/readyz")
        assert ahead.status_code == 200 and ahead.json["checks"]["migrations"]["detail"] == "at f00dfeedbeef, ahead of this release"
    finally:  # a PostgreSQL test database outlives the test
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()


def test_readyz_answers_503_when_the_database_is_down(tmp_path):
    # Nothing listens on port 9 of this machine: the database is down from the app's point of view.
    down = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path), "SCHEDULER_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://studio@127.0.0.1:9/studio?connect_timeout=2",
                       "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}})
    answer = down.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["reasons"][0].startswith("database: unreachable: ")
    assert answer.json["checks"]["worker"]["detail"] == "unknown: no database"
    assert down.test_client().get("/healthz").status_code == 200  # the process itself is fine


def test_metrics_show_the_queue_the_outcomes_and_the_pages(app, live_server):
    workspace = make_workspace()
    connection = make_sandbox_connection(workspace)
    make_post(workspace=workspace, author=owner_of(workspace), connections=[connection], message="Due now",
              scheduled_at=utcnow() - timedelta(seconds=30))
    client = app.test_client()
    client.get("/healthz")
    before = client.get("/metrics").get_data(as_text=True)
    assert "studio_publish_queue_depth 1.0" in before
    assert 'studio_http_request_duration_seconds_count{endpoint="ops.healthz",method="GET",status="2xx"}' in before
    engine.run_until_idle()
    after = client.get("/metrics").get_data(as_text=True)
    assert "studio_publish_queue_depth 0.0" in after
    assert 'studio_publish_attempts_total{outcome="published"} 1.0' in after
    assert "studio_workers_alive 1.0" in after and 'studio_publish_lag_seconds{quantile="0.5"}' in after

    app.config["METRICS_TOKEN"] = "s3cret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3crét"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_each_request_has_an_id_in_its_response_and_its_json_log_line(app, caplog):
    from studio.ops.logs import JsonFormatter, RequestContext

    app.config["TRUSTED_PROXIES"] = 1  # behind a proxy, whose request ids are taken up
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="studio.access"):
        given = client.get("/healthz", headers={"X-Request-ID": "lb-1234"})
        made = client.get("/healthz", headers={"X-Request-ID": "not a sane id <script>"})
    assert given.headers["X-Request-ID"] == "lb-1234"
    assert len(made.headers["X-Request-ID"]) == 32 and made.headers["X-Request-ID"] != "lb-1234"
    record = next(r for r in caplog.records if getattr(r, "request_id", None) == "lb-1234")
    RequestContext().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "lb-1234" and line["status"] == 200 and line["path"] == "/healthz"
    assert line["logger"] == "studio.access" and line["level"] == "info" and line["time"].endswith("Z")


def test_gunicorn_serves_the_studio_from_two_threaded_processes_that_run_no_jobs(app, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import requests

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "STUDIO_INSTANCE_PATH": app.instance_path,
           "SECRET_KEY": app.config["SECRET_KEY"], "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}
    env.pop("SCHEDULER_ENABLED", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=root, env=env,
                              stdout=open(tmp_path / "gunicorn.log", "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still importing the app
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        assert len(children_of(server.pid)) == 2
        # No process of it runs the jobs: nothing beats until a worker is started.
        time.sleep(3)
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["checks"]["worker"]["ok"] is False
        beat(seconds_ago=0)
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def children_of(pid):
    """The processes whose parent is `pid` (from /proc, as pgrep reads it)."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
