"""Repeating posts: occurrences made ahead, on the wall clock of the post's zone, editable alone
or all together, and stoppable."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from studio.extensions import db
from studio.publishing import recurrence, service
from studio.publishing.models import Post
from tests.factories import make_connection, make_post, make_workspace, owner_of
from tests.helpers import errors_next_to, frozen_at


def series_posts():
    return db.session.execute(select(Post).order_by(Post.scheduled_at)).scalars().all()


def test_rules_become_cron_lines():
    start = datetime(2026, 10, 19, 9, 30)  # a Monday
    assert recurrence.rule_for("daily", start) == "30 9 * * *"
    assert recurrence.rule_for("weekly", start, ["wed", "mon"]) == "30 9 * * mon,wed"
    assert recurrence.rule_for("weekly", start) == "30 9 * * mon"
    assert recurrence.rule_for("monthly", start) == "30 9 19 * *"


def test_nine_oclock_stays_nine_oclock_across_the_dst_change():
    after = datetime(2026, 10, 22, tzinfo=ZoneInfo("UTC"))
    times = recurrence.next_times("0 9 * * *", "Europe/Berlin", after, limit=6)
    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in times]
    assert [t.hour for t in local] == [9] * 6
    assert [t.hour for t in times] == [7, 7, 7, 8, 8, 8], "UTC shifts on 25 October, the wall clock does not"


@frozen_at("2026-11-30 09:00")
def test_a_weekly_series_is_made_ahead_and_shown_on_the_calendar(app):
    workspace = make_workspace(name="Weekly Co")
    owner = owner_of(workspace)
    connection = make_connection(workspace)
    client = app.test_client().log_in_as(owner)
    response = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [connection.id], "message": "Midweek special", "when": "schedule", "date": "2026-12-07",
        "time": "12:00", "repeat": "weekly", "weekdays": ["mon", "wed"], "count": "5"})
    assert response.status_code == 303
    posts = series_posts()
    assert len(posts) == 5 and posts[0].recurrence_rule == "0 12 * * mon,wed"
    assert [p.scheduled_at.date() for p in posts] == [date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 14),
                                                      date(2026, 12, 16), date(2026, 12, 21)]
    assert all(p.series_id == posts[0].id for p in posts[1:])
    assert [len(p.deliveries) for p in posts] == [1] * 5
    calendar = client.text(f"/w/{workspace.slug}/calendar?month=2026-12")
    assert calendar.count("<time>12:00</time> Midweek special") == 5
    assert recurrence.extend(posts[0]) == 0, "the count is reached"


@frozen_at("2026-11-30 09:00")
def test_a_bad_cron_line_is_explained_beside_the_field(app):
    workspace = make_workspace()
    connection = make_connection(workspace)
    client = app.test_client().log_in_as(owner_of(workspace))
    response = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [connection.id], "message": "x", "when": "schedule", "date": "2026-12-07", "time": "12:00",
        "repeat": "cron", "cron": "every tuesday"})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "cron")[0].startswith("Not a valid cron line")
    assert series_posts() == []


@frozen_at("2026-11-30 09:00")
def test_edit_all_future_and_stop(app):
    workspace = make_workspace()
    owner = owner_of(workspace)
    connection = make_connection(workspace)
    first = make_post(workspace=workspace, author=owner, connections=[connection], message="Daily tip",
                      scheduled_at=datetime(2026, 12, 1, 8, 0), repeat=("daily", [], "", date(2026, 12, 10), None))
    assert len(series_posts()) == 10
    one = series_posts()[3]
    service.update_post(one, one.version, "A special tip", {}, None, "UTC")
    client = app.test_client().log_in_as(owner)
    client.submit(f"/w/{workspace.slug}/posts/{first.id}/series", {"version": first.version, "message": "Tip of the day"})
    texts = [p.message for p in series_posts()]
    assert texts.count("Tip of the day") == 10, "every occurrence still to come, the edited one included"
    client.submit(f"/w/{workspace.slug}/posts/{first.id}/series", {"version": first.version, "action": "stop"})
    assert {p.status for p in series_posts()} == {"cancelled"}, "every post still to come, the first one included"


@frozen_at("2026-11-30 09:00")
def test_occurrences_made_later_take_the_latest_text_and_a_series_is_never_extended_twice(app):
    workspace = make_workspace()
    owner = owner_of(workspace)
    connection = make_connection(workspace)
    first = make_post(workspace=workspace, author=owner, connections=[connection], message="Old text",
                      scheduled_at=datetime(2026, 12, 1, 8, 0), repeat=("daily", [], "", None, None))
    made = len(series_posts())
    recurrence.update_future(first, "New text")
    first.status = "published"  # the first one went out with the old text
    first.message = "Old text"
    db.session.commit()
    assert recurrence.extend(first, horizon_days=120) > 0
    latest = series_posts()[-1]
    assert latest.message == "New text" and len(series_posts()) > made
    assert recurrence.extend(first, horizon_days=120) == 0


def test_a_repeat_rule_that_would_do_something_else_is_refused_beside_its_field(app):
    workspace = make_workspace()
    connection = make_connection(workspace)
    client = app.test_client().log_in_as(owner_of(workspace))
    start = date.today() + timedelta(days=7)
    weekly_with_no_day = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [connection.id], "message": "x", "when": "schedule", "date": start.isoformat(), "time": "12:00",
        "repeat": "weekly"})
    assert weekly_with_no_day.status_code == 422
    assert errors_next_to(weekly_with_no_day.get_data(as_text=True), "weekdays") == ["Tick at least one day of the week."]
    ends_before_it_starts = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [connection.id], "message": "x", "when": "schedule", "date": start.isoformat(), "time": "12:00",
        "repeat": "daily", "until": (start - timedelta(days=1)).isoformat()})
    assert ends_before_it_starts.status_code == 422
    [error] = errors_next_to(ends_before_it_starts.get_data(as_text=True), "until")
    assert error.startswith("The series would end before it starts")
    assert series_posts() == []
