"""Plans and usage: a workspace's plan limits what it may do each month (AI generations, scheduled
posts, uploads) and at any time (seats, connected accounts); a refusal names the limit and how to
raise it; the counts start again with the month. An install sets plans with `flask studio plans`
and may switch limits off; with Stripe's keys, owners upgrade through Checkout, manage billing in
the customer portal, and Stripe's signed webhook keeps the subscription and the plan."""
import io
import json
import time
from datetime import date
from html import unescape

import pytest
import stripe
from sqlalchemy import select

from studio.accounts.models import Invitation, Membership, Workspace
from studio.billing import service
from studio.billing.models import Plan, UsageCounter
from studio.billing.service import Counted, OverLimit, Totalled
from studio.connections.models import PlatformConnection
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.library.storage import storage
from tests.factories import add_member, make_connection, make_studio, make_user, make_workspace, owner_of
from tests.helpers import at_once, errors_next_to, frozen_at
from tests.media import make_image

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
def maker(app):
    return make_studio(name="Clipworks")


@pytest.fixture
def fake_stripe(app):
    """A fake Stripe on loopback, with the studio's keys pointed at it."""
    from tests.fakes.stripe_server import FakeStripeServer

    with FakeStripeServer() as fake:
        app.config.update(STRIPE_SECRET_KEY=fake.api_key, STRIPE_API_BASE=fake.base_url,
                          STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
        service.save_plan("pro", stripe_price_id="price_pro_monthly")
        service.save_plan("agency", stripe_price_id="price_agency_monthly")
        yield fake


def refresh(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def counter(workspace, month):
    db.session.expire_all()
    return db.session.execute(select(UsageCounter).where(UsageCounter.workspace_id == workspace.id,
                                                         UsageCounter.period_start == month)).scalar_one_or_none()


# ---- taking from the month's allowance ---------------------------------------------------------


@frozen_at("2026-05-20 15:00")
def test_the_eleventh_ai_generation_on_a_plan_of_ten_is_refused_and_the_count_starts_again_next_month(maker):
    workspace = maker.workspace
    assert service.plan_of(workspace).ai_generations == 10
    for _ in range(10):
        service.take(workspace, Counted.GENERATIONS)
    with pytest.raises(OverLimit) as refused:
        service.take(workspace, "generations")
    assert str(refused.value) == (
        "Your plan (Starter) allows 10 AI generations a month and this workspace has used 10. The count starts "
        "again on 1 June; to raise it, ask whoever runs this studio (they set plans with `flask studio plans`).")
    assert (refused.value.what, refused.value.limit, refused.value.used) == (Counted.GENERATIONS, 10, 10)
    assert counter(workspace, date(2026, 5, 1)).generations == 10, "the refused one took nothing"

    with frozen_at("2026-06-01 00:00"):
        service.take(workspace, Counted.GENERATIONS)
        usage = service.usage_of(workspace)
        assert (usage.period_start, usage.resets_on) == (date(2026, 6, 1), date(2026, 7, 1))
        assert usage.used == {Counted.GENERATIONS: 1, Counted.SCHEDULED_POSTS: 0, Counted.UPLOADS: 0}
    assert counter(workspace, date(2026, 5, 1)).generations == 10, "May keeps its own count"


@frozen_at("2026-12-31 23:59")
def test_with_stripe_the_refusal_says_an_owner_can_move_to_a_bigger_plan(app, maker):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_fake"
    service.save_plan("starter", scheduled_posts=2)
    service.take(maker.workspace, Counted.SCHEDULED_POSTS, 2)
    with pytest.raises(OverLimit) as refused:
        service.take(maker.workspace, Counted.SCHEDULED_POSTS)
    assert str(refused.value) == (
        "Your plan (Starter) allows 2 scheduled posts a month and this workspace has used 2. The count starts "
        "again on 1 January; an owner can raise it by moving to a bigger plan on Plan & usage.")


def test_two_requests_at_once_cannot_both_take_the_last_one(app, maker):
    service.save_plan("starter", ai_generations=5)
    service.take(maker.workspace, Counted.GENERATIONS, 4)
    workspace_id, outcomes = maker.workspace.id, []

    def take_one():
        with app.app_context():
            try:
                service.take(db.session.get(Workspace, workspace_id), Counted.GENERATIONS)
                outcomes.append("taken")
            except OverLimit:
                outcomes.append("refused")

    at_once(take_one, take_one, take_one)
    assert sorted(outcomes) == ["refused", "refused", "taken"]
    assert service.usage_of(maker.workspace).used[Counted.GENERATIONS] == 5


def test_work_that_failed_gives_back_what_it_took(maker):
    service.take(maker.workspace, Counted.GENERATIONS, 3)
    service.give_back(maker.workspace, Counted.GENERATIONS)
    assert service.usage_of(maker.workspace).used[Counted.GENERATIONS] == 2
    service.give_back(maker.workspace, Counted.GENERATIONS, 5)
    assert service.usage_of(maker.workspace).used[Counted.GENERATIONS] == 2, "never below nought"


def test_an_unlimited_plan_and_an_install_with_limits_off_refuse_nothing_and_still_count(app, maker):
    service.save_plan("starter", ai_generations=None)
    service.take(maker.workspace, Counted.GENERATIONS, 500)
    service.save_plan("starter", ai_generations=10, seats=1)
    app.config["USAGE_LIMITS"] = False
    service.take(maker.workspace, Counted.GENERATIONS)
    service.check_total(maker.workspace, Totalled.SEATS, 5)
    assert service.usage_of(maker.workspace).used[Counted.GENERATIONS] == 501
    page = maker.browser.text(f"/w/{maker.workspace.slug}/plan")
    assert "Limits are off on this install" in page
    assert '<meter min="0" max="10" value="10"' in page, "the meter still shows what was used"


# ---- the limits where people meet them ---------------------------------------------------------


def test_an_upload_past_the_months_allowance_is_refused_and_nothing_is_kept(app, maker, tmp_path):
    service.save_plan("starter", uploads=1)
    first, second = make_image(tmp_path / "first.png"), make_image(tmp_path / "second.png", width=640, height=800)

    def upload(path):
        return maker.browser.submit(f"/w/{maker.workspace.slug}/library/upload",
                                    {"files": [(io.BytesIO(path.read_bytes()), path.name)]}, htmx=True,
                                    content_type="multipart/form-data")

    assert upload(first).status_code == 200
    response = upload(second)
    assert response.status_code == 422
    assert "Your plan (Starter) allows 1 upload a month and this workspace has used 1." in response.get_data(as_text=True)
    [asset] = db.session.execute(select(MediaAsset)).scalars().all()
    assert asset.title == "first"
    stored = list((storage().root / str(maker.workspace.id)).glob("*.png"))
    assert len(stored) == 1, "the refused file is not kept"
    assert service.usage_of(maker.workspace).used[Counted.UPLOADS] == 1
    assert "This month: 1 file," in maker.browser.text(f"/w/{maker.workspace.slug}/library/")


def test_seats_count_members_and_pending_invitations(app, outbox):
    workspace = make_workspace(name="Two Seats")
    client = app.test_client().log_in_as(owner_of(workspace))
    invite = lambda email: client.submit(f"/w/{workspace.slug}/members/invite",  # noqa: E731
                                         {"email": email, "role": "editor"}, htmx=True)
    assert invite("first@example.com").status_code == 200
    response = invite("second@example.com")
    assert response.status_code == 422
    [refusal] = errors_next_to(unescape(response.get_data(as_text=True)), "email")
    assert refusal == ("Your plan (Starter) allows 2 seats and this workspace has 2 taken (members and pending "
                       "invitations). To raise it, ask whoever runs this studio (they set plans with `flask studio "
                       "plans`).")
    assert db.session.scalar(select(Invitation.email).where(Invitation.email == "second@example.com")) is None
    assert len(outbox.messages()) == 1


def test_an_invitation_cannot_be_accepted_once_the_seats_are_filled_another_way(app, outbox):
    workspace = make_workspace(name="Full House")
    client = app.test_client().log_in_as(owner_of(workspace))
    client.submit(f"/w/{workspace.slug}/members/invite", {"email": "late@example.com", "role": "viewer"})
    link = outbox.last_link_to("late@example.com")
    add_member(workspace, "editor")  # the seat the invitation held is taken meanwhile
    late = make_user(email="late@example.com")
    db.session.commit()
    response = app.test_client().log_in_as(late).submit(link + "/accept")
    assert response.status_code == 409
    assert "allows 2 seats" in response.get_data(as_text=True)
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == late.id)) is None
    assert db.session.scalar(select(Invitation.accepted_at)) is None, "the link still works once a seat is free"


