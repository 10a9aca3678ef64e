"""In real browsers, the portal's whole first conversation: staff add and invite a client; the
client opens the link from the e-mail a real SMTP server received, sets a password and writes with
an attachment; staff see the unread badge appear without reloading and reply; the client sees the
reply arrive on the page they are reading."""
import os
import re

from playwright.sync_api import expect

from studio.extensions import db
from studio.portal.models import PortalFile
from tests.factories import PASSWORD, make_workspace, owner_of


def log_in(page, live_server, email, password=PASSWORD):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_invite_write_with_attachment_see_badge_reply(live_server, new_page, app, smtp_server, tmp_path):
    app.config["PORTAL_POLL_SECONDS"] = 1
    workspace = make_workspace(name="Launch Agency")
    owner = owner_of(workspace)
    staff = new_page()
    log_in(staff, live_server, owner.email)
    staff.get_by_role("navigation", name="Workspace").get_by_role("link", name="Clients").click()
    staff.get_by_label("Name", exact=True).fill("Rosa Diaz")
    staff.get_by_label("E-mail", exact=True).fill("rosa@example.com")
    staff.get_by_label("Niche", exact=True).fill("Fitness")
    staff.get_by_role("button", name="Add client").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Rosa Diaz")
    staff.get_by_role("button", name="Invite to the portal").click()
    expect(staff.locator("#flash")).to_contain_text("Portal invitation sent to rosa@example.com")
    staff_url = staff.url

    [mail] = smtp_server.messages
    assert mail["To"] == "rosa@example.com"
    body = mail.get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"http://\S+/portal/invite/\S+", body).group(0)

    client = new_page()
    client.goto(link)
    client.get_by_label("Your name").fill("Rosa Diaz")
    client.get_by_label("Password").fill(PASSWORD)
    client.get_by_role("button", name="Set password and open my portal").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(client.get_by_role("navigation", name="Portal")).to_contain_text("Deliverables")
    brief = tmp_path / "brief.pdf"
    brief.write_bytes(b"%PDF-1.4\n% launch brief\n%%EOF\n")
    client.get_by_label("Subject").fill("Launch brief")
    client.get_by_label("Message").fill("Here is my brief <b>and</b> ideas.")
    client.get_by_label("Attach files").set_input_files(str(brief))
    client.get_by_role("button", name="Send").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Launch brief")
    expect(client.locator("#messages")).to_contain_text("Here is my brief <b>and</b> ideas.")
    expect(client.locator("#messages")).to_contain_text("brief.pdf")
    assert db.session.query(PortalFile).one().filename == "brief.pdf"

    # The staff page was never reloaded: the badge arrives by itself.
    assert staff.url == staff_url
    expect(staff.get_by_role("navigation", name="Workspace").get_by_role("link", name=re.compile("Inbox"))).to_contain_text("1")
    if os.environ.get("SCREENSHOTS"):
        staff.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "staff-badge.png"))
    staff.get_by_role("navigation", name="Workspace").get_by_role("link", name=re.compile("Inbox")).click()
    staff.get_by_role("link", name=re.compile("Launch brief")).click()
    expect(staff.locator("#messages")).to_contain_text("Here is my brief")
    staff.get_by_label("Message").fill("Welcome aboard, Rosa! Reading it now.")
    staff.get_by_role("button", name="Send").click()
    expect(staff.locator("#messages")).to_contain_text("Welcome aboard, Rosa!")

    # The client is still on the thread page; the reply appears there.
    expect(client.locator("#messages")).to_contain_text("Welcome aboard, Rosa! Reading it now.")
    expect(client.locator("#receipt")).to_contain_text("Seen")
    if os.environ.get("SCREENSHOTS"):
        client.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "client-thread.png"), full_page=True)


def test_older_conversations_come_in_place_with_htmx_and_as_a_page_without_javascript(live_server, new_page, browser,
                                                                                         app, monkeypatch):
    from studio.portal import reading
    from tests.factories import make_client, make_thread

    monkeypatch.setattr(reading, "PAGE_SIZE", 2)
    workspace = make_workspace(name="Launch Agency")
    owner = owner_of(workspace)
    client = make_client(workspace, name="Rosa Diaz")
    for number in range(5):
        make_thread(client=client, author=owner, subject=f"Topic {number}", body="Hello")
    staff = new_page()
    log_in(staff, live_server, owner.email)
    expect(staff.get_by_role("navigation", name="Workspace")).to_be_visible()
    staff.goto(f"{live_server}/w/{workspace.slug}/inbox")
    rows = staff.locator("#threads .thread-row")
    expect(rows).to_have_count(2)
    inbox_url = staff.url
    staff.get_by_role("link", name="Older conversations").click()
    expect(rows).to_have_count(4)
    staff.get_by_role("link", name="Older conversations").click()
    expect(rows).to_have_count(5)
    expect(staff.get_by_role("link", name="Older conversations")).to_have_count(0)
    assert [rows.nth(n).locator(".subject").inner_text() for n in range(5)] == [f"Topic {n}" for n in (4, 3, 2, 1, 0)]
    assert staff.url == inbox_url, "the rows come in place; the address stays the inbox's"

    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    log_in(plain, live_server, owner.email)
    expect(plain.get_by_role("navigation", name="Workspace")).to_be_visible()
    plain.goto(f"{live_server}/w/{workspace.slug}/inbox")
    plain.get_by_role("link", name="Older conversations").click()
    expect(plain.locator("#threads .thread-row .subject")).to_have_text(["Topic 2", "Topic 1"])
    assert "before=" in plain.url
    plain.get_by_role("link", name="Back to the newest").click()
    expect(plain.locator("#threads .thread-row .subject")).to_have_text(["Topic 4", "Topic 3"])
    context.close()
