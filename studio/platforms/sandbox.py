"""The built-in sandbox platform, served by this app under /sandbox (see studio/sandbox/). It is a
standard OAuth 2 provider (authorization code + PKCE S256, rotating refresh tokens, revocation),
so the adapter needs nothing beyond the base class."""
import hashlib
import hmac

from flask import has_request_context, request

from studio.platforms.base import Account, Platform


def sandbox_client_secret(secret_key):
    return hmac.new(secret_key.encode(), b"studio-sandbox-client", hashlib.sha256).hexdigest()


class Sandbox(Platform):
    key = "sandbox"
    name = "Sandbox"
    scopes = ("profile", "publish", "metrics")
    uses_pkce = True
    urls = {"base": "http://127.0.0.1:5000"}
    endpoints = {"authorize": ("base", "/sandbox/oauth/authorize"), "token": ("base", "/sandbox/oauth/token"),
                 "revoke": ("base", "/sandbox/oauth/revoke")}
    docs = "/sandbox/"

    def __init__(self, config):
        super().__init__(config)
        self.enabled = bool(config.get("SANDBOX_ENABLED"))
        self.client_id = config.get("SANDBOX_CLIENT_ID") or "studio"
        self.client_secret = config.get("SANDBOX_CLIENT_SECRET") or sandbox_client_secret(config["SECRET_KEY"])
        self.base["base"] = (config.get("SANDBOX_BASE_URL") or config.get("PUBLIC_URL") or self.urls["base"]).rstrip("/")

    @property
    def configured(self):
        return self.enabled

    def settings_to_fill(self):
        return ["SANDBOX_ENABLED=true"]

    @property
    def authorize_url(self):
        # The browser goes to the sandbox on the address it already uses for the studio, so the
        # consent page and the callback share one origin (127.0.0.1 and localhost are not one).
        if has_request_context():
            return request.host_url.rstrip("/") + "/sandbox/oauth/authorize"
        return self.endpoint("authorize")

    def fetch_account(self, access_token):
        data = self.get(f"{self.base['base']}/sandbox/api/v1/me", access_token)
        return Account(id=str(data["id"]), username=data["handle"], display_name=data.get("display_name", ""),
                       extra={"followers": data.get("followers", 0)})
