"""Direct messages arrive live, as the portal's inbox does: an open conversation polls for what came
after its last message and reads it as it arrives; the unread count in the community menu follows;
nobody outside a conversation can poll it."""
import html
import re

import pytest

from studio.community import members, messages
from studio.community.models import Conversation
from studio.extensions import db
from tests.factories import make_client, make_workspace, owner_of


@pytest.fixture
def community():
    workspace = make_workspace(name="Creators Club")
    alice, bob, carol = (make_client(workspace, name=name).user for name in ("Alice Moon", "Bob Stone", "Carol King"))
    for person in (owner_of(workspace), alice, bob, carol):
        members.profile_for(workspace, person)
    return workspace, alice, bob, carol


def hx_get(page, element_id):
    match = re.search(rf'id="{element_id}"[^>]*hx-get="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def test_an_open_conversation_brings_new_messages_and_reads_them(app, community):
    workspace, alice, bob, _ = community
    base = f"/community/{workspace.slug}"
    conversation, first = messages.send_dm(workspace, alice, bob, "Hi Bob, are you filming Friday?")
    bob_browser = app.test_client().log_in_as(bob)
    page = bob_browser.text(f"{base}/messages/alice_moon")
    poll = hx_get(page, "poll-dms")
    assert poll == f"{base}/messages/c/{conversation.id}?after={first.id}"
    assert 'hx-target="#dms"' in page and "Hi Bob, are you filming Friday?" in page

    assert "<article" not in bob_browser.htmx_get(poll).get_data(as_text=True), "nothing new yet"
    _, second = messages.send_dm(workspace, alice, bob, "I can bring the **gimbal**.")
    badge = bob_browser.htmx_get(hx_get(page, "poll-dm-badge")).get_data(as_text=True)
    assert badge.strip() == "", "the conversation he has open brings it to him: no badge meanwhile"

    arrived = bob_browser.htmx_get(poll).get_data(as_text=True)
    assert "I can bring the <strong>gimbal</strong>." in arrived and "filming Friday" not in arrived
    assert f'id="dm-{second.id}"' in arrived
    assert hx_get(arrived, "poll-dms") == f"{base}/messages/c/{conversation.id}?after={second.id}"
    assert re.search(r'id="poll-dms"[^>]*hx-swap-oob="true"', arrived.replace("\n", " "))
    assert messages.unread_dm_count(workspace, bob) == 0, "delivered to his open conversation: read"


def test_the_unread_count_in_the_community_menu_follows_new_messages(app, community):
    workspace, alice, bob, carol = community
    base = f"/community/{workspace.slug}"
    bob_browser = app.test_client().log_in_as(bob)
    home = bob_browser.text(f"{base}/")
    badge_url = hx_get(home, "poll-dm-badge")
    assert badge_url == f"{base}/badges/messages" and 'hx-trigger="every' in home
    assert bob_browser.htmx_get(badge_url).get_data(as_text=True).strip() == ""

    messages.send_dm(workspace, alice, bob, "Hello")
    messages.send_dm(workspace, carol, bob, "Hi there")
    assert 'aria-label="2 unread">2<' in bob_browser.htmx_get(badge_url).get_data(as_text=True)
    listing = bob_browser.htmx_get(f"{base}/messages").get_data(as_text=True)
    assert listing.lstrip().startswith('<ul id="conversations"') and "@alice_moon" in listing and "@carol_king" in listing

    # Reading Alice's conversation: the menu counts only Carol's message, there and elsewhere.
    page = bob_browser.text(f"{base}/messages/alice_moon")
    assert 'aria-label="1 unread">1<' in bob_browser.htmx_get(hx_get(page, "poll-dm-badge")).get_data(as_text=True)
    assert 'aria-label="1 unread">1<' in bob_browser.htmx_get(badge_url).get_data(as_text=True)


def test_nobody_outside_a_conversation_can_poll_it(app, community):
    workspace, alice, bob, carol = community
    conversation, _ = messages.send_dm(workspace, alice, bob, "Just between us")
    url = f"/community/{workspace.slug}/messages/c/{conversation.id}?after=0"
    assert "Just between us" in app.test_client().log_in_as(alice).htmx_get(url).get_data(as_text=True)
    assert app.test_client().log_in_as(carol).htmx_get(url).status_code == 404
    elsewhere = make_workspace(name="Other Club")
    members.profile_for(elsewhere, owner_of(elsewhere))
    stranger = app.test_client().log_in_as(owner_of(elsewhere))
    assert stranger.htmx_get(url).status_code == 404
    assert stranger.htmx_get(f"/community/{elsewhere.slug}/messages/c/{conversation.id}?after=0").status_code == 404
    assert db.session.get(Conversation, conversation.id) is not None


def test_a_conversation_opened_before_its_first_message_still_receives_it(app, community):
    workspace, alice, bob, _ = community
    base = f"/community/{workspace.slug}"
    bob_browser = app.test_client().log_in_as(bob)
    page = bob_browser.text(f"{base}/messages/alice_moon")
    assert "No messages yet." in page
    poll = hx_get(page, "dm-live")
    assert poll == f"{base}/messages/alice_moon" and 'hx-select="#dm-live"' in page
    messages.send_dm(workspace, alice, bob, "First hello")
    arrived = bob_browser.htmx_get(poll).get_data(as_text=True)
    assert "First hello" in arrived and hx_get(arrived, "poll-dms"), "from now on it polls like any conversation"
    assert messages.unread_dm_count(workspace, bob) == 0
