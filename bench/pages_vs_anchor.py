"""Studio's key pages against a hand-written page, served the same way, measured in the same run.

The anchor is the least a page can be: a 38-line layout with a 50-row table whose rows come from
raw `sqlite3`, rendered by Flask and Jinja (written out below). Studio's pages hold an agency's
volume in one workspace: 1,000 posts in the month, a topic with 50 replies, 5,000 client threads
with 100,000 messages, 1,000 library assets, 100,000 community topics, and a client with her own
threads. Both run under gunicorn with 2 sync workers on SQLite (after ANALYZE); wrk (Debian's
package: apt-get install wrk) sends 16 connections at one page at a time, the anchor and each
Studio page alternating (each page between two runs of the anchor), for three rounds. Ratio =
Studio's requests/s / the mean of the anchor's runs on either side of it (the median of the rounds
is printed); the issue's goal is a ratio of at least 0.5.

    .venv/bin/python bench/pages_vs_anchor.py [--seconds 5] [--rounds 3]

The last line reads:
    min_ratio=R worst=<page>
"""
import argparse
import importlib.util
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench import community as community_bench  # noqa: E402
from bench import inbox as inbox_bench  # noqa: E402
from bench.timing import analyze, bench_app, measure  # noqa: E402
from studio.accounts.models import User  # noqa: E402
from studio.accounts.passwords import hash_password  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.community.models import Channel, Reply, Topic  # noqa: E402
from studio.connections.models import PlatformConnection  # noqa: E402
from studio.database import utcnow  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.library.models import MediaAsset  # noqa: E402
from studio.portal.models import Client, Thread  # noqa: E402
from studio.publishing.models import Delivery, Post  # noqa: E402

PASSWORD = "bench-pages-password-1"
ZONE = "UTC"

ANCHOR_APP = '''
import sqlite3
from flask import Flask, render_template
from jinja2 import DictLoader

DATABASE = {database!r}
LAYOUT = {layout!r}
app = Flask(__name__)
app.jinja_loader = DictLoader({{"page.html": LAYOUT}})


@app.get("/")
def page():
    connection = sqlite3.connect(DATABASE)
    try:
        rows = connection.execute(
            "SELECT id, message, status, scheduled_at FROM posts ORDER BY scheduled_at DESC, id DESC LIMIT 50"
        ).fetchall()
    finally:
        connection.close()
    return render_template("page.html", rows=rows)
'''

# 38 lines: a real page's head, a header with navigation, a table of 50 rows, a footer.
ANCHOR_LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Posts</title>
  <link rel="stylesheet" href="/static/app.css">
</head>
<body>
  <header>
    <a href="/">Studio</a>
    <nav>
      <a href="/calendar">Calendar</a>
      <a href="/posts">Posts</a>
      <a href="/library">Library</a>
    </nav>
  </header>
  <main>
    <h1>Posts</h1>
    <table>
      <thead>
        <tr><th>#</th><th>Message</th><th>Status</th><th>When</th></tr>
      </thead>
      <tbody>
        {% for id, message, status, scheduled_at in rows %}
        <tr>
          <td>{{ id }}</td>
          <td><a href="/posts/{{ id }}">{{ message }}</a></td>
          <td>{{ status }}</td>
          <td>{{ scheduled_at }}</td>
        </tr>
        {% endfor %}
      </tbody>
    </table>
  </main>
  <footer>Studio</footer>
