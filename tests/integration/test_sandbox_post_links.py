"""A post published on the built-in sandbox links to wherever the studio is reached now, not to the
address it had when the post was made (the demo is seeded before the server knows its port)."""
import re

from studio.demo import seed_posts
from studio.extensions import db
from studio.publishing.models import Delivery, Post, PublishedPost
from tests.factories import make_sandbox_connection, make_workspace, owner_of


def view_links(page):
    return re.findall(r'<a[^>]*href="([^"]+)"[^>]*>View the post</a>', page)


def test_demo_posts_link_to_the_port_the_studio_runs_on(app, client):
    workspace = make_workspace(name="Northwind")
    make_sandbox_connection(workspace, "northwind_kitchen")
    seed_posts(workspace)  # seeded with no request, as `python app.py` and `flask studio seed-demo` do
    published = db.session.execute(db.select(Post).where(Post.workspace_id == workspace.id,
                                                         Post.status == "published")).scalars().first()
    remote_id = published.deliveries[0].platform_post_id
    client.log_in_as(owner_of(workspace))

    page = client.get(f"/w/{workspace.slug}/posts/{published.id}", base_url="http://localhost:8123")
    assert view_links(page.get_data(as_text=True)) == [f"http://localhost:8123/sandbox/p/{remote_id}"]
    assert client.get(f"/sandbox/p/{remote_id}", base_url="http://localhost:8123").status_code == 200

    app.config["PUBLIC_URL"] = "https://studio.example.org"
    page = client.get(f"/w/{workspace.slug}/posts/{published.id}", base_url="http://localhost:8123")
    assert view_links(page.get_data(as_text=True)) == [f"https://studio.example.org/sandbox/p/{remote_id}"]


def test_links_to_other_platforms_are_the_ones_they_gave(app):
    workspace = make_workspace()
    make_sandbox_connection(workspace)
    seed_posts(workspace)
    delivery = db.session.execute(db.select(Delivery).where(Delivery.platform_url.is_not(None))).scalars().first()
    delivery.platform, delivery.platform_url = "x", "https://x.com/i/web/status/42"
    db.session.commit()
    with app.test_request_context(base_url="http://localhost:8123"):
        assert delivery.link == "https://x.com/i/web/status/42"
    record = db.session.execute(db.select(PublishedPost).where(PublishedPost.platform == "sandbox")).scalars().first()
    with app.test_request_context(base_url="http://localhost:9000"):
        assert record.link == f"http://localhost:9000/sandbox/p/{record.platform_post_id}"
