"""A fake Stripe API, served on loopback for the tests: `POST /v1/checkout/sessions` and
`POST /v1/billing_portal/sessions`, answered with the shapes Stripe's API uses (the fields the
`stripe` library and the studio read, with Stripe's names), and Stripe's error shape for a request
it would refuse. Every request is recorded with its form fields as Stripe's form encoding spells
them (`line_items[0][price]`, `metadata[workspace_id]`). `fail_status` makes every call fail."""
import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


def error_body(message, kind="invalid_request_error", code=None, param=None):
    return {"error": {"message": message, "type": kind, "code": code, "param": param}}


@dataclass
class FakeStripeServer:
    api_key: str = "sk_test_fake"
    fail_status: int | None = None
    requests: list = field(default_factory=list)
    base_url: str = ""
    _server: object = field(default=None, init=False, repr=False, compare=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False, compare=False)

    def start(self):
        self._server = make_server("127.0.0.1", 0, create_app(self), threaded=True, request_handler=QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-stripe", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def calls_to(self, path):
        """The form fields of each request to `path`, oldest first."""
        return [entry["form"] for entry in self.requests if entry["path"] == path]


def create_app(state):
    app = Flask("fake_stripe")

    @app.before_request
    def record_and_authenticate():
        state.requests.append({"path": request.path, "form": request.form.to_dict(),
                               "authorization": request.headers.get("Authorization")})
        if request.headers.get("Authorization") != f"Bearer {state.api_key}":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return jsonify(error_body(f"Invalid API Key provided: {given[:8]}********")), 401
        if state.fail_status:
            return jsonify(error_body("An error occurred with our connection to Stripe.", "api_error")), state.fail_status
        return None

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unknown(error):
        return jsonify(error_body(f"Unrecognized request URL ({request.method}: {request.path}).")), 404

    @app.post("/v1/checkout/sessions")
    def checkout_session():
        form = request.form
        for required in ("mode", "success_url"):
            if not form.get(required):
                return jsonify(error_body(f"Missing required param: {required}.", code="parameter_missing",
                                          param=required)), 400
        if form["mode"] == "subscription" and not form.get("line_items[0][price]"):
            return jsonify(error_body("You must provide at least one recurring price in `subscription` mode "
                                      "when using prices.", param="line_items")), 400
        session_id = "cs_test_" + secrets.token_hex(20)
        metadata = {key[len("metadata["):-1]: value for key, value in form.items() if key.startswith("metadata[")}
        now = int(time.time())
        return jsonify({
            "id": session_id, "object": "checkout.session", "mode": form["mode"], "status": "open",
            "payment_status": "unpaid", "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpx",
            "client_reference_id": form.get("client_reference_id"), "customer": form.get("customer"),
            "customer_email": None, "metadata": metadata, "subscription": None, "livemode": False,
            "success_url": form["success_url"], "cancel_url": form.get("cancel_url"), "created": now,
            "expires_at": now + 24 * 3600, "currency": None, "amount_total": None,
        })

    @app.post("/v1/billing_portal/sessions")
    def portal_session():
        customer = request.form.get("customer")
        if not customer:
            return jsonify(error_body("Missing required param: customer.", code="parameter_missing",
                                      param="customer")), 400
        session_id = "bps_" + secrets.token_hex(12)
        return jsonify({
            "id": session_id, "object": "billing_portal.session", "customer": customer,
            "return_url": request.form.get("return_url"), "url": f"https://billing.stripe.com/p/session/test_{session_id}",
            "configuration": "bpc_" + secrets.token_hex(12), "created": int(time.time()), "flow": None,
            "livemode": False, "locale": None, "on_behalf_of": None,
        })

    return app
