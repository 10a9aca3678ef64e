"""The client journey as an agency lives it: a program started on the 31st lands month 2 on the
last day of February (the 29th in a leap year); due steps run once however many workers run them,
make their deliverable once, retry, and show staff what failed; a pause holds everything and
resuming moves what is still to come later by the pause, while staff run or skip what fell inside
it; the timelines show both sides what comes next."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from studio.database import utcnow
from studio.extensions import db
from studio.journey import clock, runner, service
from studio.journey.models import Automation, AutomationLog
from studio.notify.models import Notification
from studio.portal.models import Client, Deliverable
from tests.factories import make_client, make_step, make_studio
from tests.helpers import at_once, frozen_at


def count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def automations(client):
    return db.session.execute(select(Automation).where(Automation.client_id == client.id)
                              .order_by(Automation.month, Automation.id)).scalars().all()


@pytest.mark.parametrize(("start", "second_month", "third_month"), [
    (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)),
    (date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)),
    (date(2027, 8, 31), date(2027, 9, 30), date(2027, 10, 31)),
    (date(2027, 11, 30), date(2027, 12, 30), date(2028, 1, 30)),
])
def test_each_month_counts_from_the_first_day_clamped_to_the_months_last(start, second_month, third_month):
    assert clock.month_start(start, 2) == second_month
    assert clock.month_start(start, 3) == third_month
    assert clock.program_month(start, second_month - timedelta(days=1)) == 1
    assert clock.program_month(start, second_month) == 2
    assert clock.program_month(start, second_month, paused_days=10) == 1


def test_a_client_started_on_31_january_gets_month_two_on_the_last_day_of_february(app):
    with frozen_at("2027-01-20 10:00"):
        studio = make_studio(name="Launch Agency")
        rosa = make_client(studio.workspace, name="Rosa Diaz")
        make_step(studio.workspace, month=1, title="Welcome, {first_name}")
        make_step(studio.workspace, month=2, title="Month 2 starts", hour=9)
        make_step(studio.workspace, month=2, day_offset=3, kind="check_in", title="How is month 2?")
        page = studio.browser.submit(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey/start",
                                     {"start": "2027-01-31", "zone": "Europe/Berlin"}, follow_redirects=True)
        assert "Program started: 3 steps scheduled." in page.get_data(as_text=True)
        welcome, month_two, check_in = automations(rosa)
        assert welcome.due_at.isoformat() == "2027-01-31T08:00:00+00:00"
        assert month_two.due_at.isoformat() == "2027-02-28T08:00:00+00:00"  # 09:00 in Berlin
        assert check_in.due_at.isoformat() == "2027-03-03T08:00:00+00:00"
        again = studio.browser.submit(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey/start",
                                      {"start": "2027-01-31", "zone": "Europe/Berlin"}, follow_redirects=True)
        assert "0 steps scheduled" in again.get_data(as_text=True) and count(Automation) == 3

    with frozen_at("2028-01-20 10:00"):
        leap = make_client(studio.workspace, name="Theo Park")
        service.start_program(leap, date(2028, 1, 31), "UTC")
        assert automations(leap)[1].due_at.isoformat() == "2028-02-29T09:00:00+00:00"


def test_due_steps_run_once_make_their_deliverable_once_and_tell_the_client(app, outbox):
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, kind="deliverable", title="Your month {month} plan", body="Hi {first_name}, here it is.")
    make_step(studio.workspace, kind="celebration", title="Well done, {first_name}!")
    service.start_program(rosa, (utcnow() - timedelta(days=1)).date(), "UTC")
    assert runner.run_due() == 2
    assert runner.run_due() == 0
    [deliverable] = db.session.execute(select(Deliverable)).scalars().all()
    assert (deliverable.title, deliverable.body, deliverable.published_at is not None) == (
        "Your month 1 plan", "Hi Rosa, here it is.", True)
    assert count(Notification, Notification.user_id == rosa.user_id, Notification.type == "program_step") == 1
    assert outbox.to(rosa.email)
    # Run the deliverable's step again (as a worker that died after making it would): no second one.
    step = automations(rosa)[0]
    runner.make_deliverable(step, db.session.get(Client, rosa.id), "Your month 1 plan", "again")
    assert count(Deliverable) == 1
    assert {a.status for a in automations(rosa)} == {"done"}
    assert count(AutomationLog, AutomationLog.outcome == "success") == 2


def test_two_runners_at_once_run_each_due_step_exactly_once(app):
    studio = make_studio(name="Launch Agency")
    clients = [make_client(studio.workspace, name=f"Client {n}") for n in range(4)]
    for month_day in range(5):
        make_step(studio.workspace, day_offset=0, kind="reminder", title=f"Reminder {month_day}", hour=month_day)
    for client in clients:
        service.start_program(client, (utcnow() - timedelta(days=2)).date(), "UTC")
    db.session.commit()
    ran = []

    def runner_thread(name):
        def run():
            with app.app_context():
                ran.append(runner.run_due(worker=name, limit=100))
                db.session.remove()
        return run

    at_once(runner_thread("worker-a"), runner_thread("worker-b"))
    db.session.expire_all()
    assert sum(ran) == 20
    assert count(Automation, Automation.status == "done") == 20
    assert count(AutomationLog, AutomationLog.outcome == "success") == 20
    assert count(Notification, Notification.type == "program_step") == 20


def test_a_failing_step_is_retried_with_back_off_then_shown_to_staff(app, monkeypatch):
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, kind="reminder", title="Hello")
    service.start_program(rosa, (utcnow() - timedelta(days=1)).date(), "UTC")
    monkeypatch.setattr(runner, "perform", lambda automation: (_ for _ in ()).throw(RuntimeError("mail server down")))
    now = utcnow()
    for minutes in (0, 2, 12):
        runner.run_due(now + timedelta(minutes=minutes))
    [step] = automations(rosa)
    assert (step.status, step.attempts) == ("failed", 3) and "mail server down" in step.last_error
    assert count(Notification, Notification.user_id == studio.owner.id, Notification.type == "program_escalation") == 1
    page = studio.browser.get(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey").get_data(as_text=True)
    assert "Gave up after 3 tries" in page and "Run it now" in page
    assert "Hello" in studio.browser.get(f"/w/{studio.workspace.slug}/").get_data(as_text=True), "on the Overview"


def test_a_ten_day_pause_moves_every_step_still_to_come_and_staff_run_or_skip_what_fell_inside_it(app):
    with frozen_at("2027-03-01 08:00") as clock_:
        studio = make_studio(name="Launch Agency")
        rosa = make_client(studio.workspace, name="Rosa Diaz")
        for day in (2, 12, 20):  # 3, 13 and 21 March
            make_step(studio.workspace, day_offset=day, title=f"Day {day}", hour=9)
        service.start_program(rosa, date(2027, 3, 1), "UTC")
        before = {a.title: a.due_at for a in automations(rosa)}
        page = studio.browser.submit(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey/pause",
                                     {"reason": "Surgery, back in ten days"}, follow_redirects=True)
        assert "Paused: nothing runs until you resume." in page.get_data(as_text=True)
        clock_.shift(timedelta(days=10))
        assert runner.run_due() == 0, "nothing runs while paused"
        page = studio.browser.submit(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey/resume", follow_redirects=True)
        assert "2 steps moved later by the pause; 1 fell inside it" in page.get_data(as_text=True)
        after = {a.title: a for a in automations(rosa)}
        assert after["Day 2"].status == "held"
        for title in ("Day 12", "Day 20"):
            assert after[title].due_at - before[title] == timedelta(days=10)
        assert db.session.get(Client, rosa.id).paused_days == 10
        studio.browser.submit(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey/steps/{after['Day 2'].id}",
                              {"choice": "skip"})
        assert runner.run_due() == 0
        assert db.session.get(Automation, after["Day 2"].id).status == "skipped"
        clock_.shift(timedelta(days=12, hours=2))  # 23 March, 10:00: Day 12 (13 March) ten days later
        assert runner.run_due() == 1
        assert db.session.get(Automation, after["Day 12"].id).status == "done"


def test_a_held_step_run_now_runs_at_once(app):
    with frozen_at("2027-03-01 08:00") as clock_:
        studio = make_studio(name="Launch Agency")
        rosa = make_client(studio.workspace, name="Rosa Diaz")
        make_step(studio.workspace, day_offset=2, title="Day 2")
        service.start_program(rosa, date(2027, 3, 1), "UTC")
        service.pause(rosa, "Travelling")
        clock_.shift(timedelta(days=5))
        service.resume(db.session.get(Client, rosa.id))
        [held] = automations(rosa)
        studio.browser.submit(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey/steps/{held.id}", {"choice": "run"})
        assert runner.run_due() == 1
        assert db.session.get(Automation, held.id).status == "done"


def test_both_timelines_show_what_comes_next_and_only_to_their_own(app):
    studio = make_studio(name="Launch Agency")
    rosa, theo = make_client(studio.workspace, name="Rosa Diaz"), make_client(studio.workspace, name="Theo Park")
    make_step(studio.workspace, month=1, day_offset=10, title="Film the gym tour")
    make_step(studio.workspace, month=2, title="Month two kickoff")
    service.start_program(rosa, utcnow().date(), "UTC")
    staff = studio.browser.get(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey").get_data(as_text=True)
    assert "Film the gym tour" in staff and "Month 2, in preview" in staff
    her = studio.browser.application.test_client().log_in_as(rosa.user)
    mine = her.get(f"/portal/c/{rosa.id}/journey").get_data(as_text=True)
    assert "Film the gym tour" in mine and "Month two kickoff" in mine
    assert her.get(f"/portal/c/{theo.id}/journey").status_code == 404
    stranger = make_studio(name="Elsewhere")
    assert stranger.browser.get(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey").status_code == 404


def test_a_milestone_of_her_own_account_is_celebrated_with_her_and_the_coach_knows_what_comes_next(app):
    from studio.analytics import alerts
    from studio.coach.grounding import client_facts
    from studio.coach.models import Capability
    from tests.factories import make_connection
    from tests.integration.test_analytics import snapshots

    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, month=1, day_offset=20, title="Film the gym tour")
    service.start_program(rosa, utcnow().date(), "UTC")
    account = make_connection(studio.workspace, username="rosa.lifts", client_id=rosa.id)
    snapshots(account, {1: 9_870, 0: 10_040})
    alerts.check_account(account)
    alerts.check_account(account)  # the same crossing again: no second celebration
    celebration = db.session.execute(select(Automation).where(Automation.kind == "celebration")).scalar_one()
    assert celebration.title == "Congratulations, Rosa: @rosa.lifts passed 10,000 followers"
    assert runner.run_due() == 1
    assert count(Notification, Notification.user_id == rosa.user_id, Notification.type == "program_step") == 1

    facts = client_facts(db.session.get(Client, rosa.id), [Capability.PROGRAM])
    assert any(fact.startswith("Next in the program: “Film the gym tour”") for fact in facts)


def test_with_a_model_the_deliverable_is_drafted_from_the_steps_outline_and_counted(app, fake_model):
    from studio.billing.service import usage_of

    fake_model.reply = "## Your month 1 plan\n\nPost three times a week, Rosa."
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz", niche="Fitness")
    make_step(studio.workspace, kind="deliverable", title="Your month {month} plan", body="Three posts a week.")
    service.start_program(rosa, (utcnow() - timedelta(days=1)).date(), "UTC")
    assert runner.run_due() == 1
    [deliverable] = db.session.execute(select(Deliverable)).scalars().all()
    assert deliverable.body == "## Your month 1 plan\n\nPost three times a week, Rosa."
    prompt = fake_model.requests[-1]["json"]["messages"][-1]["content"]
    assert "Three posts a week." in prompt and "Fitness" in prompt
    assert usage_of(studio.workspace).used["generations"] == 1
    assert "written by fake-coach-1" in db.session.execute(select(AutomationLog.message)).scalar_one()


def test_resuming_keeps_each_steps_hour_of_her_day_across_a_change_of_clocks(app):
    with frozen_at("2027-03-20 09:00"):  # Berlin is on winter time (UTC+1) until 28 March
        studio = make_studio(name="Launch Agency")
        rosa = make_client(studio.workspace, name="Rosa Diaz")
        make_step(studio.workspace, month=2, day_offset=4, hour=9, title="Early April")
        service.start_program(rosa, date(2027, 3, 1), "Europe/Berlin")
        [step] = automations(rosa)
        assert step.due_at.isoformat() == "2027-04-05T07:00:00+00:00"  # 09:00 summer time
        service.pause(rosa, "Holiday")
    with frozen_at("2027-03-30 09:00"):
        service.resume(db.session.get(Client, rosa.id))
        assert automations(rosa)[0].due_at.isoformat() == "2027-04-15T07:00:00+00:00"  # still 09:00 in Berlin
        assert db.session.get(Client, rosa.id).paused_days == 10


def test_a_step_claimed_before_a_pause_is_handed_back_and_a_lost_last_try_fails_visibly(app):
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, title="Hello")
    service.start_program(rosa, (utcnow() - timedelta(days=1)).date(), "UTC")
    owner = "worker-a#1234"
    [claimed] = runner.claim(owner, 5, utcnow())
    service.pause(db.session.get(Client, rosa.id), "Travelling")
    assert runner.run_one(claimed, owner, utcnow()) is False
    step = db.session.get(Automation, claimed)
    assert (step.status, step.attempts) == ("scheduled", 0) and count(Notification, Notification.type == "program_step") == 0

    service.resume(db.session.get(Client, rosa.id))
    step = db.session.get(Automation, claimed)
    step.attempts, step.max_attempts = 2, 3
    db.session.commit()
    runner.claim("worker-b#1", 5, utcnow())  # worker b takes its last try, then dies
    later = utcnow() + runner.LEASE + timedelta(seconds=1)
    assert runner.run_due(later) == 0
    step = db.session.get(Automation, claimed)
    assert step.status == "failed" and "stopped during the last try" in step.last_error
    assert count(Notification, Notification.user_id == studio.owner.id, Notification.type == "program_escalation") == 1


def test_the_client_never_sees_the_teams_escalations_and_odd_braces_stay_as_written(app):
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, day_offset=5, kind="escalation", title="Plan {name}'s review call")
    make_step(studio.workspace, day_offset=6, kind="reminder", title="Hi {first_name}: {name.x} and {month:>9}")
    service.start_program(rosa, utcnow().date(), "UTC")
    staff = studio.browser.get(f"/w/{studio.workspace.slug}/clients/{rosa.id}/journey").get_data(as_text=True)
    assert "Plan Rosa Diaz&#39;s review call" in staff
    mine = studio.browser.application.test_client().log_in_as(rosa.user).get(f"/portal/c/{rosa.id}/journey").get_data(as_text=True)
    assert "review call" not in mine and "Hi Rosa: {name.x} and {month:&gt;9}" in mine


def test_an_archived_clients_steps_are_cancelled_not_sent(app):
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, title="Hello")
    service.start_program(rosa, (utcnow() - timedelta(days=1)).date(), "UTC")
    db.session.get(Client, rosa.id).status = "archived"
    db.session.commit()
    runner.run_due()
    assert automations(rosa)[0].status == "cancelled" and count(Notification, Notification.type == "program_step") == 0


def test_the_team_reads_what_it_was_told_on_its_notifications_page_and_only_its_own(app):
    studio = make_studio(name="Launch Agency")
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    make_step(studio.workspace, kind="escalation", title="Book {first_name}'s review call")
    service.start_program(rosa, (utcnow() - timedelta(days=1)).date(), "UTC")
    runner.run_due()
    overview = studio.browser.get(f"/w/{studio.workspace.slug}/").get_data(as_text=True)
    assert "1 unread notification" in overview
    page = studio.browser.get(f"/w/{studio.workspace.slug}/notifications").get_data(as_text=True)
    assert "Rosa Diaz, month 1: Book Rosa&#39;s review call" in page
    [notification] = db.session.execute(select(Notification).where(Notification.user_id == studio.owner.id)).scalars().all()
    opened = studio.browser.get(f"/w/{studio.workspace.slug}/notifications/{notification.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/clients/{rosa.id}/journey")
    assert db.session.get(Notification, notification.id).read_at is not None
    stranger = make_studio(name="Elsewhere")
    assert stranger.browser.get(f"/w/{stranger.workspace.slug}/notifications/{notification.id}").status_code == 404
