"""Publish N due deliveries with K worker processes through the sandbox adapter, and count.

Starts the studio (which serves the sandbox) in a child process on loopback, fills the database
with N due deliveries spread over a few sandbox accounts, runs K `flask studio worker --until-idle`
processes at once, then checks the sandbox: every delivery published once, none twice, none lost.

With --faults the sandbox keeps no idempotency key (a repeated create is a second post, as on X),
fails some creates after storing the post (500, or the connection dropped), answers some calls
with 429 or 503, and its look-ups lag behind its creates; meanwhile a worker is killed with SIGKILL
every few seconds and another started. Deliveries the engine could not prove either way end
"unconfirmed" and are counted as such, not as lost.

    .venv/bin/python bench/publish.py [--deliveries 10000] [--workers 4] [--database-url postgresql://... | --postgres] [--faults]

Last line: deliveries=N published=P unconfirmed=U duplicates=D lost=L seconds=S rate=R/s
"""
import argparse
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent

from bench.pg import throwaway_cluster  # noqa: E402

ACCOUNTS = 8


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(folder, database_url, port):
    return {**os.environ, "STUDIO_INSTANCE_PATH": str(folder), "DATABASE_URL": database_url,
            "SCHEDULER_ENABLED": "false", "SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "SANDBOX_BASE_URL": f"http://127.0.0.1:{port}", "PUBLISH_BACKOFF_SECONDS": "0",
            "STUDIO_ENV": "development"}


