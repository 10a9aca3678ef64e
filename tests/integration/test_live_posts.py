"""While a post goes out, its page, the posts list and the calendar keep themselves current: they
poll while something can still change on its own, hear "nothing new" (204) while nothing did, and
are drawn afresh, without the actions that no longer apply and without a poller, once it is final."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine
from tests.factories import make_post, make_sandbox_connection, make_studio, make_workspace, owner_of


@pytest.fixture
def bakery(app, live_server):
    return make_studio(name="Harbor Bakery", sandbox_accounts=("harbor_kitchen", "harbor_street"))


def scheduled_soon(workspace, owner, connections, message="Cinnamon buns at 8"):
    soon = (utcnow() + timedelta(minutes=2)).replace(tzinfo=None, second=0, microsecond=0)
    return make_post(workspace=workspace, author=owner, connections=connections, message=message, scheduled_at=soon)


def fall_due(post):
    """The clock reaches the post's time."""
    now = utcnow()
    post.scheduled_at = now
    for delivery in post.deliveries:
        delivery.next_attempt_at = now
    db.session.commit()


def poll_url(page, element_id):
    match = re.search(rf'<div id="{element_id}"[^>]*hx-get="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def test_the_post_page_polls_until_the_engine_has_published_it(bakery):
    workspace, owner, connections, client = bakery.workspace, bakery.owner, bakery.connections, bakery.browser
    post = scheduled_soon(workspace, owner, connections)
    page = client.text(f"/w/{workspace.slug}/posts/{post.id}")
    assert ">Move</button>" in page and "Cancel the post" in page and "Save the text" in page
    poll = poll_url(page, "poll-post")
    assert poll and 'hx-target="#main"' in page

    assert client.htmx_get(poll).status_code == 204, "nothing has changed yet"

    fall_due(post)
    assert engine.run_until_idle() == 2
    response = client.htmx_get(poll)
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in shown
    assert '<span class="badge post-status published">published</span>' in shown
    assert shown.count("View the post") == 2
    assert ">Move</button>" not in shown and "Cancel" not in shown and "Save the text" not in shown
    assert poll_url(shown, "poll-post") is None, "everything is final: the page stops polling"


def test_once_a_worker_claims_a_delivery_move_and_edit_go_and_cancel_covers_only_the_rest(bakery):
    workspace, owner, connections, client = bakery.workspace, bakery.owner, bakery.connections, bakery.browser
    post = scheduled_soon(workspace, owner, connections)
    poll = poll_url(client.text(f"/w/{workspace.slug}/posts/{post.id}"), "poll-post")
    fall_due(post)
    assert len(engine.claim("worker-1", limit=1)) == 1

    shown = client.htmx_get(poll).get_data(as_text=True)
    assert '<span class="badge post-status publishing">publishing</span>' in shown
    assert ">Move</button>" not in shown and "Save the text" not in shown
    assert "Cancel what has not started" in shown
    assert poll_url(shown, "poll-post"), "still publishing: the page keeps polling"


def test_a_draft_and_a_published_post_do_not_poll(bakery):
    workspace, owner, connections, client = bakery.workspace, bakery.owner, bakery.connections, bakery.browser
    draft = make_post(workspace=workspace, author=owner, connections=connections, message="Someday", status="draft")
    assert poll_url(client.text(f"/w/{workspace.slug}/posts/{draft.id}"), "poll-post") is None
    published = make_post(workspace=workspace, author=owner, connections=connections[:1], message="Now")
    engine.run_until_idle()
    assert poll_url(client.text(f"/w/{workspace.slug}/posts/{published.id}"), "poll-post") is None


def queries_for(client, url):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.htmx_get(url).status_code in (200, 204)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_a_poll_runs_the_same_number_of_queries_however_many_accounts_and_attempts(bakery, app):
    workspace, owner, connections, client = bakery.workspace, bakery.owner, bakery.connections, bakery.browser
    for handle in ("harbor_cafe", "harbor_market", "harbor_pier"):
        connections.append(make_sandbox_connection(workspace, handle))
    small = scheduled_soon(workspace, owner, connections[:1], "One account")
    large = scheduled_soon(workspace, owner, connections, "Five accounts")
    polls = {post.id: poll_url(client.text(f"/w/{workspace.slug}/posts/{post.id}"), "poll-post") for post in (small, large)}
    unchanged = [queries_for(client, polls[post.id]) for post in (small, large)]
    assert unchanged[0] == unchanged[1]

    for post in (small, large):
        fall_due(post)
    engine.run_until_idle()
    redrawn = [queries_for(client, polls[post.id]) for post in (small, large)]
    assert redrawn[0] == redrawn[1]


def test_the_posts_list_and_the_calendar_move_on_when_a_post_goes_out(bakery):
    workspace, owner, connections, client = bakery.workspace, bakery.owner, bakery.connections, bakery.browser
    post = scheduled_soon(workspace, owner, connections)
    listing = client.text(f"/w/{workspace.slug}/posts")
    month = f"{post.scheduled_at:%Y-%m}"
    calendar = client.text(f"/w/{workspace.slug}/calendar?month={month}")
    list_poll, calendar_poll = poll_url(listing, "poll-posts"), poll_url(calendar, "poll-calendar")
    assert list_poll and calendar_poll and f"month={month}" in calendar_poll
    assert client.htmx_get(list_poll).status_code == 204
    assert client.htmx_get(calendar_poll).status_code == 204

    fall_due(post)
    engine.run_until_idle()
    shown = client.htmx_get(list_poll).get_data(as_text=True)
    upcoming, recent = shown.split("<h2>Recent</h2>")
    assert "Nothing scheduled" in upcoming and '<span class="badge post-status published">published</span>' in recent
    assert poll_url(shown, "poll-posts") is None

    shown = client.htmx_get(calendar_poll).get_data(as_text=True)
    assert shown.startswith('\n<section id="calendar"') or '<section id="calendar"' in shown[:400]
    assert 'class="cal-post post-status published"' in shown and "draggable" not in shown
    assert poll_url(shown, "poll-calendar") is None


def test_a_stranger_cannot_poll_a_post(bakery, app):
    workspace, owner, connections, client = bakery.workspace, bakery.owner, bakery.connections, bakery.browser
    post = scheduled_soon(workspace, owner, connections)
    stranger = app.test_client().log_in_as(owner_of(make_workspace(name="Elsewhere")))
    assert stranger.htmx_get(f"/w/{workspace.slug}/posts/{post.id}/live?seen=x").status_code == 404
    other = make_workspace(name="Other Bakery", owner=owner)
    assert client.htmx_get(f"/w/{other.slug}/posts/{post.id}/live?seen=x").status_code == 404
