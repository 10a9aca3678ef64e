"""In a real browser: a maker connects a Sandbox account through its consent page, the sandbox
revokes its tokens, the card turns expired, and Reconnect brings it back."""
import re

from playwright.sync_api import expect

from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_workspace, owner_of


def log_in(page, live_server, email):
    log_in_through_the_form(page, live_server, email)
    expect(page).to_have_url(re.compile(r"/w/[^/]+/$"))


def test_connect_revoke_and_reconnect_a_sandbox_account(live_server, page):
    workspace = make_workspace(name="Harbor Kitchen")
    log_in(page, live_server, owner_of(workspace).email)
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Connections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")
    expect(page.locator("#platform-x")).to_contain_text("not configured")

    page.get_by_role("button", name="Connect Sandbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allow Studio to use your Sandbox account?")
    page.get_by_label("Sandbox handle").fill("harbor_kitchen")
    page.get_by_role("button", name="Allow").click()

    expect(page).to_have_url(re.compile(r"/w/harbor-kitchen/connections$"))
    card = page.locator(".account-card").filter(has_text="@harbor_kitchen")
    expect(card.locator(".badge.status")).to_have_text("active")
    expect(card).to_contain_text("publish")

    # The platform cuts the app off.
    page.goto(f"{live_server}/sandbox/")
    page.get_by_role("button", name="Revoke all tokens").click()
    expect(page.locator("#flash")).to_contain_text("The sandbox revoked 1 token")

    page.goto(f"{live_server}/w/harbor-kitchen/connections")
    card.get_by_role("button", name="Refresh now").click()
    expect(card.locator(".badge.status")).to_have_text("expired")
    expect(page.locator("#flash")).to_contain_text("needs reconnecting")
    reconnect = card.get_by_role("button", name="Reconnect")
    expect(reconnect).to_have_class(re.compile("primary"))

    reconnect.click()
    page.get_by_label("Sandbox handle").fill("harbor_kitchen")
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"/w/harbor-kitchen/connections$"))
    expect(page.locator(".account-card")).to_have_count(1)
    expect(card.locator(".badge.status")).to_have_text("active")


def test_connecting_a_platform_on_another_origin_is_not_blocked_by_the_page_policy(live_server, page, app):
    """A Connect button posts to the studio, which redirects to the platform's own host: the
    page's Content-Security-Policy (form-action) must allow that hop, with JavaScript on or off."""
    from tests.fakes.platforms import FakePlatformServer

    workspace = make_workspace(name="Far Away")
    with FakePlatformServer() as fake:
        app.config.update(fake.config())
        log_in(page, live_server, owner_of(workspace).email)
        page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Connections").click()
        page.get_by_role("button", name="Connect X").click()
        expect(page).to_have_url(re.compile(r"/w/far-away/connections$"))
        expect(page.locator("#flash")).to_contain_text("Connected X account @northwind")
        assert fake.calls_to("/x-web/i/oauth2/authorize"), "the browser really went to the platform's host"