</body>
</html>
"""


# ---- the data -----------------------------------------------------------------------------------


def add_posts(workspace, owner, count):
    """`count` posts spread over the current month (in ZONE), each to one of four accounts."""
    now = utcnow()
    connections = []
    for number in range(4):
        connection = PlatformConnection(workspace_id=workspace.id, platform="sandbox", account_id=f"acct-{number}",
                                        username=f"agency_{number}", display_name=f"Agency {number}", status="active")
        db.session.add(connection)
        connections.append(connection)
    db.session.flush()
    first = datetime.now(ZoneInfo(ZONE)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for number in range(count):
        moment = first + timedelta(days=number % 28, hours=8 + number % 12, minutes=number % 60)
        rows.append({"workspace_id": workspace.id, "author_id": owner.id, "message": f"Post {number}: a hook, a story "
                     f"and a call to action for the week", "overrides": {}, "scheduled_at": moment, "timezone": ZONE,
                     "status": "scheduled" if moment > now else "published", "version": 1, "created_at": now,
                     "updated_at": now})
    db.session.execute(insert(Post), rows)
    post_ids = db.session.execute(select(Post.id).where(Post.workspace_id == workspace.id).order_by(Post.id)).scalars().all()
    statuses = {post_id: status for post_id, status in
                db.session.execute(select(Post.id, Post.status).where(Post.workspace_id == workspace.id))}
    db.session.execute(insert(Delivery), [
        {"post_id": post_id, "workspace_id": workspace.id, "connection_id": connections[index % 4].id, "platform": "sandbox",
         "status": "published" if statuses[post_id] == "published" else "pending", "options": {}, "progress": {}}
        for index, post_id in enumerate(post_ids)])


def add_assets(workspace, owner, count):
    now = utcnow()
    db.session.execute(insert(MediaAsset), [
        {"workspace_id": workspace.id, "uploaded_by_id": owner.id, "kind": "video" if number % 3 else "image",
         "title": f"Clip {number:04d}", "content_type": "video/mp4" if number % 3 else "image/jpeg",
         "storage_key": f"bench/{number}.mp4", "size_bytes": 1_000_000 + number, "sha256": f"{number:064d}",
         "status": "ready", "duration_seconds": 30.0 if number % 3 else None, "width": 1080, "height": 1920,
         "aspect_ratio": "9:16", "orientation": "vertical", "created_at": now - timedelta(minutes=number)}
        for number in range(count)])


def add_long_topic(workspace, channel_id, author_ids, replies):
    """One topic with `replies` replies (a few nested) by different members."""
    now = utcnow()
    topic = Topic(workspace_id=workspace.id, channel_id=channel_id, author_id=author_ids[0], type="question",
                  title="How do you plan a month of reels?", body="Share your system.",
                  body_html="<p>Share your system.</p>", body_hash="", reply_count=replies, last_activity_at=now)
    db.session.add(topic)
    db.session.flush()
    for number in range(replies):
        db.session.add(Reply(workspace_id=workspace.id, topic_id=topic.id, author_id=author_ids[(number + 1) % len(author_ids)],
                             body=f"Reply {number}: batch film on Sundays.", body_html=f"<p>Reply {number}: batch film "
                             "on Sundays.</p>", body_hash="", created_at=now - timedelta(minutes=replies - number)))
    db.session.flush()
    return topic.id


def build(folder):
    """The data (made once per folder: `--data DIR` keeps it between runs), and the pages to load."""
    database = Path(folder) / "pages.db"
    app = bench_app(f"sqlite:///{database}", folder)
    app.jinja_env.auto_reload = False  # as in production: templates are compiled once
    with app.app_context():
        if db.session.execute(select(User).where(User.email == "owner@agency.example")).scalar_one_or_none() is None:
            fill_agency()
        pages, users, logins = pages_to_load(app)
    # Outside the app context: each request must get its own (and its own `g`), as under a server.
    timings = {name: measure(app, users[who], url, repeats=5) for name, _, who, url in pages}
    return database, pages, timings, logins


def fill_agency():
    owner = User(email="owner@agency.example", name="Agency Owner", password_hash=hash_password(PASSWORD),
                 timezone=ZONE)
    db.session.add(owner)
    workspace = create_workspace(owner, "Agency")
    started = time.perf_counter()
    add_posts(workspace, owner, 1000)
    add_assets(workspace, owner, 1000)
    inbox_bench.fill(workspace, owner, 500, 10)
    _, channel_ids, _ = community_bench.fill(workspace, owner, 100_000, 0, 200)
    author_ids = db.session.execute(select(User.id).where(User.email.like(f"m%-{workspace.id}@example.com"))
                                    .limit(30)).scalars().all()
    add_long_topic(workspace, channel_ids[0], author_ids, 50)
    client = db.session.execute(select(Client).where(Client.workspace_id == workspace.id).order_by(Client.id)
                                .limit(1)).scalar_one()
    client_user = User(email="rosa@client.example", name="Rosa Client", password_hash=hash_password(PASSWORD),
                       timezone=ZONE)
    db.session.add(client_user)
    db.session.flush()
    client.user_id, client.email = client_user.id, client_user.email
    db.session.commit()
    analyze()
    print(f"data built in {time.perf_counter() - started:.0f} s", flush=True)


def pages_to_load(app):
    owner = db.session.execute(select(User).where(User.email == "owner@agency.example")).scalar_one()
    client_user = db.session.execute(select(User).where(User.email == "rosa@client.example")).scalar_one()
    client = db.session.execute(select(Client).where(Client.user_id == client_user.id)).scalar_one()
    workspace = client.workspace
    topic_id = db.session.execute(select(Topic.id).where(Topic.workspace_id == workspace.id, Topic.reply_count == 50)
                                  .order_by(Topic.id.desc()).limit(1)).scalar_one()
    thread_id = db.session.execute(select(Thread.id).where(Thread.workspace_id == workspace.id)
                                   .order_by(Thread.last_message_at.desc()).limit(1)).scalar_one()
    channel_slug = db.session.execute(select(Channel.slug).where(Channel.workspace_id == workspace.id)
                                      .order_by(Channel.id).limit(1)).scalar_one()
    slug = workspace.slug
    month = datetime.now(ZoneInfo(ZONE)).strftime("%Y-%m")
    pages = [
        ("calendar month", "1,000 posts in the month", "owner", f"/w/{slug}/calendar?month={month}"),
        ("community topic", "50 replies", "owner", f"/community/{slug}/t/{topic_id}"),
        ("staff inbox", "5,000 threads, 100,000 messages", "owner", f"/w/{slug}/inbox"),
        ("one thread", "20 messages", "owner", f"/w/{slug}/inbox/{thread_id}"),
        ("library grid", "1,000 assets", "owner", f"/w/{slug}/library/"),
        ("channel feed", "100,000 topics", "owner", f"/community/{slug}/ch/{channel_slug}"),
        ("portal inbox", "her threads", "client", f"/portal/c/{client.id}/inbox"),
    ]
    users = {"owner": owner.get_id(), "client": client_user.get_id()}
    logins = {"owner": owner.email, "client": client_user.email}
    return pages, users, logins


def anchor_milliseconds(database, repeats=25):
    """The anchor page timed in this process, the way bench.timing times Studio's pages."""
    source = database.parent / "anchor.py"
    source.write_text(ANCHOR_APP.format(database=str(database), layout=ANCHOR_LAYOUT))
    spec = importlib.util.spec_from_file_location("anchor", source)
    anchor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(anchor)
    client = anchor.app.test_client()
    client.get("/")
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.get("/")
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def quick_report(database, pages, timings):
    """In-process figures (no server, no wrk): fast to repeat while working on a page."""
    anchor = anchor_milliseconds(database)
    print(f"anchor (in process): {anchor:.2f} ms")
    print(f"{'page':<16} {'queries':>7} {'ms':>7} {'ratio':>6}")
    for name, *_ in pages:
        milliseconds, queries = timings[name]
        print(f"{name:<16} {queries:>7} {milliseconds:>7.2f} {anchor / milliseconds:>6.2f}")


