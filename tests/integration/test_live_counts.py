"""Counts stay true while pages update themselves: a message arriving in the thread a client is
reading is not counted as unread meanwhile; the staff thread header counts the message that just
came in; the library's "files this month" follows an upload."""
import io
import re

import pytest

from studio.extensions import db
from studio.portal import service
from studio.portal.models import Message, Thread
from tests.factories import make_client, make_thread, make_workspace, owner_of
from tests.media import make_image


@pytest.fixture
def agency(app):
    workspace = make_workspace(name="Launch Agency")
    owner = owner_of(workspace)
    client = make_client(workspace, name="Rosa Diaz")
    thread = make_thread(client=client, author=owner, subject="Launch plan", body="Welcome aboard")
    return workspace, owner, client, thread


def from_page(url):
    """The headers htmx sends with a background poll from the page at `url`."""
    return {"HX-Request": "true", "HX-Trigger": "poll-portal-badges", "HX-Current-URL": f"http://localhost{url}"}


def badge(html, element_id):
    match = re.search(rf'<span id="{element_id}"[^>]*>(.*?)</span>\s*(?:<span id=|$)', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_a_message_arriving_in_the_thread_she_is_reading_is_not_counted_and_is_read(app, agency):
    workspace, owner, client, thread = agency
    portal = app.test_client().log_in_as(client.user)
    thread_url = f"/portal/c/{client.id}/threads/{thread.id}"
    page = portal.text(thread_url)  # she opens the thread: read
    last = db.session.query(Message).one()
    assert f"/messages?after={last.id}" in page

    service.add_message(thread, owner, False, "Here are two notes on the plan.")
    badges = portal.get(f"/portal/c/{client.id}/badges", headers=from_page(thread_url)).get_data(as_text=True)
    assert badge(badges, "portal-inbox-badge") == "", "the thread she has open brings it to her: no badge"
    assert badge(badges, "portal-notifications-badge") == ""
    elsewhere = portal.get(f"/portal/c/{client.id}/badges", headers=from_page(f"/portal/c/{client.id}/deliverables"))
    assert badge(elsewhere.get_data(as_text=True), "portal-inbox-badge") == "1", "on another page it is news"

    arrived = portal.htmx_get(f"{thread_url}/messages?after={last.id}").get_data(as_text=True)
    assert "Here are two notes on the plan." in arrived
    thread = db.session.get(Thread, thread.id)
    assert thread.client_read_at >= thread.last_staff_message_at, "delivered to her open thread: read"
    badges = portal.get(f"/portal/c/{client.id}/badges", headers=from_page(f"/portal/c/{client.id}/deliverables"))
    assert badge(badges.get_data(as_text=True), "portal-inbox-badge") == ""
    assert badge(badges.get_data(as_text=True), "portal-notifications-badge") == ""


def test_the_staff_badge_does_not_count_the_thread_they_have_open(app, agency):
    workspace, owner, client, thread = agency
    staff = app.test_client().log_in_as(owner)
    thread_url = f"/w/{workspace.slug}/inbox/{thread.id}"
    staff.text(thread_url)
    service.add_message(thread, client.user, True, "Thanks! One question.")
    assert "unread" not in staff.get(f"/w/{workspace.slug}/inbox/badge", headers=from_page(thread_url)).get_data(as_text=True)
    assert "1 unread" in staff.get(f"/w/{workspace.slug}/inbox/badge",
                                   headers=from_page(f"/w/{workspace.slug}/inbox")).get_data(as_text=True)


def test_the_staff_thread_header_counts_the_message_that_just_came_in(app, agency):
    workspace, owner, client, thread = agency
    service.add_message(thread, client.user, True, "Thanks!")
    staff = app.test_client().log_in_as(owner)
    page = staff.text(f"/w/{workspace.slug}/inbox/{thread.id}")
    assert '<span id="message-count">2 messages</span>' in page
    last = db.session.query(Message).order_by(Message.id.desc()).first()

    service.add_message(thread, client.user, True, "One more question about week two.")
    arrived = staff.htmx_get(f"/w/{workspace.slug}/inbox/{thread.id}/messages?after={last.id}").get_data(as_text=True)
    assert "One more question about week two." in arrived
    assert '<span id="message-count" hx-swap-oob="true">3 messages</span>' in arrived

    quiet = staff.htmx_get(f"/w/{workspace.slug}/inbox/{thread.id}/messages?after={last.id + 1}").get_data(as_text=True)
    assert "message-count" not in quiet, "nothing new: the header is left alone"


def test_the_librarys_count_of_files_this_month_follows_an_upload(app, tmp_path):
    workspace = make_workspace(name="Clipworks")
    maker = app.test_client().log_in_as(owner_of(workspace))
    page = maker.text(f"/w/{workspace.slug}/library/")
    assert page.count('id="library-usage"') == 1

    image = make_image(tmp_path / "cover.png")
    response = maker.submit(f"/w/{workspace.slug}/library/upload", {"files": [(io.BytesIO(image.read_bytes()), "cover.png")]},
                            htmx=True, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "cover.png is uploaded" in html
    assert re.search(r'<span id="library-usage" hx-swap-oob="true">This month: 1 file, [\d.]+ [KM]?B\.</span>', html)

    page = maker.text(f"/w/{workspace.slug}/library/")
    assert page.count('id="library-usage"') == 1 and "This month: 1 file," in page
