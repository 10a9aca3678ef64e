"""A big community against a tiny one: the channel feed, a topic page and search.

Fills one workspace with 100,000 topics (10 channels) and 1,000,000 replies (10 a topic, some
nested), 1,000 members, likes and read markers, indexes it all for full-text search, and another
workspace with 10 topics; then times the feed's first page, the feed deep down (keyset paging),
a topic page and a search, and counts the SQL statements each runs, which must be the same for
both. SQLite in a temporary folder by default; DATABASE_URL picks another database.

    .venv/bin/python bench/community.py

The last line reads:
    topics=100000 replies=1000000 feed_p50_ms=X topic_p50_ms=Y search_p50_ms=Z queries_per_page=Q
"""
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402

from bench.timing import analyze, bench_app, measure  # noqa: E402
from studio.accounts.models import Membership, User  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.community.models import Channel, Like, MemberProfile, Reply, Topic, TopicRead  # noqa: E402
from studio.database import utcnow  # noqa: E402
from studio.extensions import db  # noqa: E402

WORDS = [f"{stem}{suffix}" for stem in ("light", "reel", "hook", "edit", "film", "brand", "story", "mic", "pitch", "niche",
                                         "trend", "audio", "caption", "thumbnail", "collab", "sponsor", "growth", "post",
                                         "script", "camera") for suffix in ("", "s", "ing", "er", "ed")]


def sentence(rng, length):
    return " ".join(rng.choice(WORDS) for _ in range(length)).capitalize() + "."


def bulk(model, rows):
    for start in range(0, len(rows), 50_000):
        db.session.execute(insert(model), rows[start:start + 50_000])


def fill(workspace, owner, topics, replies_per_topic, members):
    rng = random.Random(workspace.id)
    now = utcnow()
    users = [{"email": f"m{n}-{workspace.id}@example.com", "name": f"Member {n}", "password_hash": "x", "timezone": "UTC",
              "notification_prefs": {}, "password_changed_at": now, "created_at": now} for n in range(members)]
    bulk(User, users)
    user_ids = db.session.execute(select(User.id).where(User.email.like(f"m%-{workspace.id}@example.com"))).scalars().all()
    bulk(Membership, [{"workspace_id": workspace.id, "user_id": uid, "role": "viewer", "created_at": now} for uid in user_ids])
    bulk(MemberProfile, [{"workspace_id": workspace.id, "user_id": uid, "username": f"member{n}", "bio": "", "bio_html": "",
                          "location": "", "links": [], "allow_dms": True, "email_notifications": True,
                          "points": rng.randint(0, 500), "badges": [], "created_at": now} for n, uid in enumerate(user_ids)])
    channel_ids = []
    for number in range(10):
        channel = Channel(workspace_id=workspace.id, name=f"Channel {number}", slug=f"channel-{number}", type="general",
                          position=number)
        db.session.add(channel)
        db.session.flush()
        channel_ids.append(channel.id)
    topic_rows = []
    for number in range(topics):
        body = sentence(rng, 30)
        moment = now - timedelta(minutes=number)
        topic_rows.append({"workspace_id": workspace.id, "channel_id": channel_ids[number % 10], "author_id": rng.choice(user_ids),
                           "type": "question" if number % 4 == 0 else "text", "title": sentence(rng, 6)[:200], "body": body,
                           "body_html": f"<p>{body}</p>", "body_hash": "", "is_pinned": number < 2, "is_solved": False,
                           "is_hidden": number % 97 == 0, "like_count": 0, "reply_count": replies_per_topic, "view_count": 0,
                           "last_activity_at": moment, "created_at": moment - timedelta(days=1)})
    bulk(Topic, topic_rows)
    topic_ids = db.session.execute(select(Topic.id).where(Topic.workspace_id == workspace.id).order_by(Topic.id)).scalars().all()
    reply_rows = []
    for topic_id in topic_ids:
        for _ in range(replies_per_topic):
            body = sentence(rng, 12)
            reply_rows.append({"workspace_id": workspace.id, "topic_id": topic_id, "parent_id": None,
                               "author_id": rng.choice(user_ids), "body": body, "body_html": f"<p>{body}</p>", "body_hash": "",
                               "like_count": 0, "is_helpful": False, "is_hidden": False, "created_at": now})
        if len(reply_rows) >= 200_000:
            bulk(Reply, reply_rows)
            reply_rows = []
    bulk(Reply, reply_rows)
    reader = user_ids[0]
    bulk(TopicRead, [{"user_id": reader, "topic_id": tid, "read_at": now} for tid in topic_ids[::3]])
    bulk(Like, [{"workspace_id": workspace.id, "user_id": reader, "topic_id": tid, "reply_id": None, "created_at": now}
                for tid in topic_ids[::5]])
    if db.engine.dialect.name == "sqlite":  # the search index, filled as the service would
        scope = {"ws": workspace.id, "scope": f"ws{workspace.id}"}
        db.session.execute(text("INSERT INTO community_search (title, body, scope, kind, ref_id, topic_id, workspace_id) "
                                "SELECT title, body, :scope, 'topic', id, id, workspace_id FROM topics WHERE workspace_id = :ws"),
                           scope)
        db.session.execute(text("INSERT INTO community_search (title, body, scope, kind, ref_id, topic_id, workspace_id) "
                                "SELECT t.title, r.body, :scope, 'reply', r.id, r.topic_id, r.workspace_id FROM replies r "
                                "JOIN topics t ON t.id = r.topic_id WHERE r.workspace_id = :ws"), scope)
    db.session.commit()
    return reader, channel_ids, topic_ids