def test_a_new_account_past_the_plans_total_is_refused_and_reconnecting_one_is_not(app, fake_platforms, maker):
    from tests.integration.test_platform_connections import approve_at, start

    service.save_plan("starter", connected_accounts=1)
    workspace, client = maker.workspace, maker.browser
    assert client.get(approve_at(start(client, workspace, "x"))).status_code == 303
    again = client.get(approve_at(start(client, workspace, "x")))
    assert again.status_code == 303, "the same account again is not a new one"
    response = client.get(approve_at(start(client, workspace, "linkedin")))
    assert response.status_code == 400
    assert "Your plan (Starter) allows 1 connected account and this workspace has 1 connected." in \
        response.get_data(as_text=True)
    assert [c.platform for c in db.session.execute(select(PlatformConnection)).scalars()] == ["x"]


# ---- the page ----------------------------------------------------------------------------------


@frozen_at("2026-03-14 10:00")
def test_the_usage_page_shows_meters_the_reset_date_and_the_plans(app):
    maker = make_studio(name="Clipworks")  # made at the frozen time, as its session is
    workspace = maker.workspace
    service.save_plan("starter", uploads=None)
    service.take(workspace, Counted.GENERATIONS, 3)
    service.take(workspace, Counted.UPLOADS, 7)
    add_member(workspace, "viewer")
    make_connection(workspace)
    page = maker.browser.text(f"/w/{workspace.slug}/plan")
    assert "Plan &amp; usage" in page and "On the <strong>Starter</strong> plan · Free" in page
    assert '<meter min="0" max="10" value="3"' in page and "AI generations this month" in page
    assert "Unlimited" in page, "the uploads limit is lifted"
    assert '<meter min="0" max="2" value="2"' in page, "two of two seats"
    assert '<meter min="0" max="3" value="1"' in page, "one of three accounts"
    assert "start again on 1 April 2026" in page
    assert "Pro" in page and "100 AI generations a month" in page and "$29 / month" in page
    assert "Agency" in page and "25 seats" in page
    assert "Upgrade to" not in page and "Manage billing" not in page
    assert "set by whoever runs it" in page
    settings = maker.browser.text(f"/w/{workspace.slug}/settings")
    assert f'href="/w/{workspace.slug}/plan"' in settings
    assert f'<a class="menu-action" href="/w/{workspace.slug}/plan">Plan &amp; usage</a>' in settings


