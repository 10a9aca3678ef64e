"""Approvals as a team and its clients live them: a post that needs approval cannot be scheduled
and is never published, whatever its status says; the team approves, then the client from her
portal (or she asks for changes, which sends it back); an edit to an approved post needs approval
again; stalled approvals are reminded once; nobody reaches another client's posts."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from studio.content import approvals
from studio.content.models import Comment, ContentEdit
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.publishing import engine, service
from studio.publishing.models import Delivery, Post
from studio.refusal import Refused
from studio.sandbox.models import SandboxPost
from tests.factories import add_member, make_client, make_connection, make_post, make_studio, require_approval
from tests.helpers import frozen_at


@pytest.fixture
def studio(app, live_server):
    app.config.update(PUBLISH_BACKOFF_SECONDS=0, PUBLISH_LOOKUP_DELAY_SECONDS=0, PUBLISH_TIMEOUT_SECONDS=5)
    return make_studio(name="Northwind Creators", sandbox_accounts=("bakery_cam",))


def count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def tomorrow_at_nine():
    return (utcnow() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)


def compose(studio, when="schedule", message="Sourdough is back on Friday"):
    local = tomorrow_at_nine()
    return studio.browser.submit(f"/w/{studio.workspace.slug}/posts/new", {
        "message": message, "connections": [studio.connection.id], "when": when,
        "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M")})


def only_post():
    return db.session.execute(select(Post)).scalar_one()


def test_a_post_that_needs_approval_cannot_be_scheduled_and_a_forced_status_does_not_make_the_engine_publish_it(studio):
    studio.browser.submit(f"/w/{studio.workspace.slug}/settings/approvals", {"approval_mode": "internal"})
    assert studio.workspace.approval_mode == "internal"

    # The composer offers no "Post now" and saves the post as a draft, submitted for approval.
    assert compose(studio, when="now").status_code == 422
    assert count(Post) == 0
    compose(studio)
    post = only_post()
    assert (post.status, post.approval) == ("draft", "pending_team")
    assert [d.next_attempt_at for d in post.deliveries] == [None]

    # Scheduling it by hand only sets the time it is scheduled for once approved.
    local = tomorrow_at_nine() + timedelta(hours=1)
    page = studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/reschedule", {
        "version": post.version, "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M")},
        follow_redirects=True)
    assert "Time saved: it is scheduled for then once it is approved." in page.get_data(as_text=True)
    post = only_post()
    assert (post.status, post.scheduled_at.replace(tzinfo=None)) == ("draft", local)
    assert [d.next_attempt_at for d in post.deliveries] == [None]

    # Someone forces the rows to look scheduled and due: the engine still leaves it alone.
    db.session.execute(update(Post).values(status="scheduled"))
    db.session.execute(update(Delivery).values(status="pending", next_attempt_at=utcnow() - timedelta(seconds=5)))
    db.session.commit()
    assert engine.run_until_idle() == 0
    assert count(SandboxPost) == 0
    assert db.session.execute(select(Delivery.status)).scalar_one() == "pending"

    # Approved, it publishes.
    approvals.approve_for_team(only_post(), studio.owner)
    engine.run_until_idle()
    assert count(SandboxPost) == 1
    assert db.session.execute(select(Delivery.status)).scalar_one() == "published"


def test_the_final_approval_schedules_the_post_for_its_time_and_records_who_and_when(studio):
    require_approval(studio.workspace)
    editor = add_member(studio.workspace, "editor")
    post = make_post(workspace=studio.workspace, author=editor, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine())
    approvals.submit(post, editor)
    assert count(Notification, Notification.user_id == studio.owner.id, Notification.type == "approval_requested") == 1

    approver = studio.browser  # the owner
    page = approver.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/approve", follow_redirects=True)
    assert "Approved and scheduled." in page.get_data(as_text=True)
    post = db.session.get(Post, post.id)
    assert (post.status, post.approval, post.approved_by_id) == ("scheduled", "approved", studio.owner.id)
    assert post.approved_at is not None
    assert [d.next_attempt_at.replace(tzinfo=None) for d in post.deliveries] == [tomorrow_at_nine()]
    steps = db.session.execute(select(ContentEdit.action).where(ContentEdit.post_id == post.id)
                               .order_by(ContentEdit.id)).scalars().all()
    assert steps == ["submitted", "approved", "scheduled"]
    assert count(Notification, Notification.user_id == editor.id, Notification.type == "post_approved") == 1


def test_an_editor_cannot_approve_and_only_owners_and_admins_do(studio):
    require_approval(studio.workspace)
    editor = add_member(studio.workspace, "editor")
    post = make_post(workspace=studio.workspace, author=editor, connections=[studio.connection], status="draft")
    as_editor = studio.browser.application.test_client().log_in_as(editor)
    assert as_editor.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/approve").status_code == 403
    assert db.session.get(Post, post.id).approval == "not_submitted"


def test_an_approved_post_that_is_edited_goes_back_for_approval_and_stops_publishing(studio):
    require_approval(studio.workspace)
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine())
    approvals.approve_for_team(post, studio.owner)
    post = db.session.get(Post, post.id)
    assert post.status == "scheduled"

    page = studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/edit", {
        "version": post.version, "message": "Sourdough is back on Saturday", "reason": "Oven repair"},
        follow_redirects=True)
    assert "it goes back to the team for approval" in page.get_data(as_text=True)
    post = db.session.get(Post, post.id)
    assert (post.status, post.approval) == ("scheduled", "pending_team")
    db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert engine.run_until_idle() == 0
    assert count(SandboxPost) == 0


def test_turning_approvals_off_clears_waiting_posts_and_turning_them_on_asks_them_of_drafts(studio):
    draft = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft")
    scheduled = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection],
                          scheduled_at=tomorrow_at_nine())
    require_approval(studio.workspace)
    assert db.session.get(Post, draft.id).approval == "not_submitted"
    assert db.session.get(Post, scheduled.id).approval == "not_required"  # kept its place
    require_approval(studio.workspace, "none")
    assert db.session.get(Post, draft.id).approval == "not_required"


# ---- the client ---------------------------------------------------------------------------------


@pytest.fixture
def rosa(studio):
    require_approval(studio.workspace, "client")
    client = make_client(studio.workspace, name="Rosa Diaz")
    studio.connection.client_id = client.id
    db.session.commit()
    return client


def portal(studio, client):
    return studio.browser.application.test_client().log_in_as(client.user)


def test_the_client_asks_for_changes_the_team_edits_and_her_approval_schedules_the_post(studio, rosa, outbox):
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine(), message="Our croissants are the best in town")
    assert post.client_id == rosa.id
    assert approvals.approve_for_team(post, studio.owner).approval == "pending_client"
    assert outbox.to(rosa.email), "the client is e-mailed"
    her = portal(studio, rosa)

    waiting = her.get(f"/portal/c/{rosa.id}/approvals").get_data(as_text=True)
    assert "Our croissants are the best in town" in waiting and "@bakery_cam" in waiting
    page = her.submit(f"/portal/c/{rosa.id}/approvals/{post.id}/changes", {"reason": "Say \u201cin Leeds\u201d, not \u201cin town\u201d"},
                      follow_redirects=True)
    assert "Sent to the team with your note." in page.get_data(as_text=True)
    post = db.session.get(Post, post.id)
    assert post.approval == "changes_requested"
    [comment] = db.session.execute(select(Comment).where(Comment.post_id == post.id)).scalars().all()
    assert (comment.by_client, comment.internal) == (True, False)
    assert count(Notification, Notification.user_id == studio.owner.id, Notification.type == "changes_requested") == 1

    studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/edit", {
        "version": post.version, "message": "Our croissants are the best in Leeds"})
    assert db.session.get(Post, post.id).approval == "pending_team"
    approvals.approve_for_team(db.session.get(Post, post.id), studio.owner)
    page = her.submit(f"/portal/c/{rosa.id}/approvals/{post.id}/approve", follow_redirects=True)
    assert "Approved. Thank you! It is scheduled." in page.get_data(as_text=True)
    post = db.session.get(Post, post.id)
    assert (post.status, post.approval, post.approved_by_id) == ("scheduled", "approved", rosa.user_id)
    steps = db.session.execute(select(ContentEdit.action, ContentEdit.by_client).where(ContentEdit.post_id == post.id)
                               .order_by(ContentEdit.id)).all()
    assert steps == [("approved", False), ("changes_requested", True), ("edited", False), ("approved", False),
                     ("client_approved", True), ("scheduled", False)]


def test_the_client_approves_several_at_once_and_only_posts_waiting_for_her(studio, rosa):
    posts = [make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                       scheduled_at=tomorrow_at_nine() + timedelta(hours=n), message=f"Post {n}") for n in range(3)]
    for post in posts[:2]:
        approvals.approve_for_team(post, studio.owner)
    her = portal(studio, rosa)
    page = her.submit(f"/portal/c/{rosa.id}/approvals/bulk", {"post": [p.id for p in posts[:2]]}, follow_redirects=True)
    assert "Approved 2 posts." in page.get_data(as_text=True)
    assert [db.session.get(Post, p.id).status for p in posts] == ["scheduled", "scheduled", "draft"]
    # The team's draft was never put in front of her: it is not hers to open or approve.
    assert her.get(f"/portal/c/{rosa.id}/approvals/{posts[2].id}").status_code == 404
    assert her.submit(f"/portal/c/{rosa.id}/approvals/bulk", {"post": [posts[2].id]}).status_code == 404


def test_a_client_cannot_reach_another_clients_post_and_never_sees_team_only_comments(studio, rosa):
    other = make_client(studio.workspace, name="Theo Park")
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine())
    approvals.approve_for_team(post, studio.owner)
    studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/comments", {"body": "Rosa hates emoji", "internal": "y"})
    studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/comments", {"body": "Fresh batch photo added"})
    theo = portal(studio, other)
    assert theo.get(f"/portal/c/{other.id}/approvals/{post.id}").status_code == 404
    assert theo.get(f"/portal/c/{rosa.id}/approvals/{post.id}").status_code == 404
    assert theo.submit(f"/portal/c/{other.id}/approvals/{post.id}/approve").status_code == 404
    page = portal(studio, rosa).get(f"/portal/c/{rosa.id}/approvals/{post.id}").get_data(as_text=True)
    assert "Fresh batch photo added" in page
    assert "Rosa hates emoji" not in page


def test_a_stalled_approval_is_reminded_once_per_period(studio, rosa):
    with frozen_at("2026-03-02 09:00") as clock:
        post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                         scheduled_at=datetime(2026, 3, 20, 9, 0))
        approvals.approve_for_team(post, studio.owner)
        reminders = (Notification.user_id == rosa.user_id, Notification.title.like("%waited%"))
        assert approvals.remind_stalled() == 0
        clock.shift(timedelta(days=2, minutes=1))
        assert approvals.remind_stalled() == 1
        assert approvals.remind_stalled() == 0
        assert count(Notification, *reminders) == 1
        clock.shift(timedelta(days=2, minutes=1))
        assert approvals.remind_stalled() == 1
        assert "waited 4 days" in db.session.execute(select(Notification.title).where(*reminders)
                                                     .order_by(Notification.id.desc())).scalars().first()


def test_two_approvers_at_once_move_the_post_once(studio):
    require_approval(studio.workspace)
    admin = add_member(studio.workspace, "admin")
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine())
    approvals.approve_for_team(post, studio.owner)
    with pytest.raises(Refused, match="changed since you opened it"):
        approvals.approve_for_team(db.session.get(Post, post.id), admin)
    assert count(ContentEdit, ContentEdit.action == "approved") == 1


def test_approving_text_that_changed_since_the_approver_opened_it_is_refused_and_so_is_an_edit_begun_before_an_approval(studio):
    require_approval(studio.workspace)
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine(), message="Sourdough on Friday")
    approvals.submit(post, studio.owner)
    seen = db.session.get(Post, post.id).version  # the approver opens the page
    studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/edit", {"version": seen, "message": "Sourdough on Sunday"})
    page = studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/approve", {"version": seen}, follow_redirects=True)
    assert "changed since you opened it" in page.get_data(as_text=True)
    assert db.session.get(Post, post.id).approval == "pending_team"

    opened = db.session.get(Post, post.id).version  # an editor opens the page; then it is approved
    approvals.approve_for_team(db.session.get(Post, post.id), studio.owner, opened)
    late_edit = studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/edit",
                                      {"version": opened, "message": "Sourdough on Monday"}, follow_redirects=True)
    assert "changed since you opened it" in late_edit.get_data(as_text=True)
    post = db.session.get(Post, post.id)
    assert (post.message, post.approval, post.status) == ("Sourdough on Sunday", "approved", "scheduled")


def test_a_post_for_two_clients_accounts_is_refused_where_clients_approve(studio):
    require_approval(studio.workspace, "client")
    rosa, theo = make_client(studio.workspace, name="Rosa"), make_client(studio.workspace, name="Theo")
    accounts = [make_connection(studio.workspace, client_id=client.id) for client in (rosa, theo)]
    with pytest.raises(Refused, match="one client's approval"):
        make_post(workspace=studio.workspace, author=studio.owner, connections=accounts, status="draft")


def test_changes_asked_after_approval_give_back_the_scheduled_post_and_cancelling_does_too(studio):
    from studio.billing.service import usage_of

    require_approval(studio.workspace)
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine())
    approvals.approve_for_team(post, studio.owner)
    assert usage_of(studio.workspace).used["scheduled_posts"] == 1
    approvals.request_changes(db.session.get(Post, post.id), studio.owner, "Shorter, please")
    assert usage_of(studio.workspace).used["scheduled_posts"] == 0
    approvals.approve_for_team(db.session.get(Post, post.id), studio.owner)
    assert usage_of(studio.workspace).used["scheduled_posts"] == 1
    post = db.session.get(Post, post.id)
    service.cancel(post, post.version)
    assert usage_of(studio.workspace).used["scheduled_posts"] == 0



def test_a_post_the_team_sent_back_before_asking_her_stays_the_teams(studio, rosa):
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection], status="draft",
                     scheduled_at=tomorrow_at_nine())
    approvals.submit(post, studio.owner)
    approvals.request_changes(db.session.get(Post, post.id), studio.owner, "Not yet: wrong photo")
    assert portal(studio, rosa).get(f"/portal/c/{rosa.id}/approvals/{post.id}").status_code == 404


def test_a_post_scheduled_before_approvals_were_turned_on_needs_approval_once_edited(studio):
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection],
                     scheduled_at=tomorrow_at_nine())
    require_approval(studio.workspace)
    studio.browser.submit(f"/w/{studio.workspace.slug}/posts/{post.id}/edit", {"version": post.version, "message": "New words"})
    assert db.session.get(Post, post.id).approval == "pending_team"


def test_approving_one_occurrence_of_an_edited_series_approves_the_rest_of_it(studio):
    from studio.publishing import recurrence

    require_approval(studio.workspace, "none")
    series = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection],
                       scheduled_at=tomorrow_at_nine(), repeat=("daily", [], "", None, 5))
    require_approval(studio.workspace)
    recurrence.update_future(db.session.get(Post, series.id), "Daily special: soup")
    waiting = approvals.waiting_for_team(studio.workspace)
    assert len(waiting) == 5 and approvals.waiting_count(studio.workspace) == 5
    approvals.approve_for_team(waiting[-1], studio.owner)
    assert approvals.waiting_for_team(studio.workspace) == []
    assert {post.approval for post in db.session.execute(select(Post)).scalars()} == {"approved"}


def test_a_stalled_series_is_reminded_once_not_once_per_occurrence(studio):
    from studio.publishing import recurrence

    series = make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connection],
                       scheduled_at=tomorrow_at_nine(), repeat=("daily", [], "", None, 5))
    require_approval(studio.workspace)
    recurrence.update_future(db.session.get(Post, series.id), "Daily special: soup")
    db.session.execute(update(Post).values(approval_asked_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    assert approvals.remind_stalled() == 1
    assert approvals.remind_stalled() == 0