# ---- serving and loading ------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(module, folder, environment):
    port = free_port()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(folder),
         "--log-level", "warning", module],
        env={**os.environ, **environment}, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            return process, port
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{module} did not start")


def cookie_header(response):
    # Production cookies are Secure, which a cookie jar keeps off plain http: carry them by hand.
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in response.cookies)


def log_in(port, email):
    """A session cookie for `email`, through the real log-in form (CSRF token and all)."""
    form = requests.get(f"http://127.0.0.1:{port}/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)
    answer = requests.post(f"http://127.0.0.1:{port}/login", data={"csrf_token": token, "email": email,
                                                                   "password": PASSWORD},
                           headers={"Cookie": cookie_header(form)}, allow_redirects=False)
    assert answer.status_code in (302, 303), (email, answer.status_code)
    return cookie_header(answer)


def load(url, seconds, cookie=None):
    """Requests per second wrk measured; any answer other than 200 stops the bench."""
    command = ["wrk", "-t1", "-c16", f"-d{seconds}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"{url} answered errors under load:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", help="a folder to keep the data in between runs (made on the first)")
    parser.add_argument("--quick", action="store_true", help="time in process only (no gunicorn, no wrk)")
    arguments = parser.parse_args()
    if not arguments.quick and not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with (nullcontext(arguments.data) if arguments.data else tempfile.TemporaryDirectory()) as folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        database, pages, timings, logins = build(folder)
        queries = {name: count for name, (_, count) in timings.items()}
        if arguments.quick:
            quick_report(database, pages, timings)
            return
        Path(folder, "anchor.py").write_text(ANCHOR_APP.format(database=str(database), layout=ANCHOR_LAYOUT))
        # Configured as in production (templates compiled once, secure cookies, keys from the
        # environment), on the bench's own database and folder, with no background jobs.
        studio_env = {"STUDIO_ENV": "production", "DATABASE_URL": f"sqlite:///{database}", "STUDIO_INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench" * 10, "PUBLIC_URL": "http://127.0.0.1", "SCHEDULER_ENABLED": "false",
                      "TOKEN_KEYS": Path(folder, "token_keys").read_text().strip(), "PYTHONPATH": str(ROOT)}
        servers = []
        try:
            anchor, anchor_port = serve("anchor:app", folder, {})
            servers.append(anchor)
            studio, studio_port = serve("app:app", ROOT, studio_env)
            servers.append(studio)
            cookies = {who: log_in(studio_port, email) for who, email in logins.items()}
            ratios = {name: [] for name, *_ in pages}
            rates = {name: [] for name, *_ in pages}
            anchor_rates = []
            for round_number in range(arguments.rounds):
                # Each page runs between two runs of the anchor and is set against their mean: the
                # machine's pace drifts, and a page compared with the anchor on one side only would
                # carry that drift into its ratio.
                before = load(f"http://127.0.0.1:{anchor_port}/", arguments.seconds)
                anchor_rates.append(before)
                for name, _, who, path in pages:
                    rate = load(f"http://127.0.0.1:{studio_port}{path}", arguments.seconds, cookies[who])
                    after = load(f"http://127.0.0.1:{anchor_port}/", arguments.seconds)
                    anchor_rates.append(after)
                    rates[name].append(rate)
                    ratios[name].append(rate / ((before + after) / 2))
                    before = after
                print(f"round {round_number + 1} of {arguments.rounds} done", flush=True)
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    print(f"\nanchor: {statistics.median(anchor_rates):.0f} req/s (median of {len(anchor_rates)} runs)")
    print(f"{'page':<16} {'data':<32} {'queries':>7} {'req/s':>7} {'ratio':>6}")
    for name, data, *_ in pages:
        print(f"{name:<16} {data:<32} {queries[name]:>7} {statistics.median(rates[name]):>7.0f} "
              f"{statistics.median(ratios[name]):>6.2f}")
    worst = min(ratios, key=lambda name: statistics.median(ratios[name]))
    print(f"min_ratio={statistics.median(ratios[worst]):.2f} worst={worst.replace(' ', '_')}")


if __name__ == "__main__":
    main()
