"""The staff inbox and a thread page with a big agency's history, against a tiny one.

Fills one workspace with 5,000 threads and 100,000 messages (500 clients, 10 threads each, 20
messages a thread) and another with 10 threads, then times the inbox (newest first, and the unread
filter) and a thread page, and counts the SQL statements each runs: the count must be the same for
both workspaces. Uses SQLite in a temporary folder, or DATABASE_URL when set (PostgreSQL).

    .venv/bin/python bench/inbox.py

The last line reads (Q is the inbox page's statement count; the table above it shows every page's
count for both workspaces):
    threads=5000 messages=100000 inbox_p50_ms=X thread_p50_ms=Y queries_per_page=Q
"""
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bench.timing import analyze, bench_app, measure  # noqa: E402
from studio.accounts.models import User  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.database import utcnow  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.portal.models import Client, Message, Thread  # noqa: E402
from studio.portal.shared_views import cursor_text  # noqa: E402

MESSAGES_PER_THREAD = 20


def fill(workspace, owner, clients, threads_per_client):
    """Clients, threads and messages written in bulk, with the thread summaries the inbox reads."""
    now = utcnow()
    client_rows = [{"workspace_id": workspace.id, "name": f"Client {n:04d}", "email": f"c{n}-{workspace.id}@example.com",
                    "niche": "Fitness", "current_month": 1 + n % 8, "status": "active", "created_at": now}
                   for n in range(clients)]
    db.session.execute(insert(Client), client_rows)
    client_ids = db.session.execute(select(Client.id).where(Client.workspace_id == workspace.id)).scalars().all()
    thread_rows = []
    for index, client_id in enumerate(client_ids):
        for number in range(threads_per_client):
            last = now - timedelta(minutes=index * threads_per_client + number)
            unread = number % 3 == 0
            thread_rows.append({
                "workspace_id": workspace.id, "client_id": client_id, "subject": f"Topic {number} for client {index}",
                "state": "open" if number % 4 else "resolved", "message_count": MESSAGES_PER_THREAD, "last_message_at": last,
                "last_preview": "The latest words of this conversation", "last_from_client": unread,
                "last_client_message_at": last, "last_staff_message_at": last - timedelta(minutes=1),
                "client_read_at": last, "staff_read_at": None if unread else last, "created_at": last - timedelta(days=3)})
    db.session.execute(insert(Thread), thread_rows)
    thread_ids = db.session.execute(select(Thread.id).where(Thread.workspace_id == workspace.id)).scalars().all()
    batch = []
    for thread_id in thread_ids:
        for number in range(MESSAGES_PER_THREAD):
            batch.append({"workspace_id": workspace.id, "thread_id": thread_id, "sender_id": owner.id,
                          "from_client": number % 2 == 0, "body": f"Message {number}: " + "words " * 30,
                          "created_at": now - timedelta(minutes=MESSAGES_PER_THREAD - number), "emailed_at": now})
            if len(batch) >= 20_000:
                db.session.execute(insert(Message), batch)
                batch = []
    if batch:
        db.session.execute(insert(Message), batch)
    db.session.commit()
    return thread_ids


def build(database_url, folder):
    app = bench_app(database_url, folder)
    with app.app_context():
        owner = User(email=f"owner-{time.time_ns()}@example.com", name="Owner", password_hash="x")
        db.session.add(owner)
        big = create_workspace(owner, "Big agency")
        small = create_workspace(owner, "Small agency")
        started = time.perf_counter()
        big_threads = fill(big, owner, clients=500, threads_per_client=10)
        small_threads = fill(small, owner, clients=2, threads_per_client=5)
        analyze()
        print(f"filled {len(big_threads):,} + {len(small_threads)} threads in {time.perf_counter() - started:.1f} s")
        return app, owner.get_id(), {"big": (big.slug, big_threads), "small": (small.slug, small_threads)}


def older_cursor(app, thread_id):
    """What an "Older conversations" link carries halfway down the inbox (keyset: time and id)."""
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        return quote(cursor_text((thread.last_message_at, thread.id)))


def main():
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/inbox.db"
        app, user_id, spaces = build(url, Path(folder))
        results = {}
        for size, (slug, thread_ids) in spaces.items():
            middle = thread_ids[len(thread_ids) // 2]
            results[size] = {
                "inbox": measure(app, user_id, f"/w/{slug}/inbox"),
                "inbox unread": measure(app, user_id, f"/w/{slug}/inbox?unread=1"),
                "inbox search": measure(app, user_id, f"/w/{slug}/inbox?q=topic+7+for"),
                "inbox, older": measure(app, user_id, f"/w/{slug}/inbox?before={older_cursor(app, middle)}"),
                "thread": measure(app, user_id, f"/w/{slug}/inbox/{middle}"),
            }
        print(f"{'page':<14}{'10 threads':>16}{'5,000 threads':>18}   queries (10 / 5,000)")
        for page in results["big"]:
            (small_ms, small_q), (big_ms, big_q) = results["small"][page], results["big"][page]
            print(f"{page:<14}{small_ms:>13.1f} ms{big_ms:>15.1f} ms   {small_q} / {big_q}")
        same = all(results["small"][p][1] == results["big"][p][1] for p in results["big"])
        print("query counts are the same for 10 and 5,000 threads" if same else "QUERY COUNTS GROW WITH THE DATA")
        print(f"threads={len(spaces['big'][1])} messages={len(spaces['big'][1]) * MESSAGES_PER_THREAD} "
              f"inbox_p50_ms={results['big']['inbox'][0]:.1f} thread_p50_ms={results['big']['thread'][0]:.1f} "
              f"queries_per_page={results['big']['inbox'][1]}")


if __name__ == "__main__":
    main()
