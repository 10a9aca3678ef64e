"""Stripe, through its own library (`stripe.StripeClient`): a Checkout Session to start or change a
subscription, a customer-portal session to manage it, and the webhook's signature check.

Nothing here runs unless STRIPE_SECRET_KEY is set; STRIPE_API_BASE points the client elsewhere
(tests run a fake Stripe on loopback). Stripe's answers are read as plain values; what they change
in the studio is decided in `service`."""
import json
from typing import TYPE_CHECKING, Any

import stripe
from flask import current_app

from studio.billing.models import Plan
from studio.refusal import Refused

if TYPE_CHECKING:
    from studio.accounts.models import Workspace

TIMEOUT_SECONDS = 20
# Where Checkout and the portal live: a form that is answered with a redirect there must be allowed
# to go (the page's Content-Security-Policy `form-action`).
STRIPE_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")


class BadEvent(Exception):
    """A webhook call that is not a genuine Stripe event (bad or missing signature, not JSON)."""


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    config = current_app.config
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"], base_addresses={"api": config["STRIPE_API_BASE"]},
                               http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS), max_network_retries=1)


def checkout_url(workspace: "Workspace", plan: Plan, back_url: str) -> str:
    """A Checkout Session for a subscription to `plan`; the address to send the owner to. The
    workspace's id rides as the client reference and in the metadata of the session and of the
    subscription it makes, so every event about it can be tied back to the workspace."""
    if not plan.stripe_price_id:
        raise Refused(f"The {plan.name} plan has no Stripe price yet; whoever runs the studio sets one with "
                      f"`flask studio plans set {plan.key} --price-id …`.")
    metadata = {"workspace_id": str(workspace.id), "plan": plan.key}
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "client_reference_id": str(workspace.id),
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "success_url": f"{back_url}?checkout=done",
        "cancel_url": f"{back_url}?checkout=cancelled",
    }
    if workspace.stripe_customer_id:
        params["customer"] = workspace.stripe_customer_id
    session = call_stripe(lambda api: api.v1.checkout.sessions.create(params=params))
    return str(session.url)


def portal_url(workspace: "Workspace", back_url: str) -> str:
    """A customer-portal session for the workspace's Stripe customer: invoices, card, cancelling."""
    if not workspace.stripe_customer_id:
        raise Refused("This workspace has no billing account at Stripe yet: choose a plan first.")
    params = {"customer": workspace.stripe_customer_id, "return_url": back_url}
    session = call_stripe(lambda api: api.v1.billing_portal.sessions.create(params=params))
    return str(session.url)


def call_stripe(request: Any) -> Any:
    try:
        return request(client())
    except stripe.StripeError as error:
        current_app.logger.warning("Stripe refused or failed: %s", error)
        message = error.user_message or "Stripe did not answer properly"
        raise Refused(f"{message}. Nothing was changed; try again in a moment.")


def read_event(body: bytes, signature: str | None) -> dict[str, Any]:
    """The event a webhook call carries, once its Stripe-Signature header proves that Stripe sent it
    under this studio's STRIPE_WEBHOOK_SECRET, recently (the library's five-minute tolerance)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise BadEvent("no STRIPE_WEBHOOK_SECRET is set, so no event can be checked")
    try:
        stripe.Webhook.construct_event(body, signature, secret)
    except stripe.SignatureVerificationError as error:
        raise BadEvent(f"the signature does not match ({error.user_message or error})")
    except ValueError:
        raise BadEvent("the body is not JSON")
    event = json.loads(body)
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise BadEvent("the body is not an event")
    return event
