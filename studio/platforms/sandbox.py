"""The built-in sandbox platform, served by this app under /sandbox (see studio/sandbox/). It is a
standard OAuth 2 provider (authorization code + PKCE S256, rotating refresh tokens, revocation),
so the adapter needs nothing beyond the base class."""
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import has_request_context, request

from studio.platforms.base import Account, Platform, Published
from studio.platforms.protocols import Connection, MediaFile, MediaT


def sandbox_client_secret(secret_key: str) -> str:
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
    login_hint_param = "login_hint"  # the consent page starts with the handle being reconnected

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.enabled = bool(config.get("SANDBOX_ENABLED"))
        self.client_id = config.get("SANDBOX_CLIENT_ID") or "studio"
        self.client_secret = config.get("SANDBOX_CLIENT_SECRET") or sandbox_client_secret(config["SECRET_KEY"])
        self.base["base"] = (config.get("SANDBOX_BASE_URL") or config.get("PUBLIC_URL") or self.urls["base"]).rstrip("/")

    @property
    def configured(self) -> bool:
        return self.enabled

    def settings_to_fill(self) -> list[str]:
        return ["SANDBOX_ENABLED=true"]

    @property
    def authorize_url(self) -> str:
        # The browser goes to the sandbox on the address it already uses for the studio, so the
        # consent page and the callback share one origin (127.0.0.1 and localhost are not one).
        if has_request_context():
            return request.host_url.rstrip("/") + "/sandbox/oauth/authorize"
        return self.endpoint_url("authorize")

    def post_url(self, platform_post_id: str | None, stored_url: str) -> str:
        """Worked out when shown, not kept: a sandbox served by this studio has its posts wherever
        the studio is reached now (PUBLIC_URL, else this request's host), which need not be where
        it was when the post was made (the demo is seeded before the server knows its port)."""
        if not platform_post_id:
            return stored_url
        if self.enabled and has_request_context():
            base = self.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
        else:
            base = self.endpoint_url("authorize").removesuffix("/sandbox/oauth/authorize")
        return f"{base}/sandbox/p/{platform_post_id}"

    supports_lookup = True

    def quota(self) -> tuple[int, int, str] | None:
        """Off unless SANDBOX_DAILY_UNITS is set: then each post costs SANDBOX_POST_UNITS, as on YouTube."""
        if not self.config.get("SANDBOX_DAILY_UNITS"):
            return None
        return int(self.config.get("SANDBOX_POST_UNITS") or 1), int(self.config["SANDBOX_DAILY_UNITS"]), "America/Los_Angeles"

    def api(self, path: str) -> str:
        return f"{self.base['base']}/sandbox/api/v1{path}"

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        timeout = self.config.get("PUBLISH_TIMEOUT_SECONDS", 30)
        media_ids = [self.upload(access_token, asset, timeout) for asset in media]
        data = self.post(self.api("/posts"), access_token, timeout=timeout, creates=True,
                         json={"text": text, "media_ids": media_ids, "client_reference": client_reference})
        return Published(str(data["id"]), data.get("url", ""), data)

    def upload(self, access_token: str | None, asset: MediaFile, timeout: float, part_size: int = 4 * 1024 * 1024) -> int:
        """Chunked upload: init, parts in order (a repeated part is harmless), finalize."""
        started = self.post(self.api("/media"), access_token, timeout=timeout,
                            json={"kind": asset.kind, "mime_type": asset.content_type, "total_bytes": asset.size_bytes})
        with asset.open() as stream:
            for number, chunk in enumerate(iter(lambda: stream.read(part_size), b"")):
                self.call("PUT", self.api(f"/media/{started['id']}/parts/{number}"), access_token, data=chunk,
                          timeout=timeout)
        self.post(self.api(f"/media/{started['id']}/finalize"), access_token, timeout=timeout)
        return started["id"]

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        metrics = {}
        for post_id in post_ids:
            data = self.get(self.api(f"/posts/{post_id}/metrics"), access_token)
            metrics[post_id] = {key: data.get(key, 0) for key in ("views", "likes", "comments", "shares", "saves")}
        return metrics

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        data = self.get(self.api("/me/stats"), access_token)
        return {key: data.get(key, 0) for key in ("followers", "following", "posts")}

    def find_published(self, access_token: str | None, client_reference: str, progress: dict[str, Any]) -> Published | None:
        found = self.get(self.api("/posts"), access_token, params={"client_reference": client_reference})["data"]
        return Published(str(found[0]["id"]), found[0].get("url", ""), found[0]) if found else None

    def fetch_account(self, access_token: str) -> Account:
        data = self.get(self.api("/me"), access_token)
        return Account(id=str(data["id"]), username=data["handle"], display_name=data.get("display_name", ""),
                       extra={"followers": data.get("followers", 0)})
