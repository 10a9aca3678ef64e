"""The sandbox platform's pages and API, served under /sandbox when SANDBOX_ENABLED is on.

The OAuth endpoints and API are called server to server, so they carry no CSRF token: they are
authenticated by client credentials or bearer tokens instead. The consent page and the control
panel are ordinary forms with CSRF."""
import errno
import socket

from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, abort, current_app, flash, g, jsonify, request, url_for
from flask_login import current_user, login_required

from studio.extensions import csrf, db
from studio.sandbox import service
from studio.sandbox.forms import ConsentForm, FaultsForm
from studio.sandbox.models import SandboxPost
from studio.sandbox.server import authorization_server, require_token
from studio.web import go_to, page, show_form

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
API_ENDPOINTS = {"sandbox.token", "sandbox.revoke"}


@bp.before_request
def only_when_enabled():
    if not current_app.config["SANDBOX_ENABLED"]:
        abort(404)


def api_error(message, status, headers=None):
    response = jsonify({"error": {"message": message, "status": status}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


CALL_KINDS = {"sandbox.token": "token", "sandbox.revoke": "revoke", "sandbox.api_create_post": "create",
              "sandbox.api_media_init": "media", "sandbox.api_media_part": "media", "sandbox.api_media_finalize": "media",
              "sandbox.api_find_posts": "lookup"}


def call_kind(endpoint):
    """token, revoke, create, media, lookup or api; None for pages that are not the API."""
    if endpoint in CALL_KINDS:
        return CALL_KINDS[endpoint]
    return "api" if (endpoint or "").startswith("sandbox.api_") else None


def reference_of_request(kind):
    if kind == "create":
        reference = (request.get_json(silent=True) or {}).get("client_reference") if request.is_json else None
        return reference if isinstance(reference, str) else None
    if kind == "lookup":
        return request.args.get("client_reference")
    return None


@bp.before_request
def inject_faults():
    """The switchable faults hit the token endpoint and the API, as a real platform's outages would.
    Each such call is noted (service.calls) so tests can count what reached the sandbox."""
    kind = call_kind(request.endpoint)
    if kind is not None:
        g.sandbox_call = service.record_call(kind, reference_of_request(kind))
        fault = service.fault_to_inject(kind, g.sandbox_call)
        if fault:
            status, headers, message = fault
            if request.endpoint in API_ENDPOINTS:  # OAuth endpoints answer in OAuth's error shape
                response = jsonify({"error": "temporarily_unavailable", "error_description": message})
                response.status_code = status
                response.headers.update(headers)
                return response
            return api_error(message, status, headers)


@bp.errorhandler(service.SandboxError)
def sandbox_error(error):
    return api_error(str(error), error.status)


# ---- OAuth 2 -----------------------------------------------------------------------------------


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required  # the sandbox shares Studio's log-in, as a platform has its own
def authorize():
    server = authorization_server()
    try:
        grant = server.get_consent_grant(end_user=current_user)
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None):
            # The client is known and its redirect URI checked: the error goes back to it (RFC 6749 4.1.2.1).
            return server.handle_error_response(request, error)
        return page("sandbox/oauth_error.html", error=error, status=400)
    # Reconnect names the account (login_hint), so the consent page starts with its handle.
    form = ConsentForm(handle=request.args.get("login_hint", "")[:40] or None)
    scopes = (grant.request.payload.scope or "").split()
    if request.method == "POST" and form.deny.data:
        return server.create_authorization_response(grant_user=None, grant=grant)
    if form.validate_on_submit():
        try:
            account = service.account_for_handle(form.handle.data, form.display_name.data, current_user)
        except service.SandboxError as error:
            form.handle.errors = [str(error)]
        else:
            return server.create_authorization_response(grant_user=account, grant=grant)
    return show_form("sandbox/consent.html", form, grant=grant, scopes=scopes)



@bp.post("/oauth/token")
@csrf.exempt
def token():
    return authorization_server().create_token_response()


@bp.post("/oauth/revoke")
@csrf.exempt
def revoke():
    return authorization_server().create_endpoint_response("revocation")


# ---- the API -----------------------------------------------------------------------------------


def account():
    return current_token.account


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise service.SandboxError("Send a JSON object.")
    return data


def whole_number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise service.SandboxError(f"{name} must be a whole number.")
    return int(value)


@bp.get("/api/v1/me")
@require_token("profile")
def api_me():
    me = account()
    return jsonify({"id": me.id, "handle": me.handle, "display_name": me.display_name,
                    "followers": service.account_stats(me)["followers"]})


@bp.get("/api/v1/me/stats")
@require_token("metrics")
def api_stats():
    return jsonify(service.account_stats(account()))


@bp.post("/api/v1/media")
@csrf.exempt
@require_token("publish")
def api_media_init():
    data = json_body()
    media = service.start_upload(account(), str(data.get("kind", "")), str(data.get("mime_type", "")),
                                 whole_number(data.get("total_bytes", ""), "total_bytes"))
    return jsonify({"id": media.id, "part_size": service.MAX_PART_BYTES, "status": media.status}), 201


@bp.put("/api/v1/media/<int:media_id>/parts/<int:part_number>")
@csrf.exempt
@require_token("publish")
def api_media_part(media_id, part_number):
    media = service.append_part(service.own_media(account(), media_id), part_number, request.get_data())
    return jsonify({"id": media.id, "received_bytes": media.received_bytes, "next_part": media.next_part})


@bp.post("/api/v1/media/<int:media_id>/finalize")
@csrf.exempt
@require_token("publish")
def api_media_finalize(media_id):
    media = service.finalize_upload(service.own_media(account(), media_id))
    return jsonify({"id": media.id, "status": media.status, "bytes": media.received_bytes})


def post_json(post):
    return {"id": post.id, "text": post.text, "media_ids": post.media_ids, "client_reference": post.client_reference,
            "created_at": post.created_at.isoformat(), "url": url_for("sandbox.public_post", post_id=post.id, _external=True)}


@bp.post("/api/v1/posts")
@csrf.exempt
@require_token("publish")
def api_create_post():
    data = json_body()
    media_ids = data.get("media_ids") or []
    if not isinstance(media_ids, list):
        raise service.SandboxError("media_ids must be a list.")
    reference = data.get("client_reference")
    if reference is not None and not isinstance(reference, str):
        raise service.SandboxError("client_reference must be a string.")
    post = service.create_post(account(), str(data.get("text", "")), [whole_number(i, "media_ids") for i in media_ids],
                               reference)
    # The post is stored; the answer may still be lost, so the caller cannot know it was made.
    after = service.fault_after_create(g.get("sandbox_call"))
    if after == "error":
        return api_error("The sandbox failed after storing the post (injected error).", 500)
    if after == "drop":
        return dropped_connection()
    return jsonify(post_json(post)), 201


def dropped_connection():
    """A response that never arrives: the connection is shut and the server writes nothing, so
    the caller sees its connection closed without an answer (requests: ConnectionError)."""
    sock = request.environ.get("werkzeug.socket")

    def nothing():
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # Werkzeug's server takes a ConnectionError from the body as a dropped connection and sends nothing.
        raise ConnectionResetError(errno.ECONNRESET, "The sandbox dropped the connection (injected fault).")
        yield b""  # a generator, so this runs only when the server starts sending the body

    return current_app.response_class(nothing(), status=200, mimetype="application/json")


@bp.get("/api/v1/posts")
@require_token("profile")
def api_find_posts():
    """Look a post up by the client's own reference: how a caller checks a post before retrying."""
    posts = service.posts_by_reference(account(), request.args.get("client_reference", ""),
                                       lag_seconds=service.faults().lookup_lag_seconds)
    return jsonify({"data": [post_json(post) for post in posts]})


@bp.get("/api/v1/posts/<int:post_id>/metrics")
@require_token("metrics")
def api_post_metrics(post_id):
    post = db.session.get(SandboxPost, post_id)
    if post is None or post.account_id != account().id:
        return api_error("No such post.", 404)
    return jsonify({"id": post.id, **service.post_metrics(post)})


@bp.get("/p/<int:post_id>")
def public_post(post_id):
    post = db.get_or_404(SandboxPost, post_id)
    return page("sandbox/post.html", post=post, metrics=service.post_metrics(post))


# ---- the control panel -------------------------------------------------------------------------


def operators_only():
    if not service.may_operate(current_user, current_app.config):
        abort(403)


@bp.get("/")
@login_required
def panel():
    operators_only()
    row = service.faults()
    form = FaultsForm(formdata=None, error_rate=round(row.error_rate * 100), rate_limit_rate=round(row.rate_limit_rate * 100),
                      retry_after_seconds=row.retry_after_seconds, latency_ms=row.latency_ms,
                      create_latency_ms=row.create_latency_ms, media_latency_ms=row.media_latency_ms,
                      token_latency_ms=row.token_latency_ms, lookup_latency_ms=row.lookup_latency_ms,
                      error_after_create_rate=round(row.error_after_create_rate * 100),
                      drop_after_create_rate=round(row.drop_after_create_rate * 100),
                      no_idempotency=row.no_idempotency, lookup_lag_seconds=round(row.lookup_lag_seconds))
    return panel_page(form)


def panel_page(form):
    return show_form("sandbox/panel.html", form, accounts=service.accounts(), posts=service.recent_posts())


@bp.post("/faults")
@login_required
def save_faults():
    operators_only()
    form = FaultsForm()
    if not form.validate_on_submit():
        return panel_page(form)
    service.set_faults(form.error_rate.data / 100, form.rate_limit_rate.data / 100,
                       form.retry_after_seconds.data, form.latency_ms.data,
                       create_latency_ms=form.create_latency_ms.data, media_latency_ms=form.media_latency_ms.data,
                       token_latency_ms=form.token_latency_ms.data, lookup_latency_ms=form.lookup_latency_ms.data,
                       error_after_create_rate=form.error_after_create_rate.data / 100,
                       drop_after_create_rate=form.drop_after_create_rate.data / 100,
                       no_idempotency=form.no_idempotency.data, lookup_lag_seconds=form.lookup_lag_seconds.data)
    flash("Sandbox faults saved.", "success")
    return go_to(url_for("sandbox.panel"))


@bp.post("/revoke-all")
@login_required
def revoke_all():
    operators_only()
    count = service.revoke_all_tokens()
    flash(f"The sandbox revoked {count} token{'s' if count != 1 else ''}. Connected accounts must reconnect.", "warning")
    return go_to(url_for("sandbox.panel"))
