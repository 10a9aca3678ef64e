"""The numbers' history and the alerts it raises: a sync recorded as it came and upserted into days
and weeks (so syncing again counts nothing twice), posts fetched on a decaying schedule, a metric a
platform stops sending never empties the rest, and alerts raised exactly once per crossing, each
telling staff what happened and, for a surge or a decline, which posts were out that week."""
import csv
import io
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from studio.analytics import alerts, history
from studio.analytics import sync as metrics
from studio.analytics.models import AccountSnapshot, Alert, MetricAggregate, MetricEvent, MetricGain
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.publishing.models import PublishedPost
from studio.sandbox.models import SandboxPost
from tests.factories import add_member, make_connection, make_sandbox_connection, make_studio
from tests.helpers import at_once, frozen_at


@pytest.fixture
def studio(app):
    return make_studio(name="Northwind Creators")


def published(connection, caption="Market haul", days_ago=0, **metrics_):
    post = PublishedPost(workspace_id=connection.workspace_id, connection_id=connection.id, platform=connection.platform,
                         platform_post_id=f"{caption}-{days_ago}", caption=caption, metrics=metrics_,
                         published_at=utcnow() - timedelta(days=days_ago, hours=1))
    db.session.add(post)
    db.session.commit()
    return post


def aggregates():
    totals = [(a.published_post_id, a.period, a.period_start, a.views, a.likes, a.comments, a.shares, a.saves)
              for a in db.session.execute(select(MetricAggregate).order_by(MetricAggregate.id)).scalars()]
    gains = [(g.connection_id, g.day, g.views, g.likes, g.comments, g.shares, g.saves)
             for g in db.session.execute(select(MetricGain).order_by(MetricGain.id)).scalars()]
    return totals, gains


def test_syncing_the_same_numbers_again_leaves_every_aggregate_unchanged(app, studio, live_server):
    connection = make_sandbox_connection(studio.workspace, "kitchen")
    remote = SandboxPost(account_id=int(connection.account_id), text="Market haul", created_at=utcnow() - timedelta(hours=5))
    db.session.add(remote)
    db.session.flush()
    post = PublishedPost(workspace_id=studio.workspace.id, connection_id=connection.id, platform="sandbox",
                         platform_post_id=str(remote.id), caption="Market haul")
    db.session.add(post)
    db.session.commit()

    assert metrics.sync([post]) == 1  # through the sandbox's real metrics endpoint
    first = aggregates()
    (day, week), [gain] = first
    assert (day[1], week[1]) == ("day", "week") and day[3:] == week[3:] and gain[2] == day[3] == post.metrics["views"]
    assert metrics.sync([post]) == 1
    assert aggregates() == first  # the same totals again: nothing counted twice
    assert db.session.query(MetricEvent).count() == 2  # each fetch is recorded as it came


