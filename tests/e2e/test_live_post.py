"""In a real browser: a maker keeps a scheduled post's page open while the engine publishes it, and
sees "published" and the links to the post appear, and Move and Cancel go, without reloading."""
from datetime import timedelta

from playwright.sync_api import expect

from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine
from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_post, make_studio


def test_the_post_page_shows_the_post_going_out_without_a_reload(live_server, page):
    studio = make_studio(name="Harbor Bakery", sandbox_accounts=("harbor_kitchen", "harbor_street"))
    workspace, owner, connections = studio.workspace, studio.owner, studio.connections
    soon = (utcnow() + timedelta(minutes=2)).replace(tzinfo=None, second=0, microsecond=0)
    post = make_post(workspace=workspace, author=owner, connections=connections, message="Cinnamon buns at 8",
                     scheduled_at=soon)

    log_in_through_the_form(page, live_server, owner.email)
    expect(page.get_by_role("navigation", name="Workspace")).to_be_visible()
    page.goto(f"{live_server}/w/{workspace.slug}/posts/{post.id}")
    status = page.locator(".page-head .badge.post-status")
    expect(status).to_have_text("scheduled")
    expect(page.get_by_role("button", name="Move")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel the post")).to_be_visible()
    expect(page.get_by_role("link", name="View the post")).to_have_count(0)
    page.evaluate("window.stillTheSamePage = true")

    # The post's time comes, and a worker publishes it while the page stays open.
    now = utcnow()
    post.scheduled_at = now
    for delivery in post.deliveries:
        delivery.next_attempt_at = now
    db.session.commit()
    assert engine.run_until_idle() == 2

    expect(status).to_have_text("published")
    links = page.get_by_role("link", name="View the post")
    expect(links).to_have_count(2)
    for delivery in page.locator(".delivery").all():
        expect(delivery.locator(".badge.post-status")).to_have_text("published")
        assert "/sandbox/p/" in delivery.get_by_role("link", name="View the post").get_attribute("href")
    expect(page.get_by_role("button", name="Move")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel the post")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage === true"), "the page was not reloaded"
    expect(page.locator("#poll-post")).to_have_count(0)