def prepare(env, deliveries, accounts=ACCOUNTS):
    """Schema, a workspace with sandbox accounts, and N deliveries due now (bulk inserted)."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    os.environ.update(env)
    from studio import create_app
    from studio.accounts.models import User
    from studio.accounts.service import create_workspace
    from studio.database import utcnow
    from studio.extensions import db
    from studio.publishing.models import Delivery, Post
    from tests.factories import make_sandbox_connection

    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            for table in ("sandbox_posts", "publish_attempts", "published_posts", "deliveries", "post_media", "posts"):
                db.session.execute(db.text(f"DELETE FROM {table}"))
        owner = User(email=f"bench{time.time_ns()}@example.com", name="Bench", password_hash="x")
        db.session.add(owner)
        workspace = create_workspace(owner, "Bench")
        db.session.commit()
        connections = [make_sandbox_connection(workspace, f"bench_{time.time_ns()}_{n}") for n in range(accounts)]
        for connection in connections:
            connection.expires_at = utcnow() + timedelta(days=1)
        db.session.commit()
        now = utcnow()
        batch = 2000
        for start in range(0, deliveries, batch):
            posts = [Post(workspace_id=workspace.id, author_id=owner.id, message=f"Bench post {n}", status="scheduled",
                          scheduled_at=now, overrides={}) for n in range(start, min(deliveries, start + batch))]
            db.session.add_all(posts)
            db.session.flush()
            db.session.add_all([Delivery(post_id=post.id, workspace_id=workspace.id, platform="sandbox",
                                         connection_id=connections[post.id % accounts].id, status="pending",
                                         next_attempt_at=now, max_attempts=5) for post in posts])
            db.session.commit()
        db.engine.dispose()


@contextlib.contextmanager
def serving(env, port):
    """The studio (and so the sandbox) served on loopback in a child process while the block runs."""
    server = subprocess.Popen(
        [sys.executable, "-c", f"import app; app.app.run(host='127.0.0.1', port={port}, threaded=True)"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


def count(env):
    """(total, published, unconfirmed, duplicates, lost) read from the deliveries and the sandbox."""
    from studio import create_app
    from studio.extensions import db

    app = create_app()
    with app.app_context():
        def number(sql):
            return db.session.execute(db.text(sql)).scalar()

        total = number("SELECT count(*) FROM deliveries")
        published = number("SELECT count(*) FROM deliveries WHERE status = 'published'")
        unconfirmed = number("SELECT count(*) FROM deliveries WHERE status = 'unconfirmed'")
        # A second post with a reference the sandbox already holds is a duplicate.
        duplicates = number("SELECT count(*) - count(DISTINCT client_reference) FROM sandbox_posts")
        # Published deliveries whose post the sandbox does not hold, and deliveries that ended
        # neither published nor unconfirmed (failed, or never finished), are lost.
        unmatched = number("SELECT count(*) FROM deliveries d WHERE d.status = 'published' AND NOT EXISTS "
                           "(SELECT 1 FROM sandbox_posts s WHERE s.client_reference = d.client_reference)")
        unfinished = number("SELECT count(*) FROM deliveries WHERE status NOT IN ('published', 'unconfirmed')")
        db.engine.dispose()
    return total, published, unconfirmed, duplicates, unmatched + unfinished


FAULTS = dict(no_idempotency=True, error_after_create_rate=0.05, drop_after_create_rate=0.03, error_rate=0.03,
              rate_limit_rate=0.05, retry_after_seconds=1, latency_ms=20, lookup_lag_seconds=0.5)


def switch_faults(on):
    from studio import create_app
    from studio.extensions import db
    from studio.sandbox.service import reset_faults, set_faults

    app = create_app()
    with app.app_context():
        set_faults(**FAULTS) if on else reset_faults()
        db.engine.dispose()


def unfinished_deliveries():
    from studio import create_app
    from studio.extensions import db

    app = create_app()
    with app.app_context():
        left = db.session.execute(db.text(
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'publishing')")).scalar()
        db.engine.dispose()
    return left


def start_worker(env):
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "studio", "worker", "--until-idle"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_with_kills(env, workers, kill_every=3.0, chaos_seconds=30.0):
    """K workers; every few seconds one is killed with SIGKILL and another started, for a while;
    then workers are started until nothing is left to do (retries and expired leases included)."""
    running = [start_worker(env) for _ in range(workers)]
    killed, chaos_ends = 0, time.monotonic() + chaos_seconds
    while time.monotonic() < chaos_ends and any(worker.poll() is None for worker in running):
        time.sleep(kill_every)
        alive = [worker for worker in running if worker.poll() is None]
        if alive:
            victim = random.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed += 1
            running.append(start_worker(env))
    for _ in range(200):
        for worker in running:
            worker.wait(timeout=3600)
        if not unfinished_deliveries():
            break
        time.sleep(1)  # back-offs and the leases of killed workers run out
        running = [start_worker(env) for _ in range(workers)]
    return killed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL 15 cluster")
    parser.add_argument("--faults", action="store_true", help="no idempotency, errors after create, 429s, SIGKILLs")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="studio-publish-bench-") as folder, \
            (throwaway_cluster() if options.postgres else contextlib.nullcontext(options.database_url)) as given_url:
        folder = Path(folder)
        database_url = given_url or f"sqlite:///{folder}/bench.db"
        port = free_port()
        env = environment(folder / "instance", database_url, port)
        if options.faults:  # killed workers' leases run out soon; look-ups wait out the sandbox's lag
            env.update(PUBLISH_LEASE_SECONDS="3", PUBLISH_LOOKUP_DELAY_SECONDS="1", PUBLISH_TIMEOUT_SECONDS="5")
        prepare(env, options.deliveries)
        switch_faults(options.faults)
        killed = 0
        with serving(env, port):
            start = time.perf_counter()
            if options.faults:
                killed = run_with_kills(env, options.workers)
            else:
                workers = [start_worker(env) for _ in range(options.workers)]
                for worker in workers:
                    _, err = worker.communicate(timeout=3600)
                    if worker.returncode != 0:
                        print(f"a worker failed: {err.strip().splitlines()[-1:]}", file=sys.stderr)
            seconds = time.perf_counter() - start
        total, published, unconfirmed, duplicates, lost = count(env)
    print(f"database={database_url.split(':')[0]} workers={options.workers} faults={'on' if options.faults else 'off'} "
          f"workers_killed={killed}")
    print(f"deliveries={total} published={published} unconfirmed={unconfirmed} duplicates={duplicates} lost={lost} "
          f"seconds={seconds:.1f} rate={published / seconds:.0f}/s")


if __name__ == "__main__":
    main()
