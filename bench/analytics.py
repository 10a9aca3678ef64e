"""The Analytics page over a big history: one workspace, 10 accounts, 2,000 posts published over 90
days and 1,000,000 metric events (each a fetch of a post's totals), with the day and week aggregates,
daily gains and account snapshots those fetches leave (built in bulk here, in the shapes
studio.analytics.history writes). The page is timed as its owner over 90 days, its SQL statements
counted, then again with a tenth of the history to show the count does not move.

    .venv/bin/python bench/analytics.py [--events 1000000] [--database-url URL]

Goal: p50 <= 60 ms. The last line reads:
    events=1000000 dashboard_p50_ms=N queries=N
"""
import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import analyze, bench_app, measure  # noqa: E402
from studio.accounts.models import User  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.analytics.history import week_start  # noqa: E402
from studio.analytics.models import AccountSnapshot, MetricAggregate, MetricEvent, MetricGain  # noqa: E402
from studio.connections.models import PlatformConnection  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.publishing.models import PublishedPost  # noqa: E402

ACCOUNTS, POSTS, DAYS, CHUNK = 10, 2_000, 90, 50_000
NUMBERS = ("views", "likes", "comments", "shares", "saves")


def totals_at(ceiling: int, hours: float) -> dict[str, int]:
    views = int(ceiling * (1 - 2.718281828 ** (-hours / 30)))
    return {"views": views, "likes": views // 11, "comments": views // 57, "shares": views // 83, "saves": views // 97}


def build(app, events: int) -> tuple[str, str]:
    """The workspace and its history; returns the owner's id and the workspace's slug."""
    rng = random.Random(7)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with app.app_context():
        owner = User(email="owner@bench.example", name="Bench Owner", password_hash="x")
        db.session.add(owner)
        workspace = create_workspace(owner, "Bench Studio")
        connections = [PlatformConnection(workspace_id=workspace.id, platform=("tiktok", "instagram", "youtube")[n % 3],
                                          account_id=str(n), username=f"account{n}") for n in range(ACCOUNTS)]
        db.session.add_all(connections)
        db.session.flush()
        posts = []
        for n in range(POSTS):
            connection = connections[n % ACCOUNTS]
            published = now - timedelta(hours=rng.randint(1, DAYS * 24))
            posts.append(PublishedPost(workspace_id=workspace.id, connection_id=connection.id, platform=connection.platform,
                                       platform_post_id=f"p{n}", caption=f"Post number {n}", published_at=published))
        db.session.add_all(posts)
        db.session.commit()
        per_post = events // POSTS
        event_rows, aggregates, gains = [], {}, {}
        for post in posts:
            ceiling = rng.randint(2_000, 60_000)
            age_hours = (now - post.published_at).total_seconds() / 3600
            before = dict.fromkeys(NUMBERS, 0)
            for k in range(per_post):  # fetches spread over the post's life so far
                at = post.published_at + timedelta(hours=age_hours * (k + 1) / per_post)
                numbers = totals_at(ceiling, (at - post.published_at).total_seconds() / 3600)
                event_rows.append({"workspace_id": workspace.id, "connection_id": post.connection_id,
                                   "published_post_id": post.id, "platform": post.platform, "source": "sync",
                                   "metrics": numbers, "recorded_at": at})
                for period, start in (("day", at.date()), ("week", week_start(at.date()))):
                    aggregates[(post.id, period, start)] = {"workspace_id": workspace.id, "connection_id": post.connection_id,
                                                            "published_post_id": post.id, "platform": post.platform,
                                                            "period": period, "period_start": start, "updated_at": at,
                                                            **numbers, "clicks": 0, "impressions": 0, "reach": 0}
                gain = gains.setdefault((post.connection_id, at.date()), {
                    "workspace_id": workspace.id, "connection_id": post.connection_id, "platform": post.platform,
                    "day": at.date(), **dict.fromkeys(NUMBERS, 0)})
                for name in NUMBERS:
                    gain[name] += numbers[name] - before[name]
                before = numbers
                if len(event_rows) >= CHUNK:
                    db.session.execute(insert(MetricEvent.__table__), event_rows)
                    event_rows = []
        if event_rows:
            db.session.execute(insert(MetricEvent.__table__), event_rows)
        rows = list(aggregates.values())
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(MetricAggregate.__table__), rows[start:start + CHUNK])
        db.session.execute(insert(MetricGain.__table__), list(gains.values()))
        snapshots = [{"workspace_id": workspace.id, "connection_id": c.id, "day": now.date() - timedelta(days=d),
                      "followers": 20_000 + (DAYS - d) * (40 + c.id % 7), "metrics": {}, "taken_at": now}
                     for c in connections for d in range(DAYS)]
        db.session.execute(insert(AccountSnapshot.__table__), snapshots)
        db.session.commit()
        analyze()
        return owner.get_id(), workspace.slug


def run(events: int, database_url: str | None, folder: str) -> tuple[float, int]:
    url = database_url or f"sqlite:///{Path(folder) / f'analytics-{events}.db'}"
    app = bench_app(url, folder)
    started = time.perf_counter()
    owner_id, slug = build(app, events)
    print(f"built {events:,} events in {time.perf_counter() - started:.0f} s", flush=True)
    return measure(app, owner_id, f"/w/{slug}/analytics?range=90")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL to run on (an empty database); SQLite by default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small_ms, small_queries = run(args.events // 10, None, folder) if not args.database_url else (0.0, 0)
        if small_queries:
            print(f"events={args.events // 10} dashboard_p50_ms={small_ms:.1f} queries={small_queries}")
        ms, queries = run(args.events, args.database_url, folder)
    if small_queries and small_queries != queries:
        print(f"the query count moved with the data: {small_queries} -> {queries}")
        sys.exit(1)
    print(f"events={args.events} dashboard_p50_ms={ms:.1f} queries={queries}")


if __name__ == "__main__":
    main()