# ---- the command line --------------------------------------------------------------------------


def test_an_install_sets_plans_and_puts_workspaces_on_them_from_the_command_line(app, maker):
    cli = app.test_cli_runner()
    listed = cli.invoke(args=["studio", "plans", "list"])
    assert listed.exit_code == 0
    assert "starter: Starter (Free)" in listed.output and "10 AI generations a month" in listed.output
    assert "Limits are on." in listed.output

    made = cli.invoke(args=["studio", "plans", "set", "studio-max", "--name", "Studio Max", "--price-label",
                            "$199 / month", "--generations", "unlimited", "--seats", "100", "--price-id", "price_max"])
    assert made.exit_code == 0 and "Created plan studio-max (Studio Max)." in made.output
    changed = cli.invoke(args=["studio", "plans", "set", "starter", "--generations", "20", "--uploads", "unlimited"])
    assert changed.exit_code == 0 and "Saved plan starter" in changed.output
    db.session.expire_all()
    maximum = service.find_plan("studio-max")
    assert (maximum.ai_generations, maximum.seats, maximum.stripe_price_id, maximum.position) == (None, 100, "price_max", 3)
    starter = service.find_plan("starter")
    assert (starter.ai_generations, starter.uploads, starter.seats) == (20, None, 2), "what was not given is kept"

    assigned = cli.invoke(args=["studio", "plans", "assign", maker.workspace.slug, "studio-max"])
    assert assigned.exit_code == 0 and "Clipworks is on the Studio Max plan." in assigned.output
    assert refresh(maker.workspace).plan == "studio-max"
    assert cli.invoke(args=["studio", "plans", "assign", maker.workspace.slug, "gold"]).exit_code != 0
    assert "There is no workspace" in cli.invoke(args=["studio", "plans", "assign", "nowhere", "pro"]).output
    assert cli.invoke(args=["studio", "plans", "set", "pro", "--seats", "lots"]).exit_code != 0
    assert "A plan's key" in cli.invoke(args=["studio", "plans", "set", "Bad Key!"]).output


# ---- Stripe: Checkout and the customer portal --------------------------------------------------


