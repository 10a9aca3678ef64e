"""Meta's webhooks (Instagram and Facebook Pages push changes instead of waiting to be asked).

GET answers Meta's verify handshake: `hub.mode=subscribe` with the verify token set here
(META_WEBHOOK_VERIFY_TOKEN) is answered with `hub.challenge`; anything else is refused. POST carries
`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body under the app secret>`; a call whose
signature does not match the secret of the Instagram or the Facebook app configured here is refused
and logged, as is one about an account no workspace has connected. Each change is recorded as it
came (MetricEvent, source webhook); numbers about a post the studio published also update that
post's totals and aggregates, as a sync would."""
import hashlib
import hmac
import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from studio.analytics import history
from studio.analytics.models import MetricEvent
from studio.connections.models import PlatformConnection
from studio.extensions import csrf, db
from studio.publishing.models import PublishedPost

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
OBJECTS = {"instagram": "instagram", "page": "facebook"}  # Meta's `object` -> our platform


def refuse(status: int, why: str) -> Response:
    current_app.logger.warning("Meta webhook refused (%s): %s from %s", status, why, request.remote_addr)
    return Response(why, status=status, mimetype="text/plain")


@bp.get("/meta")
def verify():
    token = current_app.config.get("META_WEBHOOK_VERIFY_TOKEN", "")
    if request.args.get("hub.mode") == "subscribe" and token and hmac.compare_digest(
            request.args.get("hub.verify_token", ""), token):
        return Response(request.args.get("hub.challenge", ""), mimetype="text/plain")
    return refuse(403, "the verify token does not match")


def signed_by_an_app_secret(body: bytes, header: str) -> bool:
    if not header.startswith("sha256="):
        return False
    given = header.removeprefix("sha256=")
    secrets = [current_app.config.get(f"{name}_CLIENT_SECRET", "") for name in ("INSTAGRAM", "FACEBOOK")]
    return any(secret and hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), given)
               for secret in secrets)


@bp.post("/meta")
@csrf.exempt
def receive():
    body = request.get_data(cache=True)
    if not signed_by_an_app_secret(body, request.headers.get("X-Hub-Signature-256", "")):
        return refuse(403, "the signature does not match")
    try:
        payload = json.loads(body)
    except ValueError:
        return refuse(400, "the body is not JSON")
    platform = OBJECTS.get(payload.get("object", "")) if isinstance(payload, dict) else None
    if platform is None:
        return refuse(404, f"unknown object {payload.get('object') if isinstance(payload, dict) else None!r}")
    recorded = 0
    for entry in payload.get("entry") or []:
        connection = db.session.execute(select(PlatformConnection).where(
            PlatformConnection.platform == platform, PlatformConnection.account_id == str(entry.get("id")))).scalar_one_or_none()
        if connection is None:
            current_app.logger.warning("Meta webhook about an account no workspace connected: %s %s", platform, entry.get("id"))
            continue
        for change in entry.get("changes") or []:
            record_change(connection, change)
            recorded += 1
    db.session.commit()
    if not recorded:
        return refuse(404, "no connected account in this call")
    return Response("ok", mimetype="text/plain")


def record_change(connection: PlatformConnection, change: dict[str, Any]) -> None:
    raw = change.get("value")
    value: dict[str, Any] = raw if isinstance(raw, dict) else {}
    post_id = str(value.get("media_id") or value.get("post_id") or "")
    post = db.session.execute(select(PublishedPost).where(
        PublishedPost.connection_id == connection.id, PublishedPost.platform_post_id == post_id)).scalar_one_or_none() \
        if post_id else None
    numbers = {name: number for name, number in value.items()
               if isinstance(number, int | float) and not isinstance(number, bool) and name != "media_id"}
    if post is not None and numbers:
        history.record_post_numbers(post, {**(post.metrics or {}), **numbers})  # records the event too
        return
    db.session.add(MetricEvent(workspace_id=connection.workspace_id, connection_id=connection.id,
                               published_post_id=post.id if post else None, platform=connection.platform, source="webhook",
                               metrics={"field": change.get("field"), **value}))
