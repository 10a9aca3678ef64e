"""A maker's storefront as anonymous visitors load it: 50 services, 200 updates (with images) and
100 showcase videos with synced numbers, against a small storefront (5, 20, 10) to show that the
page runs the same SQL statements at both sizes. Then the same request with the ETag a browser or
a proxy kept: it must answer 304 without drawing the page.

    .venv/bin/python bench/storefront.py          # SQLite
    .venv/bin/python bench/storefront.py postgresql://…/db
"""
import hashlib
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.timing import analyze, bench_app, measure  # noqa: E402
from studio.accounts.models import User  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.connections.models import PlatformConnection, SocialLink  # noqa: E402
from studio.database import utcnow  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.library.models import MediaAsset  # noqa: E402
from studio.publishing.models import PublishedPost  # noqa: E402
from studio.storefront.models import Service, Storefront, StorefrontUpdate, UpdateImage  # noqa: E402

REPEATS = 40


def asset(workspace, kind, number):
    return MediaAsset(workspace_id=workspace.id, kind=kind, title=f"{kind} {number}", storage_key=f"{workspace.id}/{kind}-{number}",
                      thumbnail_key=f"{workspace.id}/thumb-{kind}-{number}", content_type="video/mp4" if kind == "video" else "image/jpeg",
                      size_bytes=1000, sha256=hashlib.sha256(f"{kind}{number}".encode()).hexdigest(), status="ready", width=1080, height=1920)


def build_storefront(owner, name, services, updates, videos):
    workspace = create_workspace(owner, name)
    now = utcnow()
    db.session.add(Storefront(workspace_id=workspace.id, display_name=name, headline="Food videos and recipes",
                              bio="We cook and film.", published_at=now))
    account = PlatformConnection(workspace_id=workspace.id, platform="sandbox", account_id=f"{workspace.id}", username="kitchen",
                                 access_token="a" * 40, scope="publish", details={"stats": {"followers": 12_400}})
    db.session.add(account)
    db.session.add_all(SocialLink(workspace_id=workspace.id, label=f"Link {n}", url=f"https://example.com/{n}", position=n)
                       for n in range(4))
    db.session.add_all(Service(workspace_id=workspace.id, title=f"Service {n}", description="What it includes.",
                               price_cents=4_900 + n, currency="EUR", type=("artisan", "agent", "driver")[n % 3], position=n)
                       for n in range(services))
    db.session.flush()
    for n in range(updates):
        update = StorefrontUpdate(workspace_id=workspace.id, author_id=owner.id, body=f"Update {n}: what is new this week.",
                                  like_count=n % 7, comment_count=n % 3, created_at=now - timedelta(hours=n))
        db.session.add(update)
        if n % 2 == 0:
            image = asset(workspace, "image", n)
            db.session.add(image)
            db.session.flush()
            db.session.add(UpdateImage(update_id=update.id, asset_id=image.id))
    for n in range(videos):
        video = asset(workspace, "video", n)
        db.session.add(video)
        db.session.flush()
        db.session.add(PublishedPost(workspace_id=workspace.id, connection_id=account.id, platform="sandbox",
                                     platform_post_id=f"{workspace.id}-{n}", url=f"https://example.com/p/{n}",
                                     caption=f"Video {n}", media_id=video.id, in_showcase=True,
                                     showcase_kind=("short", "long", "demo")[n % 3], published_at=now - timedelta(hours=n),
                                     metrics={"views": 1000 * n, "likes": 40 * n}, last_synced_at=now))
    db.session.commit()
    return workspace.slug


def main():
    with tempfile.TemporaryDirectory() as folder:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/storefront.db"
        app = bench_app(url, folder)
        with app.app_context():
            owner = User(email="maker@example.com", name="Maker", password_hash="x")
            db.session.add(owner)
            small = build_storefront(owner, "Small Kitchen", 5, 20, 10)
            big = build_storefront(owner, "Big Kitchen", 50, 200, 100)
            analyze()
        small_ms, small_queries = measure(app, None, f"/@{small}", REPEATS)
        big_ms, big_queries = measure(app, None, f"/@{big}", REPEATS)
        response = app.test_client().get(f"/@{big}")
        cached_ms, cached_queries = measure(app, None, f"/@{big}", REPEATS, headers={"If-None-Match": response.headers["ETag"]},
                                            expect=304)
        print(f"small storefront (5 services, 20 updates, 10 videos):    p50 {small_ms:6.1f} ms, {small_queries} queries")
        print(f"big storefront   (50 services, 200 updates, 100 videos): p50 {big_ms:6.1f} ms, {big_queries} queries"
              f" ({'the same' if big_queries == small_queries else 'GROWS'}), {len(response.get_data())} bytes")
        print(f"repeat with If-None-Match: 304, p50 {cached_ms:.1f} ms, {cached_queries} queries,"
              f" {big_ms / cached_ms:.1f}x faster than drawing it")
        print(f"storefront_p50_ms={big_ms:.1f} queries={big_queries} not_modified=304")


if __name__ == "__main__":
    main()
