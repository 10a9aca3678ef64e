"""How late posts go out when many fall due at once: N posts due in the same minute, the sandbox
answering every API call after a set latency, one worker process publishing C at a time.

Starts a throwaway PostgreSQL 15 cluster (or uses --database-url), the studio on loopback (which
serves the sandbox), fills N posts on --accounts sandbox accounts, makes them all due at one
moment, runs one `flask studio worker --until-idle` with PUBLISH_CONCURRENCY=C, then reads how late
each one went out (published_at - scheduled_at) and checks the sandbox for duplicates and losses.

    .venv/bin/python bench/publish_lag.py [--posts 1000] [--latency-ms 300] [--concurrency 8] [--accounts 100]

Last line: posts=N workers=1 concurrency=C latency_ms=L lag_p50_s=… lag_p99_s=… duplicates=0 lost=0
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import database_url_or_throwaway  # noqa: E402
from bench.publish import ROOT, count, environment, free_port, prepare, serving  # noqa: E402


def set_latency(latency_ms):
    from studio import create_app
    from studio.extensions import db
    from studio.sandbox.service import set_faults

    app = create_app()
    with app.app_context():
        set_faults(0, 0, 30, latency_ms)
        db.engine.dispose()


def make_all_due_now():
    """Every post falls due at this very moment (the same minute for all); returns it."""
    from studio import create_app
    from studio.database import utcnow
    from studio.extensions import db

    app = create_app()
    with app.app_context():
        now = utcnow()
        db.session.execute(db.text("UPDATE posts SET scheduled_at = :now"), {"now": now})
        db.session.execute(db.text("UPDATE deliveries SET next_attempt_at = :now"), {"now": now})
        db.session.commit()
        db.engine.dispose()
    return now


def lags():
    """Seconds from each post's time to its delivery's publication, for those published."""
    from studio import create_app
    from studio.extensions import db
    from studio.publishing.models import Delivery, Post

    app = create_app()
    with app.app_context():
        rows = db.session.execute(db.select(Post.scheduled_at, Delivery.published_at).join(Delivery, Delivery.post_id == Post.id)
                                  .where(Delivery.status == "published")).all()
        db.engine.dispose()
    return sorted((published - scheduled).total_seconds() for scheduled, published in rows)


def percentile(values, share):
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--verbose", action="store_true", help="print what the worker said")
    options = parser.parse_args()

    with database_url_or_throwaway(options.database_url) as database_url, \
            tempfile.TemporaryDirectory(prefix="studio-lag-bench-") as folder:
        port = free_port()
        env = {**environment(Path(folder) / "instance", database_url, port),
               "PUBLISH_CONCURRENCY": str(options.concurrency)}
        prepare(env, options.posts, accounts=options.accounts)
        set_latency(options.latency_ms)
        with serving(env, port):
            due = make_all_due_now()
            started = time.perf_counter()
            worker = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "studio", "worker", "--until-idle"],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
            seconds = time.perf_counter() - started
            if worker.returncode != 0 or "--verbose" in sys.argv:
                print(f"the worker said: {worker.stdout.strip()} {worker.stderr.strip()[-3000:]}", file=sys.stderr)
        total, published, unconfirmed, duplicates, lost = count(env)
        late = lags()
    print(f"database={database_url.split(':')[0]} due_at={due:%H:%M:%S} worker_seconds={seconds:.1f} "
          f"published={published}/{total} unconfirmed={unconfirmed} lag_mean_s={statistics.mean(late) if late else float('nan'):.1f}")
    print(f"posts={total} workers=1 concurrency={options.concurrency} latency_ms={options.latency_ms} "
          f"lag_p50_s={percentile(late, 0.5):.1f} lag_p99_s={percentile(late, 0.99):.1f} "
          f"duplicates={duplicates} lost={lost}")


if __name__ == "__main__":
    main()
