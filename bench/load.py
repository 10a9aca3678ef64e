"""A mixed load on Studio as production runs it: 2 web processes (gunicorn, threaded) and 2
publishing workers (`flask studio worker`) on PostgreSQL, the engine publishing to the sandbox
platform (served by the web processes) while makers compose and schedule, clients write and ask
the coach, and members reply in the community (bench/locustfile.py). Part-way through, one web
process is stopped (SIGTERM: it finishes what it holds; gunicorn starts another) and one worker is
killed outright (SIGKILL: its leases run out and the other worker takes over).

Afterwards every write the studio acknowledged is looked for in the database, every post is waited
for until it is out, and the sandbox is asked how many posts it holds per delivery. Last line:

    requests=… errors=0 p50_ms=… p99_ms=… published=… duplicates=0

Needs locust (`.venv/bin/pip install -r bench/requirements-load.txt`) and an empty PostgreSQL
database it may fill:

    .venv/bin/python bench/load.py postgresql://user@127.0.0.1:5432/studio_load [--seconds 120] [--users 24]
"""
import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-password-42"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(url, folder, port):
    return {**os.environ, "DATABASE_URL": url, "STUDIO_INSTANCE_PATH": str(folder), "SECRET_KEY": "load-" * 10,
            "SCHEDULER_ENABLED": "false", "SANDBOX_BASE_URL": f"http://127.0.0.1:{port}", "STUDIO_USAGE_LIMITS": "off",
            "PUBLISH_LEASE_SECONDS": "20", "PUBLISH_LOOKUP_DELAY_SECONDS": "2", "LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"), "PORT": str(port), "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "2", "COACH_SAVE_SECONDS": "0.2", "METRICS_CACHE_SECONDS": "0"}


def prepare(env, makers=4, clients=6, members=6):
    """Migrate, then make the accounts the load logs in as (one workspace, as an agency has)."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "STUDIO_INSTANCE_PATH", "SECRET_KEY", "SCHEDULER_ENABLED")})
    from datetime import timedelta

    from studio import create_app
    from studio.accounts import service as accounts
    from studio.accounts.models import Membership
    from studio.community import posting
    from studio.community.members import profile_for
    from studio.connections.models import PlatformConnection
    from studio.database import utcnow
    from studio.extensions import db
    from studio.platforms import get_platform
    from studio.portal import service as portal
    from studio.sandbox.models import SandboxAccount
    from studio.sandbox.service import issue_tokens, set_faults

    app = create_app()
    with app.app_context():
        owner = accounts.create_user("owner@load.example", "Load Owner", PASSWORD)
        workspace = accounts.create_workspace(owner, "Load Kitchen")
        made = {"password": PASSWORD, "makers": [], "clients": [], "members": []}
        for number in range(makers):
            maker = owner if number == 0 else accounts.create_user(f"maker{number}@load.example", f"Maker {number}", PASSWORD)
            if number:
                db.session.add(Membership(workspace_id=workspace.id, user_id=maker.id, role="editor"))
            account = SandboxAccount(handle=f"load_kitchen_{number}", display_name=f"Load Kitchen {number}")
            db.session.add(account)
            db.session.flush()
            access, refresh = issue_tokens(account, timedelta(days=1), get_platform("sandbox").client_id)
            connection = PlatformConnection(workspace_id=workspace.id, platform="sandbox", account_id=str(account.id),
                                            username=account.handle, display_name=account.display_name, access_token=access,
                                            refresh_token=refresh, expires_at=utcnow() + timedelta(days=1), scope="profile publish metrics")
            db.session.add(connection)
            db.session.commit()
            made["makers"].append({"email": maker.email, "slug": workspace.slug, "connection": str(connection.id)})
        # Each post takes the sandbox 1.5 s to make, so the killed worker dies holding some; and the
        # sandbox makes a second post for a repeated reference, so a delivery published twice shows.
        set_faults(create_latency_ms=1500, no_idempotency=True)
        channel = posting.create_channel(workspace, "General", "general")
        topic = posting.create_topic(workspace, owner, "moderator", channel, "text", "What are you filming this week?", "Tell us.")
        for kind, count in (("clients", clients), ("members", members)):
            for number in range(count):
                email = f"{kind}{number}@load.example"
                client = portal.create_client(workspace, f"{kind.title()} {number}", email)
                user = accounts.create_user(email, client.name, PASSWORD)
                client.user_id, client.status = user.id, "active"
                db.session.commit()
                thread = portal.start_thread(client, user, True, "Hello", "Starting out.")
                profile = profile_for(workspace, user)
                profile.created_at, profile.points = utcnow() - timedelta(days=30), 100  # an established member
                db.session.commit()
                made[kind].append({"email": email, "client": client.id, "thread": thread.id, "space": workspace.slug,
                                   "topic": topic.id})
        return made


def start(command, env, log):
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("the studio never became ready (see the logs in the temporary folder)")


def web_children(master):
    """gunicorn's web processes: the children of its master (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == master.pid:
            found.append(int(stat.parent.name))
    return found


