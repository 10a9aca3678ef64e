"""In a real browser: compose one post for two sandbox accounts (one with its own text), schedule
it, find it on the calendar, drag it to another day, let it fall due, and see both published."""
import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from studio.extensions import db
from studio.publishing import engine, service
from studio.publishing.models import Post
from tests.e2e.browser import log_in_through_the_form
from tests.factories import PASSWORD, make_post, make_sandbox_connection, make_workspace, owner_of


def test_compose_schedule_drag_and_publish(live_server, page, app):
    workspace = make_workspace(name="Harbor Bakery")
    owner = owner_of(workspace)
    owner.timezone = "Europe/Berlin"
    db.session.commit()
    make_sandbox_connection(workspace, "harbor_kitchen")
    make_sandbox_connection(workspace, "harbor_street")
    start = (datetime.now() + timedelta(days=3)).date()
    if start.day > 24:  # keep both days inside one calendar month
        start = (start.replace(day=1) + timedelta(days=40)).replace(day=5)

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Posts").click()
    page.get_by_role("link", name="New post").click()

    page.get_by_label("Harbor Kitchen · sandbox @harbor_kitchen").check()
    page.get_by_label("Harbor Street · sandbox @harbor_street").check()
    page.get_by_label("Message").fill("Cinnamon buns at 8, first come first served")
    expect(page.locator("#preflight")).to_contain_text("@harbor_street")
    page.get_by_text("Different text for one account").click()
    page.get_by_role("textbox", name="Sandbox @harbor_street").fill("Buns on Harbor Street at 8")
    page.get_by_label("Date", exact=True).fill(start.isoformat())
    page.get_by_label("Time", exact=True).fill("09:30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text("Scheduled.")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    page.goto(f"{live_server}/w/{workspace.slug}/calendar?month={start:%Y-%m}")
    entry = page.locator(f'.day[data-date="{start.isoformat()}"] .cal-post')
    expect(entry).to_contain_text("09:30 Cinnamon buns")
    target_day = start + timedelta(days=2)
    entry.drag_to(page.locator(f'.day[data-date="{target_day.isoformat()}"]'))
    expect(page.locator(f'.day[data-date="{target_day.isoformat()}"] .cal-post')).to_contain_text("09:30 Cinnamon buns")
    expect(page.locator(f'.day[data-date="{start.isoformat()}"] .cal-post')).to_have_count(0)

    post = db.session.execute(db.select(Post)).scalar_one()
    db.session.refresh(post)
    moved = service.local_time(post.scheduled_at, "Europe/Berlin")
    assert (moved.date(), moved.strftime("%H:%M")) == (target_day, "09:30")
    # The test clock: run the engine as it will be at the post's time.
    assert engine.run_until_idle(now=post.scheduled_at - timedelta(seconds=1)) == 0
    assert engine.run_until_idle(now=post.scheduled_at) == 2

    page.goto(f"{live_server}/w/{workspace.slug}/posts/{post.id}")
    deliveries = page.locator(".delivery")
    expect(deliveries).to_have_count(2)
    for account in ("harbor_kitchen", "harbor_street"):
        delivery = deliveries.filter(has_text=f"@{account}")
        expect(delivery.locator(".badge.post-status")).to_have_text("published")
        link = delivery.get_by_role("link", name="View the post")
        href = link.get_attribute("href")
        assert re.search(r"/sandbox/p/\d+$", href)
    page.goto(deliveries.filter(has_text="@harbor_street").get_by_role("link", name="View the post").get_attribute("href"))
    expect(page.locator(".post-text")).to_have_text("Buns on Harbor Street at 8")


def test_a_busy_day_shows_three_posts_and_opens_with_or_without_javascript(live_server, page, browser):
    """40 posts on one day: the month shows three and "+37 more", which opens the day in place (htmx,
    the address following) and, with JavaScript off, as an ordinary link."""
    workspace = make_workspace(name="Busy Bakery")
    workspace.plan = "agency"  # more scheduled posts in a month than Starter allows
    owner = owner_of(workspace)
    kitchen = make_sandbox_connection(workspace, "busy_kitchen")
    busy = (datetime.now().replace(day=1) + timedelta(days=40)).replace(day=5).date()  # the 5th of next month
    for number in range(40):
        make_post(workspace=workspace, author=owner, connections=[kitchen], message=f"Batch {number:02d} of croissants",
                  scheduled_at=datetime.combine(busy, datetime.min.time()) + timedelta(hours=8, minutes=5 * number))
    month = f"{live_server}/w/{workspace.slug}/calendar?month={busy:%Y-%m}"
    day_address = re.compile(re.escape(f"/w/{workspace.slug}/calendar?view=day&day={busy.isoformat()}") + "$")

    log_in_through_the_form(page, live_server, owner.email)
    page.goto(month)
    cell = page.locator(f'.day[data-date="{busy.isoformat()}"]')
    expect(cell.locator(".cal-post")).to_have_count(3)
    expect(cell.locator(".cal-post").first).to_contain_text("08:00 Batch 00 of croissants")
    page.evaluate("window.stillTheSamePage = true")
    cell.get_by_role("link", name="+37 more").click()
    expect(page).to_have_url(day_address)
    expect(page.locator("#calendar h2")).to_have_text(busy.strftime("%A %-d %B %Y"))
    expect(page.locator("#calendar .post-row")).to_have_count(40)
    assert page.evaluate("window.stillTheSamePage") is True, "htmx swapped the calendar in place"

    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        log_in_through_the_form(plain, live_server, owner.email)
        plain.goto(month)
        plain.locator(f'.day[data-date="{busy.isoformat()}"]').get_by_role("link", name="+37 more").click()
        expect(plain).to_have_url(day_address)
        expect(plain.locator("#calendar .post-row")).to_have_count(40)
    finally:
        context.close()