def build(database_url, folder):
    app = bench_app(database_url, folder)
    with app.app_context():
        owner = User(email=f"owner-{time.time_ns()}@example.com", name="Owner", password_hash="x")
        db.session.add(owner)
        big, small = create_workspace(owner, "Big community"), create_workspace(owner, "Small community")
        started = time.perf_counter()
        spaces = {"big": (big.slug, *fill(big, owner, 100_000, 10, 1000)),
                  "small": (small.slug, *fill(small, owner, 10, 1, 10))}
        db.session.commit()
        analyze()
        print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)
        readers = {size: db.session.get(User, values[1]).get_id() for size, values in spaces.items()}
        return app, spaces, readers


def deep_cursor(app, channel_id, rows_down):
    """A keyset cursor far down a channel (what 'load more' sends after many pages)."""
    with app.app_context():
        topic = db.session.execute(select(Topic).where(Topic.channel_id == channel_id, Topic.is_pinned.is_(False))
                                   .order_by(Topic.last_activity_at.desc(), Topic.id.desc()).offset(rows_down).limit(1)
                                   ).scalar_one_or_none()
        moment, topic_id = (topic.last_activity_at, topic.id) if topic else (utcnow(), 2**31 - 1)
        return f"0_{moment.isoformat()}_{topic_id}".replace("+", "%2B")


def main():
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/community.db"
        app, spaces, readers = build(url, Path(folder))
        results = {}
        for size, (slug, _, channel_ids, topic_ids) in spaces.items():
            base = f"/community/{slug}"
            middle = topic_ids[len(topic_ids) // 2]
            results[size] = {
                "feed": measure(app, readers[size], f"{base}/ch/channel-0"),
                "feed, deep": measure(app, readers[size], f"{base}/ch/channel-0?before={deep_cursor(app, channel_ids[0], min(5000, max(0, len(topic_ids) // 10 - 1)))}"),
                "topic": measure(app, readers[size], f"{base}/t/{middle}"),
                "search": measure(app, readers[size], f"{base}/search?q=thumbnail+sponsoring"),
                "home": measure(app, readers[size], f"{base}/"),
            }
        print(f"{'page':<12}{'10 topics':>14}{'100,000 topics':>18}   queries (10 / 100,000)")
        for page in results["big"]:
            (small_ms, small_q), (big_ms, big_q) = results["small"][page], results["big"][page]
            print(f"{page:<12}{small_ms:>11.1f} ms{big_ms:>15.1f} ms   {small_q} / {big_q}")
        same = all(results["small"][p][1] == results["big"][p][1] for p in results["big"])
        print("query counts are the same for 10 and 100,000 topics" if same else "QUERY COUNTS GROW WITH THE DATA")
        big = results["big"]
        print(f"topics={len(spaces['big'][3])} replies={len(spaces['big'][3]) * 10} feed_p50_ms={big['feed'][0]:.1f} "
              f"topic_p50_ms={big['topic'][0]:.1f} search_p50_ms={big['search'][0]:.1f} queries_per_page={big['feed'][1]}")


if __name__ == "__main__":
    main()
