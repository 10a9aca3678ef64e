"""/healthz (the process answers), /readyz (it can do its work: database, migrations, storage, a
living worker) and /metrics (Prometheus). None needs a session; /metrics asks for METRICS_TOKEN
when one is set."""
import hmac
import os

from flask import Blueprint, Response, abort, current_app, jsonify, request

from studio.ops.health import readiness
from studio.ops.metrics import exposition

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.get("/readyz")
def readyz():
    checks = readiness()
    ready = all(check.ok for check in checks)
    body = {"status": "ready" if ready else "not ready",
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks}}
    if not ready:
        body["reasons"] = [f"{check.name}: {check.detail}" for check in checks if not check.ok]
        current_app.logger.warning("not ready: %s", "; ".join(body["reasons"]))
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics():
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    if token and not hmac.compare_digest(sent, f"Bearer {token}".encode()):
        abort(401)
    body = exposition(os.environ.get("PROMETHEUS_MULTIPROC_DIR"), current_app.config["METRICS_CACHE_SECONDS"])
    return Response(body, mimetype="text/plain; version=0.0.4", headers={"Cache-Control": "no-store"})
