"""In a real browser: a maker signs up, invites a teammate by e-mail, and the teammate joins."""
import re

from playwright.sync_api import expect

from tests.factories import PASSWORD, make_workspace, owner_of


def watch_console(page):
    """Collect script errors and blocked content (CSP violations) so a test can assert there are none.
    A 4xx answer the page expects (422 for a form with errors) is not one of them."""
    errors = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_a_maker_signs_up_invites_a_teammate_who_joins_through_the_emailed_link(live_server, new_page, outbox):
    maker = new_page()
    console_errors = watch_console(maker)
    maker.goto(f"{live_server}/signup")
    maker.get_by_label("Your name").fill("Nora Quinn")
    maker.get_by_label("E-mail").fill("nora@example.com")
    maker.get_by_label("Password").fill("short")
    maker.get_by_role("button", name="Create account").click()
    expect(maker.locator("#password-error")).to_have_text("Use at least 10 characters.")
    expect(maker.get_by_label("Your name")).to_have_value("Nora Quinn")
    expect(maker.get_by_label("Password")).to_be_focused()

    maker.get_by_label("Password").fill("saffron-kettle-river-4")
    maker.get_by_role("button", name="Create account").click()
    expect(maker).to_have_url(re.compile(r"/w/nora-s-workspace/$"))
    expect(maker.get_by_role("heading", level=1)).to_have_text("Nora's workspace")
    expect(maker.locator("#flash")).to_contain_text("Welcome to Studio, Nora Quinn")

    maker.get_by_role("navigation", name="Workspace").get_by_role("link", name="Settings").click()
    maker.get_by_role("navigation", name="Settings").get_by_role("link", name="Members").click()
    expect(maker).to_have_url(re.compile(r"/members$"))
    maker.get_by_label("E-mail of the person to invite").fill("omar@@example")
    maker.get_by_role("button", name="Send invitation").click()
    expect(maker.locator("#email-error")).to_have_text("Enter a valid e-mail address.")
    expect(maker.get_by_label("E-mail of the person to invite")).to_be_focused()
    maker.get_by_label("E-mail of the person to invite").fill("omar@example.com")
    maker.get_by_label("Role").select_option("editor")
    maker.get_by_role("button", name="Send invitation").click()
    expect(maker.locator("#flash")).to_contain_text("Invitation sent to omar@example.com")
    expect(maker.locator("#members-panel")).to_contain_text("omar@example.com")
    assert console_errors == []

    link = outbox.last_link_to("omar@example.com")
    assert link.startswith(live_server + "/invite/")

    teammate = new_page()
    teammate.goto(link)
    expect(teammate.get_by_role("heading", level=1)).to_have_text("Join Nora's workspace")
    teammate.get_by_label("Your name").fill("Omar Haddad")
    teammate.get_by_label("Password").fill("cobalt-lantern-meadow-6")
    teammate.get_by_role("button", name="Create account and join").click()
    expect(teammate).to_have_url(re.compile(r"/w/nora-s-workspace/$"))

    # Log out and back in, as the teammate would the next day.
    teammate.get_by_role("group").filter(has_text="Omar Haddad").locator("summary").click()
    teammate.get_by_role("button", name="Log out").click()
    expect(teammate).to_have_url(re.compile(r"/login$"))
    teammate.get_by_label("E-mail").fill("omar@example.com")
    teammate.get_by_label("Password").fill("cobalt-lantern-meadow-6")
    teammate.get_by_role("button", name="Log in").click()
    expect(teammate).to_have_url(re.compile(r"/w/nora-s-workspace/$"))
    expect(teammate.get_by_role("heading", level=1)).to_have_text("Nora's workspace")
    expect(teammate.locator(".page-head")).to_contain_text("You are editor here")


def test_an_expired_session_during_an_htmx_request_goes_to_the_log_in_page(live_server, page, app):
    workspace = make_workspace(name="Session Co")
    owner = owner_of(workspace)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")

    page.context.clear_cookies()  # the session ends while the page stays open
    page.get_by_label("E-mail of the person to invite").fill("late@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/w/session-co/members$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.locator("#members-panel").count() == 0, "no log-in form inside a fragment"


def test_a_viewer_sees_the_team_but_no_controls_and_the_page_reads_without_javascript(live_server, browser, app):
    from tests.factories import add_member

    workspace = make_workspace(name="Quiet Co")
    viewer = add_member(workspace, "viewer")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("E-mail").fill(viewer.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Quiet Co")
        page.goto(f"{live_server}/w/quiet-co/members")
        expect(page.locator("#members-panel")).to_contain_text(viewer.email)
        assert page.get_by_role("button", name="Send invitation").count() == 0
        assert page.get_by_role("button", name="Remove").count() == 0
    finally:
        context.close()
