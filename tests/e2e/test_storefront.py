"""In a real browser: a visitor reads a maker's storefront with no account, follows the heart to
log in, comes back to the page and likes an update, which counts once and stays liked."""
import re

from playwright.sync_api import expect

from studio.extensions import db
from tests.e2e.browser import log_in_through_the_form
from tests.factories import PASSWORD, make_service, make_storefront, make_update, make_user, make_workspace, owner_of


def test_a_visitor_reads_the_storefront_logs_in_from_a_heart_and_likes_an_update(live_server, new_page, app):
    workspace = make_workspace(name="Northwind Kitchen")
    make_storefront(workspace, headline="Food videos from Portland")
    make_service(workspace, "Recipe development", 45_000, "EUR")
    update = make_update(workspace, owner_of(workspace), "Market day. Ramps are back.")
    fan = make_user(name="Fan Fiona")
    db.session.commit()

    page = new_page()
    page.goto(f"{live_server}/@{workspace.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Kitchen")
    expect(page.locator("#services-head + .sf-services")).to_contain_text("€450")
    page.get_by_text("Share this page").click()
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()  # shown where the script runs

    page.locator(f"#update-{update.id}").get_by_title("Log in to like").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(fan.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server}/@{workspace.slug}")

    heart = page.locator(f"#update-{update.id} button.like")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(page.locator(f"#update-{update.id} button.like")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#update-{update.id} .like-count")).to_have_text("1")
    page.reload()
    expect(page.locator(f"#update-{update.id} .like-count")).to_have_text("1")
    expect(page.locator(f"#update-{update.id} button.like")).to_have_attribute("aria-pressed", "true")


def test_the_team_previews_an_unpublished_storefront_from_the_studio(live_server, new_page, app):
    workspace = make_workspace(name="Quiet Kitchen")
    make_storefront(workspace, published=False, headline="Soon")
    page = new_page()
    log_in_through_the_form(page, live_server, owner_of(workspace).email)
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Storefront").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Storefront")
    expect(page.locator(".page-head")).to_contain_text("not published")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Preview").click()
    preview = opened.value
    expect(preview.get_by_role("status")).to_contain_text("once you publish it")
    expect(preview.get_by_role("heading", level=1)).to_have_text("Quiet Kitchen")
    page.get_by_role("button", name="Publish the page").click()
    expect(page.locator("#flash")).to_contain_text("Your storefront is live.")
