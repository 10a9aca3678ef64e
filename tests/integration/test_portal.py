"""The client portal as its two sides use it: staff invite a client, who sets a password and
writes; messages, files, deliverables and notifications stay with their own client; e-mails about
new messages are batched and respect each person's choices."""
import re
from datetime import timedelta

import pytest

from studio.accounts.models import Invitation
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.portal import reading, service
from studio.portal.models import Client, Message, PortalFile, Thread
from tests.factories import (
    PASSWORD,
    add_member,
    make_client,
    make_deliverable,
    make_studio,
    make_thread,
    make_workspace,
    owner_of,
    upload,
)
from tests.helpers import errors_next_to

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def agency(app):
    return make_studio(name="Launch Agency")


def invite(app, workspace, owner, client):
    staff = app.test_client().log_in_as(owner)
    response = staff.submit(f"/w/{workspace.slug}/clients/{client.id}/invite")
    assert response.status_code == 303
    return staff


# ---- invitations -------------------------------------------------------------------------------


def test_an_invited_client_sets_a_password_verifies_the_email_and_lands_in_the_portal(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    staff = app.test_client().log_in_as(owner)
    response = staff.submit(f"/w/{workspace.slug}/clients", {"name": "Rosa Diaz", "email": "Rosa@Example.com",
                                                             "niche": "Fitness", "current_month": "2"})
    client = db.session.query(Client).one()
    assert response.status_code == 303 and client.email == "rosa@example.com" and client.status == "invited"
    staff.submit(f"/w/{workspace.slug}/clients/{client.id}/invite")
    [mail] = outbox.to("rosa@example.com")
    assert "Launch Agency invited you to your client portal" in mail["Subject"]
    link = outbox.last_link_to("rosa@example.com")
    path = link.removeprefix("http://localhost")
    visitor = app.test_client()
    assert "Set password and open my portal" in visitor.text(path)
    weak = visitor.submit(path, {"name": "Rosa", "password": "short"})
    assert weak.status_code == 422 and errors_next_to(weak.get_data(as_text=True), "password")
    done = visitor.submit(path, {"name": "Rosa Diaz", "password": PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == f"/portal/c/{client.id}/inbox"
    db.session.refresh(client)
    assert client.status == "active" and client.user.email_verified_at is not None
    page = visitor.text(f"/portal/c/{client.id}/inbox")
    assert 'aria-label="Portal"' in page and "Deliverables" in page and "Notifications" in page
    assert 'aria-label="Workspace"' not in page, "a client sees the portal, not the agency's workspace"
    assert visitor.get("/").headers["Location"] == "/portal"


def link_for(outbox, address):
    return outbox.last_link_to(address).removeprefix("http://localhost")


def test_expired_reused_revoked_and_tampered_links_are_refused_with_a_clear_page(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace, with_login=False)
    staff = invite(app, workspace, owner, client)
    first = link_for(outbox, client.email)
    staff.submit(f"/w/{workspace.slug}/clients/{client.id}/invite")  # Resend: the first link dies
    second = link_for(outbox, client.email)
    visitor = app.test_client()
    response = visitor.get(first)
    assert response.status_code == 410 and "This invitation was withdrawn" in response.get_data(as_text=True)
    tampered = visitor.get(second[:-3] + "abc")
    assert tampered.status_code == 400 and "This link is not valid" in tampered.get_data(as_text=True)
    db.session.query(Invitation).filter_by(kind="client", accepted_at=None, revoked_at=None).update({"expires_at": utcnow() - timedelta(minutes=1)})
    db.session.commit()
    expired = visitor.get(second)
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)

    staff.submit(f"/w/{workspace.slug}/clients/{client.id}/invite")
    third = link_for(outbox, client.email)
    assert visitor.submit(third, {"name": "Client", "password": PASSWORD}).status_code == 303
    reused = app.test_client().get(third)
    assert reused.status_code == 410 and "This link was already used" in reused.get_data(as_text=True)

    other = make_client(workspace, with_login=False)
    staff = invite(app, workspace, owner, other)
    link = link_for(outbox, other.email)
    staff.submit(f"/w/{workspace.slug}/clients/{other.id}/invite/revoke")
    revoked = app.test_client().get(link)
    assert revoked.status_code == 410 and "withdrawn" in revoked.get_data(as_text=True)


# ---- messages and files ------------------------------------------------------------------------


def client_session(app, client):
    return app.test_client().log_in_as(client.user)


def test_a_client_writes_with_an_attachment_and_staff_see_it_unread_then_reply(app, agency):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    portal = client_session(app, client)
    response = portal.submit(f"/portal/c/{client.id}/threads", {"subject": "Launch plan", "body": "See the brief attached",
                                                                "files": [upload(PDF, "brief.pdf")]})
    thread = db.session.query(Thread).one()
    assert response.status_code == 303 and response.headers["Location"] == f"/portal/c/{client.id}/threads/{thread.id}"
    staff = app.test_client().log_in_as(owner)
    assert "1 unread" in staff.text(f"/w/{workspace.slug}/inbox/badge")
    inbox = staff.text(f"/w/{workspace.slug}/inbox?unread=1")
    assert "Launch plan" in inbox and client.name in inbox
    page = staff.text(f"/w/{workspace.slug}/inbox/{thread.id}")
    [attachment] = db.session.query(PortalFile).all()
    assert "brief.pdf" in page
    assert staff.get(f"/w/{workspace.slug}/inbox/{thread.id}/files/{attachment.id}").data == PDF
    assert staff.text(f"/w/{workspace.slug}/inbox/badge").strip() == "", "opening the thread read it"
    staff.submit(f"/w/{workspace.slug}/inbox/{thread.id}/reply", {"body": "Looks great, two notes inside."})
    assert "1 unread" in portal.text(f"/portal/c/{client.id}/badges")
    page = portal.text(f"/portal/c/{client.id}/threads/{thread.id}")
    assert "Looks great, two notes inside." in page
    [notification] = db.session.query(Notification).filter_by(user_id=client.user_id).all()
    assert notification.type == "new_message" and notification.action_url == f"/portal/c/{client.id}/threads/{thread.id}"
    # Read receipts: the client's own message shows when the team saw it.
    portal.submit(f"/portal/c/{client.id}/threads/{thread.id}/reply", {"body": "Thanks!"})
    staff.text(f"/w/{workspace.slug}/inbox/{thread.id}")
    assert "Seen " in portal.text(f"/portal/c/{client.id}/threads/{thread.id}")


def test_live_updates_bring_only_new_messages(app, agency):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    thread = make_thread(client=client, author=owner, subject="Hello", body="First")
    first = db.session.query(Message).one()
    service.add_message(thread, client.user, True, "Second")
    staff = app.test_client().log_in_as(owner)
    html = staff.htmx_get(f"/w/{workspace.slug}/inbox/{thread.id}/messages?after={first.id}").get_data(as_text=True)
    assert "Second" in html and "First" not in html
    assert re.search(r'id="poller"[^>]*hx-swap-oob="true"', html.replace("\n", " "))


@pytest.mark.parametrize("content, filename, reason", [
    (b"MZ\x90\x00" + b"\x00" * 60, "setup.exe", "is a program; programs cannot be attached"),
    (b"\x7fELF" + b"\x00" * 60, "report.pdf", "is a program; programs cannot be attached"),
    (PDF, "photo.jpg", "photo.jpg is named as a JPEG image but its content is not"),
    (PNG, "notes.txt", "notes.txt is named as a text file but its content is not"),
    (b"<html><script>alert(1)</script></html>", "page.html", ".html files cannot be attached"),
])
def test_dangerous_attachments_are_refused_and_nothing_is_kept(app, agency, content, filename, reason):
    workspace = agency.workspace
    client = make_client(workspace)
    portal = client_session(app, client)
    response = portal.submit(f"/portal/c/{client.id}/threads", {"subject": "Files", "body": "Here",
                                                                "files": [upload(content, filename)]})
    assert response.status_code == 422
    assert any(reason in error for error in errors_next_to(response.get_data(as_text=True), "files"))
    assert db.session.query(Thread).count() == 0 and db.session.query(PortalFile).count() == 0


def test_an_attachment_over_the_limit_is_refused(app, agency):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    thread = make_thread(client=client, author=owner, subject="Big", body="Send it")
    response = client_session(app, client).submit(f"/portal/c/{client.id}/threads/{thread.id}/reply", {
        "body": "Here", "files": [upload(PDF + b" " * 2000, "big.pdf")]})
    assert response.status_code == 422
    assert "big.pdf is 2 KB; attachments may be up to 1 KB." in errors_next_to(response.get_data(as_text=True), "files")
    assert db.session.query(Message).count() == 1


def test_script_in_a_message_is_shown_as_text(app, agency):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    thread = make_thread(client=client, author=client.user, subject="<img src=x onerror=alert(1)>",
                         body="<script>alert('x')</script>")
    for html in (app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/inbox/{thread.id}"),
                 client_session(app, client).text(f"/portal/c/{client.id}/threads/{thread.id}"),
                 app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/inbox")):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html or "&lt;img src=x onerror=alert(1)&gt;" in html


# ---- who sees what -----------------------------------------------------------------------------


def test_a_client_never_reaches_another_clients_things(app, agency):
    workspace, owner = agency.workspace, agency.owner
    mine, theirs = make_client(workspace), make_client(workspace)
    thread = make_thread(client=theirs, author=owner, subject="Private", body="For them only")
    service.add_message(thread, theirs.user, True, "Reply", [])
    deliverable = make_deliverable(client=theirs, author=owner, title="Their plan", body="Secret")
    portal_file = PortalFile(workspace_id=workspace.id, client_id=theirs.id, deliverable_id=deliverable.id,
                             storage_key="x", filename="plan.pdf", content_type="application/pdf")
    db.session.add(portal_file)
    db.session.commit()
    notification = db.session.query(Notification).filter_by(user_id=theirs.user_id).first()
    portal = client_session(app, mine)
    for url in (f"/portal/c/{mine.id}/threads/{thread.id}", f"/portal/c/{mine.id}/threads/{thread.id}/messages",
                f"/portal/c/{mine.id}/deliverables/{deliverable.id}", f"/portal/c/{mine.id}/files/{portal_file.id}",
                f"/portal/c/{mine.id}/notifications/{notification.id}",
                f"/portal/c/{theirs.id}/inbox", f"/portal/c/{theirs.id}/deliverables", f"/portal/c/{theirs.id}/notifications"):
        assert portal.get(url).status_code == 404, url
    for url in (f"/portal/c/{mine.id}/threads/{thread.id}/reply", f"/portal/c/{mine.id}/deliverables/{deliverable.id}/reviewed",
                f"/portal/c/{theirs.id}/threads"):
        assert portal.submit(url, {"body": "x", "subject": "x"}).status_code == 404, url
    assert "Private" not in portal.text(f"/portal/c/{mine.id}/inbox")
    assert "Their plan" not in portal.text(f"/portal/c/{mine.id}/deliverables")
    # A client is not a member of the agency: its workspace pages are not theirs.
    assert portal.get(f"/w/{workspace.slug}/inbox").status_code == 404
    assert portal.get(f"/w/{workspace.slug}/clients/{theirs.id}").status_code == 404


def test_staff_of_another_workspace_see_none_of_it(app, agency):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    thread = make_thread(client=client, author=owner, subject="Hello", body="Hi")
    stranger = owner_of(make_workspace(name="Other Agency"))
    other = app.test_client().log_in_as(stranger)
    assert other.get(f"/w/{workspace.slug}/inbox/{thread.id}").status_code == 404
    assert other.get(f"/portal/c/{client.id}/inbox").status_code == 404
    other_workspace = make_workspace(owner=stranger, name="Other Two")
    assert other.get(f"/w/{other_workspace.slug}/inbox/{thread.id}").status_code == 404
    assert other.get(f"/w/{other_workspace.slug}/clients/{client.id}").status_code == 404


# ---- e-mail about messages ---------------------------------------------------------------------


def test_three_messages_within_two_minutes_make_one_email(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    editor = add_member(workspace, "editor")
    add_member(workspace, "viewer")  # viewers are not the team that answers
    db.session.commit()
    client = make_client(workspace)
    thread = make_thread(client=client, author=client.user, subject="Question", body="One")
    start = utcnow()
    service.add_message(thread, client.user, True, "Two")
    service.add_message(thread, client.user, True, "Three")
    assert service.send_message_emails(now=start + timedelta(seconds=90)) == 0, "still inside the window"
    assert service.send_message_emails(now=start + timedelta(seconds=125)) == 2
    for person in (owner, editor):
        [mail] = outbox.to(person.email)
        assert mail["Subject"] == "3 new messages: Question"
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert "One" in text and "Two" in text and "Three" in text
    assert service.send_message_emails(now=start + timedelta(minutes=10)) == 0, "each message is told once"
    assert len(outbox.messages()) == 2


def test_a_client_who_turned_message_emails_off_gets_none(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    portal = client_session(app, client)
    response = portal.submit(f"/portal/c/{client.id}/settings", {"new_deliverable": "y"})
    assert response.status_code == 303
    assert service.email_preferences(client.user)["new_message"] is False
    thread = make_thread(client=client, author=owner, subject="Update", body="One")
    service.add_message(thread, owner, False, "Two")
    service.add_message(thread, owner, False, "Three")
    assert service.send_message_emails(now=utcnow() + timedelta(minutes=3)) == 0
    assert outbox.to(client.email) == []
    assert db.session.query(Message).filter(Message.emailed_at.is_(None)).count() == 0


def test_nobody_is_emailed_about_messages_they_already_read(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    thread = make_thread(client=client, author=owner, subject="Quick one", body="Are you there?")
    client_session(app, client).text(f"/portal/c/{client.id}/threads/{thread.id}")
    assert service.send_message_emails(now=utcnow() + timedelta(minutes=3)) == 0


# ---- deliverables and notifications ------------------------------------------------------------


def test_a_deliverable_is_published_notified_opened_reviewed_and_replied_to(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    staff = app.test_client().log_in_as(owner)
    response = staff.submit(f"/w/{workspace.slug}/clients/{client.id}/deliverables", {
        "title": "Month 1 content plan", "program_month": "1", "body": "Twelve posts, three pillars.",
        "files": [upload(PDF, "plan.pdf")]})
    assert response.status_code == 303
    [mail] = outbox.to(client.email)
    assert mail["Subject"] == "New from Launch Agency: Month 1 content plan"
    portal = client_session(app, client)
    assert "1 unread" in portal.text(f"/portal/c/{client.id}/badges")
    notifications = portal.text(f"/portal/c/{client.id}/notifications")
    assert "New deliverable: Month 1 content plan" in notifications
    [notification] = db.session.query(Notification).all()
    opened = portal.get(f"/portal/c/{client.id}/notifications/{notification.id}")
    deliverable_url = opened.headers["Location"]
    page = portal.text(deliverable_url)
    assert "Twelve posts, three pillars." in page and "plan.pdf" in page
    assert "opened" in staff.text(f"/w/{workspace.slug}/clients/{client.id}")
    assert portal.submit(deliverable_url + "/reviewed").status_code == 303
    assert "reviewed" in staff.text(f"/w/{workspace.slug}/clients/{client.id}")
    portal.submit(deliverable_url + "/reply", {"subject": "About “Month 1 content plan”", "body": "Can we swap week 2?"})
    thread = db.session.query(Thread).one()
    assert thread.deliverable.title == "Month 1 content plan"
    assert "Month 1 content plan" in staff.text(f"/w/{workspace.slug}/inbox/{thread.id}")


def test_notifications_can_be_marked_read_all_at_once(app, agency):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    for number in range(3):
        make_thread(client=client, author=owner, subject=f"Topic {number}", body="Hello")
    portal = client_session(app, client)
    assert "3 unread" in portal.text(f"/portal/c/{client.id}/badges")
    portal.submit(f"/portal/c/{client.id}/notifications/read")
    assert "No unread notifications." in portal.text(f"/portal/c/{client.id}/notifications?unread=1")


def test_the_weekly_summary_goes_to_clients_who_asked_for_it(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    keen, quiet = make_client(workspace), make_client(workspace)
    service.set_email_preferences(keen.user, {"weekly_summary": True, "new_message": True})
    make_deliverable(client=keen, author=owner, title="Hooks that work", program_month=2, body="Ten hooks")
    assert service.send_weekly_summaries() == 1
    [mail] = outbox.to(keen.email)
    assert "Hooks that work" in mail.get_body(preferencelist=("plain",)).get_content()
    assert [m for m in outbox.to(quiet.email) if "Your week" in m["Subject"]] == []


def test_the_staff_inbox_filters_by_client_state_unread_and_search(app, agency):
    workspace, owner = agency.workspace, agency.owner
    rosa, theo = make_client(workspace, name="Rosa"), make_client(workspace, name="Theo")
    a = make_thread(client=rosa, author=rosa.user, subject="Logo feedback", body="The blue is too dark")
    make_thread(client=theo, author=owner, subject="Invoice", body="Attached")
    b = make_thread(client=theo, author=theo.user, subject="Filming day", body="Can we move it?")
    service.set_state(b, "resolved")
    staff = app.test_client().log_in_as(owner)
    base = f"/w/{workspace.slug}/inbox"

    def subjects(query):
        return re.findall(r'<span class="subject">(?:<span class="dot"[^>]*></span>)?([^<]+)</span>', staff.text(base + query))

    assert subjects("") == ["Filming day", "Invoice", "Logo feedback"]
    assert subjects(f"?client={theo.id}") == ["Filming day", "Invoice"]
    assert subjects("?state=resolved") == ["Filming day"]
    assert subjects("?unread=1") == ["Filming day", "Logo feedback"]
    assert subjects("?q=too+dark") == ["Logo feedback"], "search reads message text too"
    assert subjects("?q=%25") == [] and subjects("?q=_") == [], "% and _ are searched for, not wildcards"
    staff.text(f"{base}/{a.id}")
    assert subjects("?unread=1") == ["Filming day"]


def test_a_background_poll_after_the_session_ended_stops_quietly(app, agency):
    workspace = agency.workspace
    response = app.test_client().get(f"/w/{workspace.slug}/inbox/badge",
                                      headers={"HX-Request": "true", "HX-Trigger": "poll-inbox-badge"})
    assert response.status_code == 286 and "HX-Redirect" not in response.headers, "no one is carried off their page"
    response = app.test_client().get(f"/w/{workspace.slug}/inbox/badge", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_a_message_email_that_could_not_be_sent_is_tried_again(app, agency, outbox):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    make_thread(client=client, author=owner, subject="Update", body="News for you")
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    later = utcnow() + timedelta(minutes=3)
    assert service.send_message_emails(now=later) == 0
    app.config["MAIL_URL"] = "outbox"
    assert service.send_message_emails(now=later) == 1
    assert outbox.to(client.email)[0]["Subject"] == "1 new message: Update"


def test_an_archived_client_loses_the_portal(app, agency):
    workspace = agency.workspace
    client = make_client(workspace)
    portal = client_session(app, client)
    assert portal.get(f"/portal/c/{client.id}/inbox").status_code == 200
    client.status = "archived"
    db.session.commit()
    assert portal.get(f"/portal/c/{client.id}/inbox").status_code == 404


# ---- long inboxes page by keyset -----------------------------------------------------------------


def threads_at(client, author, moments):
    """Threads of `client` whose last messages came at `moments` (several may share one)."""
    threads = []
    for number, moment in enumerate(moments):
        thread = make_thread(client=client, author=author, subject=f"{client.name}: thread {number}", body="Hello")
        thread.last_message_at = moment
        threads.append(thread)
    db.session.commit()
    return threads


def newest_first(threads):
    return [t.subject for t in sorted(threads, key=lambda t: (t.last_message_at, t.id), reverse=True)]


def older_link(html):
    match = re.search(r'<a class="button" href="([^"]+)" hx-get="\1"[^>]*>Older conversations</a>', html)
    return match.group(1).replace("&amp;", "&") if match else None


def shown_subjects(html):
    return re.findall(r'<span class="subject">(?:<span class="dot"[^>]*></span>)?([^<]+)</span>', html)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_staff_inbox_pages_by_keyset_without_repeating_or_skipping_threads_that_share_a_time(
        app, agency, monkeypatch, htmx):
    monkeypatch.setattr(reading, "PAGE_SIZE", 3)
    workspace, owner = agency.workspace, agency.owner
    rosa, theo = make_client(workspace, name="Rosa"), make_client(workspace, name="Theo")
    now = utcnow()
    # Pages of three: the 3rd, 4th and 5th newest share one time, so a page ends among them.
    moments = [now, now - timedelta(minutes=1)] + [now - timedelta(minutes=2)] * 3 + [now - timedelta(minutes=3)] * 2
    threads = threads_at(rosa, owner, moments[:4]) + threads_at(theo, owner, moments[4:])
    staff = app.test_client().log_in_as(owner)
    html = staff.text(f"/w/{workspace.slug}/inbox")
    assert "7 threads match" in html
    seen, pages = shown_subjects(html), 1
    link = older_link(html)
    while link:
        assert "before=" in link and "page=" not in link, "a cursor, not a page number"
        if htmx:
            response = staff.htmx_get(link)
            fragment = response.get_data(as_text=True)
            assert response.status_code == 200 and "<html" not in fragment and "<li" in fragment, \
                "the rows that follow, to put in place of the button"
        else:
            fragment = staff.text(link)
            assert "Back to the newest" in fragment and "7 threads match" in fragment
        seen += shown_subjects(fragment)
        link, pages = older_link(fragment), pages + 1
    assert seen == newest_first(threads) and pages == 3, "each thread once, in order, none skipped at a tie"

    # The filters travel with the cursor.
    html = staff.text(f"/w/{workspace.slug}/inbox?client={theo.id}")
    assert shown_subjects(html) == newest_first(threads[4:]) and older_link(html) is None
    html = staff.text(f"/w/{workspace.slug}/inbox?state=open")
    link = older_link(html)
    assert "state=open" in link
    assert shown_subjects(html) + shown_subjects(staff.text(link)) == newest_first(threads)[:6]


def test_a_cursor_that_is_not_one_of_ours_shows_the_first_page(app, agency):
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    make_thread(client=client, author=owner, subject="Hello", body="Hi")
    staff = app.test_client().log_in_as(owner)
    for cursor in ("nonsense", "2026-01-01T00:00:00_x", "2026-01-01T00:00:00_5", "_", "9" * 40):
        assert "Hello" in staff.text(f"/w/{workspace.slug}/inbox?before={cursor}"), cursor


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_clients_inbox_pages_by_keyset_too(app, agency, monkeypatch, htmx):
    monkeypatch.setattr(reading, "PAGE_SIZE", 2)
    workspace, owner = agency.workspace, agency.owner
    client = make_client(workspace)
    now = utcnow()
    threads = threads_at(client, owner, [now, now - timedelta(minutes=1), now - timedelta(minutes=1), now - timedelta(minutes=2)])
    threads_at(make_client(workspace), owner, [now - timedelta(minutes=1)])  # someone else's: never shown
    portal = client_session(app, client)
    html = portal.text(f"/portal/c/{client.id}/inbox")
    seen = shown_subjects(html)
    link = older_link(html)
    while link:
        fragment = portal.htmx_get(link).get_data(as_text=True) if htmx else portal.text(link)
        assert ("<html" in fragment) is not htmx
        seen += shown_subjects(fragment)
        link = older_link(fragment)
    assert seen == newest_first(threads)



def test_the_staff_inbox_filters_by_a_clients_name_with_suggestions_as_you_type(app, agency):
    """An agency may have hundreds of clients: the filter is a field for a name (any part of it,
    any case), with suggestions fetched as it is typed, rather than a menu of every client."""
    workspace, owner = agency.workspace, agency.owner
    theo, theodora, mia = (make_client(workspace, name=name) for name in ("Theo's Bakery", "Theodora Flowers", "Mia 100%"))
    for client, subject in ((theo, "Bread"), (theodora, "Tulips"), (mia, "Shoes")):
        make_thread(client=client, author=owner, subject=subject, body="Hello")
    staff = app.test_client().log_in_as(owner)
    inbox = f"/w/{workspace.slug}/inbox"
    assert sorted(shown_subjects(staff.text(f"{inbox}?client_name=THEO"))) == ["Bread", "Tulips"]
    assert shown_subjects(staff.text(f"{inbox}?client_name=100%25")) == ["Shoes"]  # % is a letter, not a wildcard
    assert shown_subjects(staff.text(f"{inbox}?client_name=_")) == []
    page = staff.text(inbox)
    assert 'name="client_name"' in page and "<option" not in page.split('id="client-names"')[1].split("</datalist>")[0]

    suggestions = staff.htmx_get(f"/w/{workspace.slug}/inbox/client-names?client_name=theo").get_data(as_text=True)
    assert re.findall(r'<option value="([^"]*)">', suggestions) == ["Theo&#39;s Bakery", "Theodora Flowers"]

    # From a client's page, the inbox shows that client alone, and says so.
    one = staff.text(f"{inbox}?client={theo.id}")
    assert shown_subjects(one) == ["Bread"] and "Only Theo&#39;s Bakery's conversations" in one
    assert f'<input type="hidden" name="client" value="{theo.id}">' in one
    other = make_studio(name="Other Agency")
    stranger = make_client(other.workspace, name="Not yours")
    assert "Not yours" not in staff.text(f"{inbox}?client={stranger.id}")
    assert "Not yours" not in staff.htmx_get(f"/w/{workspace.slug}/inbox/client-names?client_name=yours").get_data(as_text=True)
