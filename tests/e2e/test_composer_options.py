"""In a real browser: ticking a YouTube account brings its options in without a reload; choosing
"Short" for a four-minute video shows why YouTube would refuse it before anything is scheduled."""
import os

from playwright.sync_api import expect

from studio.extensions import db
from studio.publishing.models import Post
from tests.e2e.browser import log_in_through_the_form
from tests.factories import (
    make_asset,
    make_connection,
    make_workspace,
    owner_of,
)


def test_platform_options_appear_for_the_chosen_account_and_rules_are_checked_live(live_server, page, app):
    workspace = make_workspace(name="Kitchen Channel")
    owner = owner_of(workspace)
    make_connection(workspace, "youtube", username="kitchen", display_name="Kitchen")
    make_asset(workspace, "video", title="Full recipe", duration_seconds=240.0)

    log_in_through_the_form(page, live_server, owner.email)
    expect(page.get_by_role("navigation", name="Workspace")).to_be_visible()
    page.goto(f"{live_server}/w/{workspace.slug}/posts/new")
    url = page.url
    expect(page.locator("#platform-options")).to_contain_text("Choose accounts")

    page.get_by_label("Kitchen · youtube @kitchen").check()
    options = page.locator("#platform-options")
    expect(options).to_contain_text("Youtube @kitchen")
    page.get_by_label("Full recipe (video, 9:16)").check()
    page.get_by_label("Message").fill("The whole lasagne, start to finish")
    page.get_by_label("Post now").check()
    page.get_by_label("Format").select_option("short")
    expect(page.locator("#preflight")).to_contain_text("longer than 3 min (YouTube Shorts)")
    assert page.url == url, "no reload"
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "composer-options.png"), full_page=True)

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#media-error")).to_contain_text("longer than 3 min")
    assert db.session.query(Post).count() == 0

    page.get_by_label("Format").select_option("video")
    page.get_by_label("Title").fill("Lasagne, start to finish")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text("Publishing now.")
    [delivery] = db.session.execute(db.select(Post)).scalar_one().deliveries
    assert delivery.options["title"] == "Lasagne, start to finish" and delivery.options["format"] == "video"
