"""Plan & usage: the workspace's plan, its meters and the other plans, with Stripe's Checkout and
customer portal for owners when Stripe is configured; and Stripe's webhook, which keeps the
subscription's id and status and applies the plan it pays for."""
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, request, url_for
from sqlalchemy import func, select

from studio.accounts import service as accounts
from studio.accounts.models import Workspace
from studio.billing import payments, service
from studio.billing.service import Totalled
from studio.connections.models import PlatformConnection
from studio.extensions import csrf, db
from studio.refusal import Refused
from studio.security.access import requires_role, workspace_blueprint
from studio.web import content_security_policy, go_to, page

bp = workspace_blueprint("billing", __name__, "/plan")
webhooks = Blueprint("stripe_webhooks", __name__, url_prefix="/webhooks")


def totals_of(workspace: Workspace) -> dict[Totalled, int]:
    """What the workspace has now of what its plan totals: seats (members and pending invitations,
    as an invitation holds its seat) and connected accounts."""
    connections = db.session.scalar(select(func.count()).where(PlatformConnection.workspace_id == workspace.id)) or 0
    return {Totalled.SEATS: accounts.count_members(workspace) + accounts.count_pending_invitations(workspace),
            Totalled.CONNECTED_ACCOUNTS: connections}


@bp.get("", endpoint="index")
def index():
    usage = service.usage_of(g.workspace)
    response = page("billing/index.html", usage=usage, meters=usage.meters(totals_of(g.workspace)),
                    plans=service.all_plans(), stripe=payments.configured(), describe_limits=service.describe_limits,
                    subscribed=service.subscribed,
                    checkout=request.args.get("checkout"))
    if payments.configured():
        # Upgrade and Manage billing post here and are answered with a redirect to Stripe's pages,
        # which the page's form-action must allow (htmx follows by a full navigation instead).
        policy = response.headers.get("Content-Security-Policy") or content_security_policy()
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(payments.STRIPE_PAGES))
    return response


def back_here() -> str:
    return url_for("billing.index", _external=True)


@bp.post("/checkout")
@requires_role("owner")
def checkout():
    if not payments.configured():
        abort(404)
    plan = service.find_plan(request.form.get("plan", ""))
    if plan is None:
        abort(404)
    if service.subscribed(g.workspace):  # a second Checkout would start a second subscription
        raise Refused("This workspace already pays for a subscription: change its plan under Manage billing.")
    return go_to(payments.checkout_url(g.workspace, plan, back_here()))


@bp.post("/portal")
@requires_role("owner")
def portal():
    if not payments.configured():
        abort(404)
    return go_to(payments.portal_url(g.workspace, back_here()))


# ---- Stripe's webhook --------------------------------------------------------------------------


def refuse(why: str) -> Response:
    current_app.logger.warning("Stripe webhook refused: %s, from %s", why, request.remote_addr)
    return Response(why, status=400, mimetype="text/plain")


def settled(event: dict[str, Any], what: str) -> Response:
    """A genuine event handled, or one with nothing for the studio to do: 200 either way. An event
    about a workspace we do not know (deleted since, or another app on the same Stripe account) is
    logged and answered 200 too: refusing it would only make Stripe send it again for three days."""
    current_app.logger.info("Stripe event %s (%s): %s", event.get("id"), event.get("type"), what)
    return Response(what, mimetype="text/plain")


@webhooks.post("/stripe")
@csrf.exempt
def receive():
    try:
        event = payments.read_event(request.get_data(cache=True), request.headers.get("Stripe-Signature"))
    except payments.BadEvent as error:
        return refuse(str(error))
    kind, item = event.get("type"), event["data"].get("object") or {}
    if kind == "checkout.session.completed":
        workspace = workspace_for(item, reference=item.get("client_reference_id"))
        if workspace is None:
            current_app.logger.warning("Stripe checkout for no workspace we know: %s", item.get("id"))
            return settled(event, "no such workspace")
        service.apply_checkout(workspace, item.get("customer"), item.get("subscription"),
                               (item.get("metadata") or {}).get("plan"))
        return settled(event, f"checkout applied to {workspace.slug}")
    if kind in ("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"):
        workspace = workspace_for(item, subscription=item.get("id"))
        if workspace is None:
            current_app.logger.warning("Stripe subscription for no workspace we know: %s", item.get("id"))
            return settled(event, "no such workspace")
        outcome = service.apply_subscription(workspace, item.get("id"), item.get("status"), price_of(item),
                                             item.get("customer"), deleted=kind.endswith(".deleted"))
        return settled(event, outcome)
    return settled(event, "not an event the studio acts on")


def price_of(subscription: dict[str, Any]) -> str | None:
    items = (subscription.get("items") or {}).get("data") or []
    return ((items[0].get("price") or {}).get("id")) if items else None


def workspace_for(item: dict[str, Any], subscription: str | None = None, reference: str | None = None) -> Workspace | None:
    """The workspace an event is about: the one holding the subscription, else the one whose id the
    studio put in the Checkout Session's reference and metadata (and the subscription's), else the
    one holding the customer."""
    if subscription:
        found = db.session.execute(select(Workspace).where(Workspace.stripe_subscription_id == subscription)).scalars().first()
        if found is not None:
            return found
    reference = reference or (item.get("metadata") or {}).get("workspace_id")
    if reference and str(reference).isdigit():
        found = db.session.get(Workspace, int(reference))
        if found is not None:
            return found
    customer = item.get("customer")
    if not customer:
        return None
    return db.session.execute(select(Workspace).where(Workspace.stripe_customer_id == customer)).scalars().first()