def test_a_new_fetch_replaces_the_days_totals_and_a_new_day_gets_its_own(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")
    post = published(connection)
    with frozen_at("2026-05-20 09:00") as clock:
        history.record_post_numbers(post, {"views": 100, "likes": 4})
        history.record_post_numbers(post, {"views": 150, "likes": 6})
        clock.shift(timedelta(days=1))
        history.record_post_numbers(post, {"views": 190, "likes": 7})
        db.session.commit()
    rows = [(a.period, str(a.period_start), a.views, a.likes) for a in db.session.execute(
        select(MetricAggregate).order_by(MetricAggregate.period, MetricAggregate.period_start)).scalars()]
    assert rows == [("day", "2026-05-20", 150, 6), ("day", "2026-05-21", 190, 7), ("week", "2026-05-18", 190, 7)]


def test_two_syncs_of_one_post_at_once_add_its_gains_once(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")
    post = published(connection, views=100)
    post_id = post.id

    def fetch():
        with app.app_context():
            history.record_post_numbers(db.session.get(PublishedPost, post_id), {"views": 160})
            db.session.commit()

    at_once(fetch, fetch)
    db.session.rollback()  # read afresh
    assert db.session.execute(select(MetricGain.views)).scalars().all() == [60]
    assert db.session.get(PublishedPost, post_id).metrics["views"] == 160


def test_a_metric_the_platform_stops_sending_keeps_its_last_value_and_never_empties_the_rest(app, studio, caplog):
    connection = make_connection(studio.workspace, username="kitchen")
    post = published(connection, views=100, likes=4, saves=9)
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        history.record_post_numbers(post, {"views": 120, "likes": "n/a"})
    db.session.commit()
    assert post.metrics == {"views": 120, "likes": 4, "saves": 9}
    assert "no longer sends saves" in caplog.text and "likes='n/a', not a number" in caplog.text


def test_posts_are_fetched_often_while_young_and_then_less_until_they_stop():
    now = utcnow()
    schedule = {age: history.next_sync(now - age, now) for age in
                (timedelta(hours=3), timedelta(days=3), timedelta(days=20), timedelta(days=60), timedelta(days=100))}
    assert [None if when is None else when - now for when in schedule.values()] == [
        timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=7), None]


def test_the_job_fetches_only_the_posts_that_are_due(app, studio, live_server):
    connection = make_sandbox_connection(studio.workspace, "kitchen")
    due, later = (published(connection, caption) for caption in ("Due", "Later"))
    later.next_sync_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    metrics.sync_recent()
    assert due.next_sync_at > utcnow() + timedelta(minutes=50) and db.session.get(PublishedPost, later.id).last_synced_at is None


# ---- alerts ------------------------------------------------------------------------------------


def snapshots(connection, followers_by_days_ago, engagement=None):
    today = utcnow().date()
    for days_ago, followers in followers_by_days_ago.items():
        db.session.add(AccountSnapshot(workspace_id=connection.workspace_id, connection_id=connection.id,
                                       day=today - timedelta(days=days_ago), followers=followers,
                                       engagement_rate=engagement if days_ago == 0 else None))
    db.session.commit()


def test_crossing_ten_thousand_followers_raises_exactly_one_alert_even_with_two_jobs_at_once(app, studio, outbox):
    editor = add_member(studio.workspace, "editor")
    connection = make_connection(studio.workspace, username="kitchen")
    snapshots(connection, {1: 9_870, 0: 10_040})
    raised, connection_id, model = [], connection.id, type(connection)

    def job():
        with app.app_context():
            raised.extend(alerts.check_account(db.session.get(model, connection_id)))

    at_once(job, job)
    db.session.rollback()  # read afresh
    alerts.check_account(connection)  # and once more, later
    [alert] = db.session.query(Alert).all()
    assert alert.kind == "milestone" and alert.title == "@kitchen passed 10,000 followers" and len(raised) == 1
    assert {n.user_id for n in db.session.query(Notification).filter_by(type="analytics_alert")} == {studio.owner.id, editor.id}
    assert db.session.query(Notification).filter_by(type="analytics_alert").count() == 2
    assert [m["Subject"] for m in outbox.to(studio.owner.email)] == ["@kitchen passed 10,000 followers"]


def test_a_surge_names_the_posts_published_in_its_week_and_their_numbers(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")
    steady = {days_ago: 5_000 + (35 - days_ago) * 10 for days_ago in range(8, 36)}
    snapshots(connection, {**steady, 7: 5_280, 0: 6_100})  # +820 in a week against about +70 a week
    published(connection, "Lemon pasta in 60 seconds", days_ago=3, views=48_200, likes=3_900)
    published(connection, "Knife skills, part 3", days_ago=5, views=9_100, likes=610)
    published(connection, "Before the week", days_ago=20, views=99_000, likes=1)
    [alert] = alerts.check_account(connection)
    assert alert.kind == "growth_surge" and alert.title == "@kitchen gained 820 followers in a week"
    assert "“Lemon pasta in 60 seconds”" in alert.message and "48,200 views, 3,900 likes" in alert.message
    assert [p["caption"] for p in alert.details["posts"]] == ["Lemon pasta in 60 seconds", "Knife skills, part 3"]
    assert alerts.check_account(connection) == []  # the same week again: nothing new


def test_a_decline_is_a_warning_or_critical_by_how_much_was_lost(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")
    snapshots(connection, {35: 20_000, 7: 20_400, 0: 19_700})  # -700 of 20,400: 3.4%
    [alert] = alerts.check_account(connection)
    assert (alert.kind, alert.severity) == ("growth_decline", "warning")
    assert "lost 700 followers in a week" in alert.title and "No posts were published in that week." in alert.message


def test_a_first_snapshot_raises_nothing(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")
    snapshots(connection, {0: 250_000})
    assert alerts.check_account(connection) == []


def test_the_overview_shows_recent_alerts(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")
    snapshots(connection, {1: 990, 0: 1_020})
    alerts.check_account(connection)
    page = studio.browser.text(f"/w/{studio.workspace.slug}/")
    assert "Recent alerts" in page and "@kitchen passed 1,000 followers" in page
    assert "New followers this week" in page and '<span class="stat-number">+30</span>' in page


# ---- the Analytics page ------------------------------------------------------------------------


def history_of_two_posts(connection):
    """Two posts' numbers over three days, and the account's followers."""
    first, second = published(connection, "Lemon pasta", days_ago=3), published(connection, "Knife skills", days_ago=1)
    today = utcnow()
    for days_ago, numbers in ((3, {"views": 100, "likes": 10}), (2, {"views": 400, "likes": 30}), (1, {"views": 500, "likes": 35}),
                              (0, {"views": 520, "likes": 36})):
        history.record_post_numbers(first, numbers, now=today - timedelta(days=days_ago))
    for days_ago, numbers in ((1, {"views": 50, "likes": 5}), (0, {"views": 300, "likes": 20})):
        history.record_post_numbers(second, numbers, now=today - timedelta(days=days_ago))
    for days_ago, followers in ((3, 1_000), (2, 1_010), (1, 1_030), (0, 1_060)):
        history.record_account_stats(connection, {"followers": followers}, now=today - timedelta(days=days_ago))
    db.session.commit()


def test_the_analytics_page_shows_what_the_range_gained_and_each_day(app, studio):
    history_of_two_posts(make_connection(studio.workspace, username="kitchen"))
    page = studio.browser.text(f"/w/{studio.workspace.slug}/analytics?range=7")
    assert '<span class="stat-number">820</span>' in page  # 520 + 300 views
    assert '<span class="stat-number">+60</span>' in page and '<span class="stat-number">1,060</span>' in page
    today = utcnow().date()
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([\d,]+)</td>", page))
    assert rows[(today - timedelta(days=1)).strftime("%a %-d %b")] == "150"  # 100 + 50
    assert rows[today.strftime("%a %-d %b")] == "270"  # 20 + 250
    assert "Lemon pasta" in page and 'role="img"' in page


def test_switching_the_range_with_htmx_swaps_the_dashboard_alone(app, studio):
    history_of_two_posts(make_connection(studio.workspace, username="kitchen"))
    response = studio.browser.htmx_get(f"/w/{studio.workspace.slug}/analytics?range=90")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "90 days" in html


def test_a_custom_range_that_ends_before_it_starts_says_so(app, studio):
    page = studio.browser.text(f"/w/{studio.workspace.slug}/analytics?from=2026-05-20&to=2026-05-01")
    assert "A range starts before it ends." in page


def test_each_table_downloads_as_csv_with_the_tables_rows(app, studio):
    history_of_two_posts(make_connection(studio.workspace, username="kitchen"))
    response = studio.browser.get(f"/w/{studio.workspace.slug}/analytics/days.csv?range=7")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["date", "views", "engagement", "followers"] and len(rows) == 8
    assert rows[-1][:2] == [utcnow().date().isoformat(), "270"]
    posts = list(csv.reader(io.StringIO(studio.browser.get(f"/w/{studio.workspace.slug}/analytics/posts.csv").get_data(as_text=True))))
    assert [row[2] for row in posts[1:]] == ["Lemon pasta", "Knife skills"]
    assert studio.browser.get(f"/w/{studio.workspace.slug}/analytics/secrets.csv").status_code == 404


# ---- Meta's webhooks ---------------------------------------------------------------------------


def signed(body, secret="ig-app-secret"):
    import hashlib
    import hmac

    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def test_metas_verify_handshake_answers_the_challenge_only_with_the_token(app):
    app.config["META_WEBHOOK_VERIFY_TOKEN"] = "let-me-in"
    visitor = app.test_client()
    ok = visitor.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=let-me-in&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    assert visitor.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1").status_code == 403


def test_a_signed_instagram_change_updates_the_posts_numbers_and_a_forged_one_is_refused(app, studio, caplog):
    import json

    app.config["INSTAGRAM_CLIENT_SECRET"] = "ig-app-secret"
    connection = make_connection(studio.workspace, platform="instagram", username="kitchen", account_id="17841400000000")
    post = published(connection, "Reel", views=100)
    post.platform_post_id = "17990000000001"
    db.session.commit()
    body = json.dumps({"object": "instagram", "entry": [{"id": "17841400000000", "time": 1764600000, "changes": [
        {"field": "story_insights", "value": {"media_id": "17990000000001", "impressions": 444, "reach": 321,
                                              "replies": 3}}]}]}).encode()
    visitor = app.test_client()
    assert visitor.post("/webhooks/meta", data=body, headers=signed(body)).status_code == 200
    db.session.rollback()
    assert db.session.get(PublishedPost, post.id).metrics == {"views": 100, "impressions": 444, "reach": 321, "replies": 3}
    assert db.session.query(MetricAggregate).filter_by(published_post_id=post.id, period="day").one().reach == 321

    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        forged = visitor.post("/webhooks/meta", data=body, headers=signed(body, "not-the-secret"))
        unknown = json.dumps({"object": "instagram", "entry": [{"id": "999", "changes": [{"field": "comments"}]}]}).encode()
        stranger = visitor.post("/webhooks/meta", data=unknown, headers=signed(unknown))
    assert forged.status_code == 403 and stranger.status_code == 404
    assert "the signature does not match" in caplog.text and "no workspace connected: instagram 999" in caplog.text
    assert db.session.query(MetricEvent).count() == 1


def test_a_clients_numbers_are_their_own_accounts_only_for_staff_and_in_their_portal(app, studio):
    from tests.factories import make_client

    rosa = make_client(studio.workspace, name="Rosa Diaz")
    theirs = make_connection(studio.workspace, username="rosa.lifts", client_id=rosa.id)
    agencys = make_connection(studio.workspace, username="kitchen")
    for connection, views in ((theirs, 700), (agencys, 90_000)):
        history.record_post_numbers(published(connection, f"Post of {connection.username}"), {"views": views})
    db.session.commit()
    staff_view = studio.browser.text(f"/w/{studio.workspace.slug}/analytics?client={rosa.id}&range=7")
    assert '<span class="stat-number">700</span>' in staff_view and "Post of kitchen" not in staff_view
    assert "Rosa Diaz</a> · their own accounts" in staff_view
    portal = app.test_client().log_in_as(rosa.user)
    own = portal.text(f"/portal/c/{rosa.id}/analytics?range=7")
    assert '<span class="stat-number">700</span>' in own and "Your own accounts" in own and "Post of kitchen" not in own
    rows = portal.get(f"/portal/c/{rosa.id}/analytics/posts.csv?range=7").get_data(as_text=True)
    assert "Post of rosa.lifts" in rows and "kitchen" not in rows
    stranger = make_studio(name="Elsewhere")
    assert stranger.browser.get(f"/w/{stranger.workspace.slug}/analytics?client={rosa.id}").status_code == 404


def test_the_heat_map_ranks_the_hours_whose_posts_did_best(app, studio):
    connection = make_connection(studio.workspace, username="kitchen")  # its owner's time zone is UTC
    now = utcnow()
    monday_evening = (now - timedelta(days=now.weekday() + 7)).replace(hour=18, minute=30, second=0, microsecond=0)
    for week, views in enumerate((9_000, 7_000)):
        post = published(connection, f"Evening {week}", views=views)
        post.published_at = monday_evening - timedelta(days=7 * week)
    morning = published(connection, "Morning", views=500)
    morning.published_at = monday_evening.replace(hour=7)
    db.session.commit()
    rows = studio.browser.get(f"/w/{studio.workspace.slug}/analytics/hours.csv").get_data(as_text=True).splitlines()
    assert rows[:3] == ["weekday,hour,posts,average_views", "Mon,18,2,8000", "Mon,7,1,500"]