def test_an_owner_upgrades_through_stripe_checkout(app, fake_stripe, maker):
    workspace = maker.workspace
    page = maker.browser.get(f"/w/{workspace.slug}/plan")
    html = page.get_data(as_text=True)
    assert "Upgrade to Pro" in html and "Upgrade to Agency" in html
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com" in \
        page.headers["Content-Security-Policy"]
    assert "Manage billing" not in html, "no billing account yet"

    response = maker.browser.submit(f"/w/{workspace.slug}/plan/checkout", {"plan": "pro"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [sent] = fake_stripe.calls_to("/v1/checkout/sessions")
    assert sent["mode"] == "subscription" and sent["line_items[0][price]"] == "price_pro_monthly"
    assert sent["client_reference_id"] == str(workspace.id)
    assert (sent["metadata[workspace_id]"], sent["metadata[plan]"]) == (str(workspace.id), "pro")
    assert sent["subscription_data[metadata][workspace_id]"] == str(workspace.id)
    assert sent["success_url"] == f"http://localhost/w/{workspace.slug}/plan?checkout=done"
    assert sent["cancel_url"] == f"http://localhost/w/{workspace.slug}/plan?checkout=cancelled"
    assert "customer" not in sent

    workspace.stripe_customer_id = "cus_known"
    db.session.commit()
    response = maker.browser.submit(f"/w/{workspace.slug}/plan/checkout", {"plan": "agency"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("https://checkout.stripe.com/")
    assert fake_stripe.calls_to("/v1/checkout/sessions")[-1]["customer"] == "cus_known"


def test_only_an_owner_sees_and_uses_the_upgrade(app, fake_stripe, maker):
    admin = add_member(maker.workspace, "admin")
    client = app.test_client().log_in_as(admin)
    html = client.text(f"/w/{maker.workspace.slug}/plan")
    assert "Upgrade to" not in html and "Only an owner of the workspace changes its plan." in html
    assert client.submit(f"/w/{maker.workspace.slug}/plan/checkout", {"plan": "pro"}).status_code == 403
    assert fake_stripe.calls_to("/v1/checkout/sessions") == []


def test_a_subscribed_workspace_changes_plan_in_the_portal_and_stripe_failing_is_told(app, fake_stripe, maker):
    workspace = maker.workspace
    workspace.stripe_customer_id, workspace.stripe_subscription_id = "cus_123", "sub_123"
    workspace.subscription_status, workspace.plan = "active", "pro"
    db.session.commit()
    html = maker.browser.text(f"/w/{workspace.slug}/plan")
    assert "Manage billing" in html and "Upgrade to" not in html and "Switch to" not in html
    response = maker.browser.submit(f"/w/{workspace.slug}/plan/checkout", {"plan": "agency"})
    assert response.status_code == 422 and "already pays for a subscription" in response.get_data(as_text=True)

    response = maker.browser.submit(f"/w/{workspace.slug}/plan/portal")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://billing.stripe.com/p/session/")
    [sent] = fake_stripe.calls_to("/v1/billing_portal/sessions")
    assert sent == {"customer": "cus_123", "return_url": f"http://localhost/w/{workspace.slug}/plan"}

    fake_stripe.fail_status = 500
    response = maker.browser.submit(f"/w/{workspace.slug}/plan/portal")
    assert response.status_code == 422
    assert "Nothing was changed; try again in a moment." in response.get_data(as_text=True)


def test_without_stripe_keys_the_billing_routes_are_not_there(maker):
    assert maker.browser.submit(f"/w/{maker.workspace.slug}/plan/checkout", {"plan": "pro"}).status_code == 404
    assert maker.browser.submit(f"/w/{maker.workspace.slug}/plan/portal").status_code == 404


# ---- Stripe's webhook --------------------------------------------------------------------------


def signed(payload, secret):
    """The Stripe-Signature header Stripe sends: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">, made
    with the stripe library's own signing function."""
    timestamp = int(time.time())
    return f"t={timestamp},v1={stripe.WebhookSignature._compute_signature(f'{timestamp}.{payload}', secret)}"


def event(kind, item, event_id="evt_1"):
    return json.dumps({"id": event_id, "object": "event", "type": kind, "api_version": "2025-03-31.basil",
                       "created": int(time.time()), "livemode": False, "data": {"object": item}})


def subscription(workspace, status, price="price_pro_monthly", subscription_id="sub_123"):
    return {"id": subscription_id, "object": "subscription", "customer": "cus_123", "status": status,
            "metadata": {"workspace_id": str(workspace.id), "plan": "pro"},
            "items": {"object": "list", "data": [{"id": "si_1", "object": "subscription_item",
                                                  "price": {"id": price, "object": "price"}}]}}


def deliver(app, payload, signature):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return app.test_client().post("/webhooks/stripe", data=payload, headers=headers)


def test_a_webhook_signed_with_the_wrong_secret_is_refused_and_the_right_one_moves_the_workspace_to_past_due(
        app, fake_stripe, maker, caplog):
    workspace = maker.workspace
    workspace.stripe_customer_id, workspace.stripe_subscription_id = "cus_123", "sub_123"
    workspace.subscription_status, workspace.plan = "active", "pro"
    db.session.commit()
    payload = event("customer.subscription.updated", subscription(workspace, "past_due"))

    forged = deliver(app, payload, signed(payload, "whsec_someone_else"))
    assert forged.status_code == 400
    assert "Stripe webhook refused: the signature does not match" in caplog.text
    assert refresh(workspace).subscription_status == "active", "a forged event changes nothing"
    assert deliver(app, payload, None).status_code == 400, "an unsigned one neither"

    genuine = deliver(app, payload, signed(payload, WEBHOOK_SECRET))
    assert genuine.status_code == 200
    workspace = refresh(workspace)
    assert workspace.subscription_status == "past_due"
    assert (workspace.plan, workspace.stripe_subscription_id) == ("pro", "sub_123"), "the plan stays while Stripe retries"
    assert deliver(app, payload, signed(payload, WEBHOOK_SECRET)).status_code == 200, "the same event again is harmless"
    assert refresh(workspace).subscription_status == "past_due"
    assert "Stripe could not take the last payment" in maker.browser.text(f"/w/{workspace.slug}/plan")


def test_checkout_completes_then_the_subscription_changes_plan_and_ends(app, fake_stripe, maker):
    workspace = maker.workspace
    session = {"id": "cs_test_1", "object": "checkout.session", "mode": "subscription", "status": "complete",
               "client_reference_id": str(workspace.id), "customer": "cus_new", "subscription": "sub_new",
               "metadata": {"workspace_id": str(workspace.id), "plan": "pro"}}
    payload = event("checkout.session.completed", session)
    assert deliver(app, payload, signed(payload, WEBHOOK_SECRET)).status_code == 200
    workspace = refresh(workspace)
    assert (workspace.plan, workspace.stripe_customer_id, workspace.stripe_subscription_id,
            workspace.subscription_status) == ("pro", "cus_new", "sub_new", "active")

    moved = subscription(workspace, "active", price="price_agency_monthly", subscription_id="sub_new")
    payload = event("customer.subscription.updated", {**moved, "customer": "cus_new"}, "evt_2")
    assert deliver(app, payload, signed(payload, WEBHOOK_SECRET)).status_code == 200
    assert refresh(workspace).plan == "agency"

    old = event("customer.subscription.deleted", subscription(workspace, "canceled", subscription_id="sub_old"), "evt_3")
    assert deliver(app, old, signed(old, WEBHOOK_SECRET)).status_code == 200
    assert (refresh(workspace).plan, refresh(workspace).subscription_status) == ("agency", "active"), \
        "an old subscription ending does not end the current one"

    ended = event("customer.subscription.deleted", {**moved, "status": "canceled", "customer": "cus_new"}, "evt_4")
    assert deliver(app, ended, signed(ended, WEBHOOK_SECRET)).status_code == 200
    workspace = refresh(workspace)
    assert (workspace.plan, workspace.subscription_status, workspace.stripe_customer_id) == ("starter", "canceled", "cus_new")

    late = event("customer.subscription.updated", {**moved, "customer": "cus_new"}, "evt_5")  # sent before evt_4
    assert deliver(app, late, signed(late, WEBHOOK_SECRET)).status_code == 200
    assert (refresh(workspace).plan, refresh(workspace).subscription_status) == ("starter", "canceled"), \
        "an update that arrives after the cancellation does not bring the plan back"


def test_an_event_about_no_workspace_we_know_is_logged_and_accepted(app, fake_stripe, maker, caplog):
    stranger = {"id": "sub_elsewhere", "object": "subscription", "customer": "cus_elsewhere", "status": "active",
                "metadata": {}, "items": {"data": []}}
    payload = event("customer.subscription.created", stranger)
    response = deliver(app, payload, signed(payload, WEBHOOK_SECRET))
    assert response.status_code == 200, "refusing it would only make Stripe send it again for days"
    assert "Stripe subscription for no workspace we know: sub_elsewhere" in caplog.text
    assert db.session.scalar(select(Workspace.id).where(Workspace.stripe_subscription_id.is_not(None))) is None


def test_the_default_plans_come_with_the_migration(app):
    plans = db.session.execute(select(Plan).order_by(Plan.position)).scalars().all()
    assert [(p.key, p.ai_generations, p.scheduled_posts, p.uploads, p.seats, p.connected_accounts) for p in plans] == [
        ("starter", 10, 30, 50, 2, 3), ("pro", 100, 300, 500, 5, 10), ("agency", 1000, 3000, 5000, 25, 50)]
