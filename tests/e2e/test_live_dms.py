"""In real browsers: two members write to each other and each sees the other's messages arrive in
the open conversation, and the unread count in the community menu come and go, without a reload."""
from playwright.sync_api import expect

from studio.community import members, messages
from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_client, make_workspace


def log_in(page, live_server, email):
    log_in_through_the_form(page, live_server, email)
    expect(page.get_by_role("navigation", name="Portal")).to_be_visible()


def test_direct_messages_arrive_live(live_server, new_page, app):
    app.config["PORTAL_POLL_SECONDS"] = 1
    workspace = make_workspace(name="Creators Club")
    alice, bob = (make_client(workspace, name=name).user for name in ("Alice Moon", "Bob Stone"))
    for person in (alice, bob):
        members.profile_for(workspace, person)
    messages.send_dm(workspace, alice, bob, "Hi Bob, are you filming Friday?")
    base = f"{live_server}/community/{workspace.slug}"

    bob_page = new_page()
    log_in(bob_page, live_server, bob.email)
    bob_page.goto(f"{base}/messages/alice_moon")
    expect(bob_page.locator("#dms")).to_contain_text("are you filming Friday?")

    alice_page = new_page()
    log_in(alice_page, live_server, alice.email)
    alice_page.goto(f"{base}/events")
    menu = alice_page.get_by_role("navigation", name="Community").get_by_role("link", name="Messages")
    expect(menu.locator(".badge")).to_have_count(0)

    bob_page.get_by_label("Message").fill("Yes! I can bring the **gimbal**.")
    bob_page.get_by_role("button", name="Send").click()
    expect(menu.locator(".badge")).to_have_text("1")  # Alice is elsewhere: the menu tells her
    menu.click()
    alice_page.get_by_role("link", name="Bob Stone").click()
    expect(alice_page.locator("#dms strong", has_text="gimbal")).to_be_visible()
    expect(menu.locator(".badge")).to_have_count(0)

    alice_page.evaluate("window.stillTheSamePage = true")
    messages.send_dm(workspace, bob, alice, "See you at 9.")
    expect(alice_page.locator("#dms")).to_contain_text("See you at 9.")
    expect(alice_page.locator("#dms .message")).to_have_count(3)
    expect(menu.locator(".badge")).to_have_count(0)  # read where it arrived
    assert alice_page.evaluate("window.stillTheSamePage === true"), "no reload"
    expect(bob_page.locator("#dms")).to_contain_text("See you at 9.")
