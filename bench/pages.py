"""How page render time and query count grow with a workspace's size.

Prints, for workspaces of 10, 100 and 1,000 members (as many pending invitations and library
assets, and a tenth as many connected accounts and profile links), the median time of each page and the number of SQL
statements it ran. The query count must stay the same at every size (no N+1); time should grow
only with the rows a page actually shows.

    .venv/bin/python bench/pages.py
"""
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from studio import create_app  # noqa: E402
from studio.accounts.models import Invitation, Membership, User  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.connections.models import PlatformConnection, SocialLink  # noqa: E402
from studio.database import utcnow  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.library.models import MediaAsset  # noqa: E402

SIZES = (10, 100, 1000)
REPEATS = 15
PAGES = {"overview": "/w/{slug}/", "members": "/w/{slug}/members", "members (htmx)": "/w/{slug}/members",
         "connections": "/w/{slug}/connections", "settings": "/w/{slug}/settings", "library": "/w/{slug}/library/",
         "library (search)": "/w/{slug}/library/?q=clip+1&kind=video&sort=title"}


def build(folder, size):
    app = create_app({
        "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench" * 10, "SCHEDULER_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench-{size}.db", "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        upgrade()
        owner = User(email="owner@example.com", name="Owner", password_hash="x")
        db.session.add(owner)
        workspace = create_workspace(owner, f"Bench {size}")
        for number in range(size - 1):
            user = User(email=f"m{number}@example.com", name=f"Member {number:04d}", password_hash="x")
            db.session.add(Membership(workspace=workspace, user=user, role="editor"))
            db.session.add(MediaAsset(workspace_id=workspace.id, kind="video", title=f"Clip {number}", content_type="video/mp4",
                                      storage_key=f"k{number}", size_bytes=number, sha256=f"{number:064d}", status="ready",
                                      aspect_ratio="9:16", orientation="vertical", duration_seconds=30.0))
            db.session.add(Invitation(workspace=workspace, email=f"i{number}@example.com", role="viewer",
                                      token_hash=f"{size}-{number}", expires_at=utcnow() + timedelta(days=1),
                                      invited_by=owner))
        for number in range(size // 10):  # an agency-sized list of connected accounts
            db.session.add(PlatformConnection(workspace_id=workspace.id, platform="sandbox", account_id=str(number),
                                              username=f"account{number}", access_token="a" * 40,
                                              refresh_token="r" * 40, scope="profile publish"))
            db.session.add(SocialLink(workspace_id=workspace.id, label=f"Link {number}", url="https://example.com"))
        db.session.commit()
        return app, owner.get_id(), workspace.slug


def measure(app, user_id, url, htmx):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    headers = {"HX-Request": "true"} if htmx else {}
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(1)  # noqa: E731
    client.get(url, headers=headers)  # warm up templates and caches
    timings = []
    for _ in range(REPEATS):
        statements.clear()
        event.listen(engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append(time.perf_counter() - start)
        event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings) * 1000, len(statements)


def main():
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for size in SIZES:
            app, user_id, slug = build(Path(folder), size)
            for name, pattern in PAGES.items():
                results[(name, size)] = measure(app, user_id, pattern.format(slug=slug), htmx="htmx" in name)
        print(f"{'page':<16}" + "".join(f"{size:>8} members" for size in SIZES) + "   time ratio 1000/10   queries")
        for name in PAGES:
            times = [results[(name, size)][0] for size in SIZES]
            queries = [results[(name, size)][1] for size in SIZES]
            cells = "".join(f"{t:>13.1f} ms" for t in times)
            same = "same at every size" if len(set(queries)) == 1 else "GROWS: " + "/".join(map(str, queries))
            print(f"{name:<16}{cells}   {times[-1] / times[0]:>8.1f}x            {queries[0]} ({same})")


if __name__ == "__main__":
    main()