def verify(acked_file, drain_seconds=240):
    """(lost writes, published deliveries, duplicates, still pending) once everything due is out."""
    from sqlalchemy import func, select

    from studio.coach.models import CoachMessage
    from studio.community.models import Reply
    from studio.extensions import db
    from studio.portal.models import Message
    from studio.publishing.models import Delivery, Post, PublishAttempt
    from studio.sandbox.models import SandboxPost

    acked = [json.loads(line) for line in Path(acked_file).read_text().splitlines() if line.strip()]
    where = {"post": Post.message, "message": Message.body, "question": CoachMessage.content, "reply": Reply.body}
    lost = []
    for item in acked:
        column = where[item["kind"]]
        if db.session.scalar(select(func.count()).where(column.contains(item["marker"]))) != 1:
            lost.append(item)
    deadline = time.monotonic() + drain_seconds
    while time.monotonic() < deadline:
        pending = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status.in_(("pending", "publishing"))))
        if not pending:
            break
        db.session.rollback()
        time.sleep(2)
    published = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "published"))
    per_reference = select(SandboxPost.client_reference, func.count().label("made")).group_by(SandboxPost.client_reference).subquery()
    duplicates = db.session.scalar(select(func.coalesce(func.sum(per_reference.c.made - 1), 0)).where(per_reference.c.made > 1))
    not_out = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status != "published"))
    # A delivery the killed worker held: claimed again once its lease ran out, and found already made
    # (recovered) or published on a later attempt.
    taken_over = db.session.scalar(select(func.count()).select_from(Delivery).where(
        (Delivery.attempt_count > 1) | Delivery.id.in_(select(PublishAttempt.delivery_id).where(PublishAttempt.outcome == "recovered"))))
    return lost, published, duplicates, not_out, taken_over


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--users", type=int, default=24)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="studio-load-"))
    port = free_port()
    env = environment(options.database_url, folder, port)
    accounts_file, acked_file = folder / "accounts.json", folder / "acked.jsonl"
    accounts_file.write_text(json.dumps(prepare(env)))
    acked_file.touch()
    logs = {name: open(folder / f"{name}.log", "w") for name in ("web", "worker-1", "worker-2", "worker-3", "locust")}
    web = start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], env, logs["web"])
    worker_env = {key: value for key, value in env.items() if key != "PROMETHEUS_MULTIPROC_DIR"}  # serves no pages
    workers = [start([sys.executable, "-m", "flask", "--app", "app", "studio", "worker"], worker_env, logs[f"worker-{n}"])
               for n in (1, 2)]
    processes = [web, *workers]
    failed = True
    try:
        wait_ready(port)
        print(f"studio ready on :{port}: 2 web processes, 2 workers, PostgreSQL; load for {options.seconds} s "
              f"with {options.users} users (logs in {folder})", flush=True)
        locust = start([sys.executable, "-m", "locust", "-f", "bench/locustfile.py", "--headless", "-u", str(options.users),
                        "-r", str(max(1, options.users // 6)), "-t", f"{options.seconds}s", "--host", f"http://127.0.0.1:{port}",
                        "--csv", str(folder / "stats"), "--only-summary", "--stop-timeout", "10"],
                       {**env, "LOAD_ACCOUNTS": str(accounts_file), "LOAD_ACKED": str(acked_file)}, logs["locust"])
        time.sleep(options.seconds * 0.4)
        stopped_web = web_children(web)[0]
        os.kill(stopped_web, signal.SIGTERM)
        os.kill(workers[0].pid, signal.SIGKILL)
        print(f"stopped web process {stopped_web} (SIGTERM) and killed worker {workers[0].pid} (SIGKILL)", flush=True)
        time.sleep(5)
        processes.append(start([sys.executable, "-m", "flask", "--app", "app", "studio", "worker"], worker_env, logs["worker-3"]))
        locust.wait(timeout=options.seconds + 120)
        totals = next(row for row in csv.DictReader(open(folder / "stats_stats.csv")) if row["Name"] == "Aggregated")
        from studio import create_app
        from studio.extensions import db

        with create_app().app_context():
            lost, published, duplicates, not_out, taken_over = verify(acked_file)
            db.session.remove()
        acked = len(acked_file.read_text().splitlines())
        print(f"acknowledged writes {acked}, lost {len(lost)}; deliveries published {published}, not out {not_out}, "
              f"taken over after the kill {taken_over}")
        for item in lost[:5]:
            print("  lost:", item)
        print(f"requests={totals['Request Count']} errors={totals['Failure Count']} p50_ms={totals['50%']} "
              f"p99_ms={totals['99%']} published={published} duplicates={duplicates} lost={len(lost)} not_out={not_out}",
              flush=True)
        failed = int(totals["Failure Count"]) or duplicates or lost or not_out
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
