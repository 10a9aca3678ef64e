"""How the content pages grow with a workspace's content: requests, versions, comments, posts waiting
for approval, and a post's history.

Builds workspaces with 10, 100 and 1,000 of each (requests, posts waiting for the team and for the
client, versions and comments on one request, steps in one post's history) and prints each page's
median time and its SQL statements. The statements must be the same at every size (no N+1); the
queues show at most 200 posts, so their time stops growing there.

    .venv/bin/python bench/content.py
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update  # noqa: E402

from bench.timing import analyze, bench_app, measure  # noqa: E402
from studio.accounts.models import User  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.connections.models import PlatformConnection  # noqa: E402
from studio.content import approvals  # noqa: E402
from studio.content.models import Comment, ContentEdit, ContentRequest, ContentVersion  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.portal.models import Client  # noqa: E402
from studio.publishing.models import Delivery, Post  # noqa: E402

SIZES = (10, 100, 1000)
REPEATS = 15
PAGES = {"requests": ("staff", "/w/{slug}/requests?status="), "request": ("staff", "/w/{slug}/requests/{request}"),
         "approvals": ("staff", "/w/{slug}/approvals"), "post": ("staff", "/w/{slug}/posts/{post}"),
         "post history": ("staff", "/w/{slug}/posts/{post}/history"),
         "client queue": ("client", "/portal/c/{client}/approvals"),
         "client post": ("client", "/portal/c/{client}/approvals/{post}")}


def build(folder, size):
    app = bench_app(f"sqlite:///{folder}/content-{size}.db", folder)
    with app.app_context():
        owner = User(email="owner@example.com", name="Owner", password_hash="x")
        rosa = User(email="rosa@example.com", name="Rosa", password_hash="x")
        db.session.add_all([owner, rosa])
        workspace = create_workspace(owner, f"Bench {size}")
        approvals.set_mode(workspace, "client")
        client = Client(workspace_id=workspace.id, user=rosa, name="Rosa", email=rosa.email, status="active")
        db.session.add(client)
        db.session.flush()
        account = PlatformConnection(workspace_id=workspace.id, client_id=client.id, platform="sandbox", account_id="1",
                                     username="rosa.lifts", access_token="a" * 40, refresh_token="r" * 40, scope="publish")
        db.session.add(account)
        db.session.flush()
        first = None
        for number in range(size):
            request = ContentRequest(workspace_id=workspace.id, client_id=client.id, title=f"Request {number}",
                                     brief="A brief", created_by_id=owner.id, assignee_id=owner.id)
            db.session.add(request)
            first = first or request
            for state in ("pending_team", "pending_client"):
                post = Post(workspace_id=workspace.id, author_id=owner.id, client_id=client.id, message=f"Post {number}",
                            approval=state, status="draft")
                post.deliveries.append(Delivery(workspace_id=workspace.id, connection_id=account.id, platform="sandbox"))
                db.session.add(post)
        db.session.flush()
        assert first is not None
        watched = db.session.execute(db.select(Post).where(Post.approval == "pending_client").limit(1)).scalar_one()
        for number in range(size):
            db.session.add(ContentVersion(workspace_id=workspace.id, request_id=first.id, text=f"Version {number}",
                                          hashtags=["one", "two"], created_by_id=owner.id))
            parent = Comment(workspace_id=workspace.id, request_id=first.id, author_id=owner.id, body=f"Comment {number}")
            db.session.add(parent)
            db.session.add(Comment(workspace_id=workspace.id, post_id=watched.id, author_id=rosa.id, by_client=True,
                                   body=f"On the post {number}"))
            db.session.add(ContentEdit(workspace_id=workspace.id, post_id=watched.id, action="edited", editor_id=owner.id,
                                       previous_text=f"Post {number} words here", new_text=f"Post {number + 1} words here"))
        db.session.execute(update(Post).where(Post.id == watched.id).values(message="Post 1 words here"))
        db.session.commit()
        analyze()
        ids = {"slug": workspace.slug, "request": first.id, "post": watched.id, "client": client.id}
        return app, {"staff": owner.get_id(), "client": rosa.get_id()}, ids


def main():
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for size in SIZES:
            app, users, ids = build(Path(folder), size)
            for name, (who, pattern) in PAGES.items():
                results[(name, size)] = measure(app, users[who], pattern.format(**ids), repeats=REPEATS)
        print(f"{'page':<14}" + "".join(f"{size:>9} each" for size in SIZES) + "   ratio 1000/10   queries")
        for name in PAGES:
            times = [results[(name, size)][0] for size in SIZES]
            queries = [results[(name, size)][1] for size in SIZES]
            same = "same at every size" if len(set(queries)) == 1 else "GROWS: " + "/".join(map(str, queries))
            print(f"{name:<14}" + "".join(f"{t:>11.1f} ms" for t in times) + f"   {times[-1] / times[0]:>8.1f}x      {queries[0]} ({same})")


if __name__ == "__main__":
    main()
