"""Makers compose, schedule, move and cancel posts, and see them on the calendar."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from studio.extensions import db
from studio.platforms.rules import weighted_length
from studio.publishing import service
from studio.publishing.models import Delivery, Post
from studio.refusal import Refused
from tests.factories import (
    add_member,
    make_asset,
    make_connection,
    make_post,
    make_studio,
)
from tests.helpers import errors_next_to, frozen_at


def setup(app, timezone="Europe/Berlin"):
    studio = make_studio(name="Bakery")
    studio.owner.timezone = timezone
    db.session.commit()
    studio.connections += [make_connection(studio.workspace, username="kitchen"),
                           make_connection(studio.workspace, username="street")]
    return studio


@frozen_at("2026-10-01 09:00")
def test_compose_and_schedule_in_the_users_time_zone(app):
    studio = setup(app)
    workspace, (kitchen, street), client = studio.workspace, studio.connections, studio.browser
    response = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [kitchen.id, street.id], "message": "Sourdough is out", f"override-{street.id}": "Sourdough on Main St",
        "when": "schedule", "date": "2026-10-26", "time": "09:00"})
    assert response.status_code == 303
    post = db.session.execute(select(Post)).scalar_one()
    assert post.status == "scheduled" and post.timezone == "Europe/Berlin"
    assert post.scheduled_at == datetime.fromisoformat("2026-10-26T08:00:00+00:00"), "09:00 Berlin in winter time"
    assert post.text_for(street.id) == "Sourdough on Main St" and post.text_for(kitchen.id) == "Sourdough is out"
    assert [d.next_attempt_at for d in post.deliveries] == [post.scheduled_at] * 2
    page = client.text(response.headers["Location"])
    assert "26 Oct 2026, 09:00 CET" in page and "@street" in page

    calendar = client.text(f"/w/{workspace.slug}/calendar?month=2026-10")
    day = calendar.split('data-date="2026-10-26"')[1].split('role="gridcell"')[0]
    assert "<time>09:00</time> Sourdough is out" in day


def test_compose_refuses_what_would_fail_and_keeps_what_was_typed(app):
    studio = setup(app)
    workspace, client = studio.workspace, studio.browser
    x = make_connection(workspace, platform="x", username="bakery_x")
    response = client.submit(f"/w/{workspace.slug}/posts/new", {"message": "x" * 300, "when": "schedule"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_next_to(html, "connections") == ["Choose at least one account."]
    assert "Choose the date and time to publish." in html and "x" * 300 in html
    response = client.submit(f"/w/{workspace.slug}/posts/new", {"connections": [x.id], "message": "x" * 300, "when": "now"})
    assert response.status_code == 422
    assert "300 characters; X allows 280" in response.get_data(as_text=True)
    assert db.session.execute(select(Post)).first() is None


def test_links_count_as_23_characters_on_x(app):
    assert weighted_length("see https://example.com/a/very/long/path/that/goes/on/and/on", "x") == 4 + 23
    assert weighted_length("see https://example.com/a/very/long/path", "linkedin") == 40


def test_live_preflight_answers_with_a_fragment(app):
    studio = setup(app)
    workspace, (kitchen, _), client = studio.workspace, studio.connections, studio.browser
    response = client.submit(f"/w/{workspace.slug}/posts/preflight", {"connections": [kitchen.id], "message": "Hi"},
                             htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "@kitchen" in html and "ready" in html
    assert '<span class="counter">2/5000</span>' in html and '<p class="preview-text">Hi</p>' in html


@frozen_at("2026-11-30 09:00")
def test_moving_a_post_with_a_stale_page_is_refused(app):
    studio = setup(app)
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    post = make_post(workspace=workspace, author=owner, connections=[kitchen], message="Move me",
                     scheduled_at=datetime(2026, 12, 1, 10, 0), timezone="Europe/Berlin")
    stale = post.version
    client.submit(f"/w/{workspace.slug}/posts/{post.id}/reschedule", {"version": stale, "date": "2026-12-02", "time": "11:30"})
    db.session.expire_all()
    assert post.scheduled_at == datetime.fromisoformat("2026-12-02T10:30:00+00:00")
    response = client.submit(f"/w/{workspace.slug}/posts/{post.id}/reschedule",
                             {"version": stale, "date": "2026-12-09", "time": "11:30"}, follow_redirects=True)
    assert "changed since you opened it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert post.scheduled_at.day == 2


@frozen_at("2026-11-30 09:00")
def test_cancelling_a_scheduled_post(app):
    studio = setup(app)
    workspace, owner, (kitchen, street), client = studio.workspace, studio.owner, studio.connections, studio.browser
    post = make_post(workspace=workspace, author=owner, connections=[kitchen, street], message="Never mind",
                     scheduled_at=datetime(2026, 12, 1, 10, 0))
    response = client.submit(f"/w/{workspace.slug}/posts/{post.id}/cancel", {"version": post.version}, follow_redirects=True)
    assert "Cancelled." in response.get_data(as_text=True)
    db.session.expire_all()
    assert post.status == "cancelled" and {d.status for d in post.deliveries} == {"cancelled"}


def test_failed_deliveries_gather_under_needs_attention_with_retry(app):
    studio = setup(app)
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    post = make_post(workspace=workspace, author=owner, connections=[kitchen], message="Oops")
    [delivery] = post.deliveries
    delivery.status, delivery.last_error = "failed", "Sandbox answered 500"
    db.session.commit()
    page = client.text(f"/w/{workspace.slug}/posts")
    assert "Needs attention" in page and "Sandbox answered 500" in page
    client.submit(f"/w/{workspace.slug}/deliveries/{delivery.id}/retry")
    db.session.expire_all()
    assert delivery.status == "pending"


def test_a_viewer_reads_posts_but_cannot_compose(app):
    studio = setup(app)
    workspace = studio.workspace
    viewer = add_member(workspace, "viewer")
    client = app.test_client().log_in_as(viewer)
    assert client.get(f"/w/{workspace.slug}/posts").status_code == 200
    assert client.get(f"/w/{workspace.slug}/posts/new").status_code == 403


def test_an_asset_in_a_scheduled_post_cannot_be_deleted(app):
    studio = setup(app)
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    asset = make_asset(workspace, title="Croissant reel")
    make_post(workspace=workspace, author=owner, connections=[kitchen], message="With video", media=[asset],
              scheduled_at=datetime.now() + timedelta(days=1))
    response = client.submit(f"/w/{workspace.slug}/library/{asset.id}/delete", follow_redirects=True)
    assert "is used by 1 scheduled post(s)" in response.get_data(as_text=True)
    assert db.session.get(type(asset), asset.id) is not None


def test_the_status_page_shows_a_stalled_engine(app):
    studio = setup(app)
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    post = make_post(workspace=workspace, author=owner, connections=[kitchen], message="Stuck")
    post.deliveries[0].next_attempt_at -= timedelta(minutes=10)
    db.session.commit()
    page = client.text(f"/w/{workspace.slug}/publishing/status")
    assert "the engine may be stalled" in page and "No worker has run yet." in page
    assert db.session.execute(select(Delivery)).scalar_one().status == "pending"


@frozen_at("2026-11-30 09:00")
def test_editing_the_text_then_duplicating(app):
    studio = setup(app)
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    post = make_post(workspace=workspace, author=owner, connections=[kitchen], message="Frist draft",
                     scheduled_at=datetime(2026, 12, 1, 10, 0))
    response = client.submit(f"/w/{workspace.slug}/posts/{post.id}/edit", {"version": post.version, "message": "First draft"})
    assert response.status_code == 303
    db.session.expire_all()
    assert post.message == "First draft" and post.version == 2
    client.submit(f"/w/{workspace.slug}/posts/{post.id}/duplicate")
    copy = db.session.execute(select(Post).where(Post.id != post.id)).scalar_one()
    assert copy.status == "draft" and copy.message == "First draft" and [d.connection_id for d in copy.deliveries] == [kitchen.id]
    assert copy.deliveries[0].next_attempt_at is None, "a draft is never due"


@frozen_at("2026-11-30 09:00")
def test_week_and_list_views_and_filters(app):
    studio = setup(app, timezone="UTC")
    workspace, owner, (kitchen, street), client = studio.workspace, studio.owner, studio.connections, studio.browser
    make_post(workspace=workspace, author=owner, connections=[kitchen], message="Kitchen only",
              scheduled_at=datetime(2026, 12, 2, 9, 0))
    make_post(workspace=workspace, author=owner, connections=[street], message="Street only",
              scheduled_at=datetime(2026, 12, 3, 18, 0))
    week = client.text(f"/w/{workspace.slug}/calendar?view=week&week=2026-12-02")
    assert "Week of 30 November 2026" in week and "Kitchen only" in week and "Street only" in week
    filtered = client.get(f"/w/{workspace.slug}/calendar?view=week&week=2026-12-02&connection={street.id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in filtered and "Street only" in filtered and "Kitchen only" not in filtered
    listing = client.text(f"/w/{workspace.slug}/calendar?view=list&month=2026-12&status=scheduled")
    assert "Wednesday 2 December" in listing and "Thursday 3 December" in listing


def test_the_private_ical_feed_reads_back_with_a_real_parser(app):
    from icalendar import Calendar

    studio = setup(app, timezone="UTC")

    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    soon = datetime.utcnow().replace(microsecond=0) + timedelta(days=2)
    make_post(workspace=workspace, author=owner, connections=[kitchen], message="Feed me", scheduled_at=soon)
    assert client.get(f"/w/{workspace.slug}/settings").status_code == 200
    client.submit(f"/w/{workspace.slug}/calendar/feed")
    db.session.refresh(workspace)
    url = f"/calendar/{workspace.calendar_token}.ics"
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(response.data).walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Feed me"]
    assert events[0].decoded("dtstart").replace(tzinfo=None) == soon
    old = workspace.calendar_token
    client.submit(f"/w/{workspace.slug}/calendar/feed")
    assert anonymous.get(f"/calendar/{old}.ics").status_code == 404


@frozen_at("2026-03-01 09:00")
def test_new_york_posts_keep_their_wall_clock_time_across_both_dst_changes(app):
    """9:00 in New York the days after the spring and autumn changes, on the calendar and in UTC."""
    studio = setup(app, timezone="America/New_York")
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    for day, utc_hour in (("2026-03-09", 13), ("2026-11-02", 14)):
        local = datetime.strptime(f"{day} 09:00", "%Y-%m-%d %H:%M")
        post = service.create_post(workspace, owner, f"Coffee {day}", {}, [kitchen], [], "schedule", local,
                                   "America/New_York")
        assert post.scheduled_at.hour == utc_hour
        calendar = client.text(f"/w/{workspace.slug}/calendar?month={day[:7]}")
        cell = calendar.split(f'data-date="{day}"')[1].split('role="gridcell"')[0]
        assert f"<time>09:00</time> Coffee {day}" in cell


def test_a_time_that_has_passed_is_refused_beside_the_field_and_nothing_is_saved(app):
    studio = setup(app, timezone="UTC")
    workspace, (kitchen, _), client = studio.workspace, studio.connections, studio.browser
    last_month = datetime.utcnow() - timedelta(days=30)
    response = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [kitchen.id], "message": "Too late", "when": "schedule",
        "date": last_month.strftime("%Y-%m-%d"), "time": "09:00"})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "date") == [
        "That time has already passed. Choose a later time, or use “Post now”."]
    assert db.session.execute(select(Post)).first() is None


def test_moving_a_post_into_the_past_is_refused_on_its_page_and_on_the_calendar(app):
    studio = setup(app, timezone="UTC")
    workspace, owner, (kitchen, _), client = studio.workspace, studio.owner, studio.connections, studio.browser
    tomorrow = datetime.utcnow().replace(microsecond=0) + timedelta(days=1)
    post = make_post(workspace=workspace, author=owner, connections=[kitchen], message="Stay put", scheduled_at=tomorrow)
    yesterday = (tomorrow - timedelta(days=2)).strftime("%Y-%m-%d")
    on_its_page = client.submit(f"/w/{workspace.slug}/posts/{post.id}/reschedule",
                                {"version": post.version, "date": yesterday, "time": "10:00"})
    assert on_its_page.status_code == 422
    assert errors_next_to(on_its_page.get_data(as_text=True), "date")[0].startswith("That time has already passed.")
    dragged = client.submit(f"/w/{workspace.slug}/posts/{post.id}/reschedule",
                            {"version": post.version, "date": yesterday, "time": "10:00", "back": "/calendar"}, htmx=True)
    assert dragged.status_code == 422 and dragged.headers["HX-Retarget"] == "#flash"
    assert "That time has already passed." in dragged.get_data(as_text=True), "the drop is refused with the reason"
    db.session.expire_all()
    assert post.scheduled_at == tomorrow.replace(tzinfo=post.scheduled_at.tzinfo) and post.version == 1
    with pytest.raises(Refused, match="already passed"):
        service.schedule(post, post.version, tomorrow - timedelta(days=2), "UTC")
