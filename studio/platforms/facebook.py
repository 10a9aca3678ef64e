"""Facebook Pages (Graph API). The code buys a user token, traded for a 60-day one; the Pages the
user manages come with Page tokens of their own, and the user picks which Pages to connect."""
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from studio.platforms.base import Account, Connectable, Platform, Published, Tokens, check
from studio.platforms.errors import AuthError, PermanentError, RetryableError
from studio.platforms.options import Option
from studio.platforms.protocols import Connection, MediaFile, MediaT

# Meta's error codes: these mean "slow down" even though they come with HTTP 400 or 403.
RATE_LIMIT_CODES = {4, 17, 32, 613}
INVALID_TOKEN_CODES = {190, 102}


USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage")


def meta_usage(response: requests.Response) -> tuple[float, float]:
    """(highest usage percentage, minutes until access is regained) from Meta's usage headers."""
    highest: float = 0  # a percentage; Meta may send fractions
    wait: float = 0
    for header in USAGE_HEADERS:
        try:
            value = json.loads(response.headers.get(header) or "{}")
        except ValueError:
            continue
        entries = [entry for group in value.values() for entry in group] if header.endswith("Case-Usage") else [value]
        for entry in entries:
            if isinstance(entry, dict):
                highest = max([highest] + [v for k, v in entry.items() if k in ("call_count", "total_time", "total_cputime")
                                           and isinstance(v, (int, float))])
                wait = max(wait, entry.get("estimated_time_to_regain_access") or 0)
    return highest, wait


def note_meta_load(platform: Platform, response: requests.Response) -> None:
    """Meta asks apps to slow down once a usage header passes 90 %."""
    highest, wait_minutes = meta_usage(response)
    if highest >= 90:
        platform.pause(60 * (wait_minutes or 10), f"{platform.name} reports {highest}% of its rate limit used; "
                                                  "holding further posts to this account for a while.")


def classify_meta(response: requests.Response, name: str) -> Any:
    """Meta's Graph errors ({"error": {"code", "message", "is_transient"}}) read by their code,
    since a rate limit may come as 400 or 403 and an expired token as 400."""
    try:
        error = (response.json() or {}).get("error") if response.status_code >= 400 else None
    except ValueError:
        error = None
    if isinstance(error, dict):
        message = f"{name} answered {response.status_code}: {error.get('message', 'error')} (code {error.get('code')})"
        if error.get("code") in RATE_LIMIT_CODES or error.get("is_transient"):
            raise RetryableError(message, response.status_code, error, retry_after=60)
        if error.get("code") in INVALID_TOKEN_CODES:
            raise AuthError(message, response.status_code, error)
    return check(response, name)


class Facebook(Platform):
    key = "facebook"
    name = "Facebook Pages"
    scopes = ("pages_show_list", "pages_manage_posts", "pages_read_engagement", "read_insights")
    scope_separator = ","
    uses_pkce = False
    can_refresh = False  # Page tokens from a long-lived user token do not expire
    picks_accounts = True
    urls = {"auth": "https://www.facebook.com", "graph": "https://graph.facebook.com",
            "video": "https://graph-video.facebook.com"}
    endpoints = {"authorize": ("auth", "/{version}/dialog/oauth"), "token": ("graph", "/{version}/oauth/access_token")}
    docs = "https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow"

    @property
    def version(self) -> str:
        return self.config.get("FACEBOOK_GRAPH_VERSION") or "v21.0"

    def path_values(self) -> dict[str, str]:
        return {"version": self.version}

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> Tokens:
        """GET /oauth/access_token with the app's id and secret, as the manual flow documents."""
        data = self.get(self.token_url, params={"client_id": self.client_id, "client_secret": self.client_secret,
                                                "redirect_uri": redirect_uri, "code": code})
        return self.finish_tokens(Tokens.from_response(data))

    def finish_tokens(self, short_lived: Tokens) -> Tokens:
        data = self.get(self.token_url, params={
            "grant_type": "fb_exchange_token", "client_id": self.client_id,
            "client_secret": self.client_secret, "fb_exchange_token": short_lived.access_token,
        })
        return Tokens.from_response(data)

    def refresh(self, access_token: str | None, refresh_token: str | None) -> Tokens:
        raise AuthError("Facebook Page tokens are renewed by reconnecting.")

    def revoke(self, access_token: str | None, refresh_token: str | None) -> bool:
        self.call("DELETE", f"{self.base['graph']}/{self.version}/me/permissions", access_token)
        return True

    def classify(self, response: requests.Response) -> Any:
        return classify_meta(response, self.name)

    def note_load(self, response: requests.Response) -> None:
        note_meta_load(self, response)

    def composer_options(self, connection: Connection, creator_info: Mapping[str, Any] | None = None) -> list[Option]:
        return [Option("format", "Format", "select", (("post", "Page post"), ("reel", "Reel (vertical video, 3–90 s)")),
                       default="post")]

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        """A Page post: text (with a link) to the feed, a photo with its caption, a video, or a reel."""
        assert connection is not None, "a Page post goes to the connected Page"
        page = f"{self.base['graph']}/{self.version}/{connection.account_id}"
        if (options or {}).get("format") == "reel":
            return self.publish_reel(access_token, page, text, media)
        if not media:
            data = self.post(f"{page}/feed", access_token, data={"message": text}, creates=True)
            return Published(data["id"], f"https://www.facebook.com/{data['id']}", data)
        asset = media[0]
        with asset.open() as stream:
            if asset.kind == "image":
                data = self.post(f"{page}/photos", access_token, data={"caption": text, "published": "true"}, creates=True,
                                 files={"source": ("photo", stream, asset.content_type)})
                post_id = data.get("post_id") or data["id"]
                return Published(post_id, f"https://www.facebook.com/{post_id}", data)
            video_host = f"{self.base['video']}/{self.version}/{connection.account_id}"
            data = self.post(f"{video_host}/videos", access_token, data={"description": text}, creates=True,
                             files={"source": ("video", stream, asset.content_type)}, timeout=600)
        return Published(data["id"], f"https://www.facebook.com/{connection.account_id}/videos/{data['id']}", data)

    def publish_reel(self, access_token: str | None, page: str, text: str, media: Sequence[MediaFile]) -> Published:
        """Reels: start an upload session, send the bytes to the upload host, finish with
        video_state=PUBLISHED, then wait until Facebook has processed and published it."""
        if len(media) != 1 or media[0].kind != "video":
            raise PermanentError("A Facebook reel is one video.")
        asset = media[0]
        started = self.post(f"{page}/video_reels", access_token, data={"upload_phase": "start"})
        with asset.open() as stream:
            self.call("POST", started["upload_url"], data=stream, timeout=600, headers={
                "Authorization": f"OAuth {access_token}", "offset": "0", "file_size": str(asset.size_bytes),
                "Content-Length": str(asset.size_bytes)})
        self.post(f"{page}/video_reels", access_token, creates=True, data={
            "upload_phase": "finish", "video_id": started["video_id"], "video_state": "PUBLISHED", "description": text})

        def probe() -> dict[str, Any] | None:
            status = self.get(f"{self.base['graph']}/{self.version}/{started['video_id']}", access_token,
                              params={"fields": "status"}).get("status", {})
            if status.get("video_status") == "error":
                raise PermanentError(f"Facebook could not process the reel: {status.get('error', 'error')}.")
            done = status.get("publishing_phase", {}).get("status") == "complete"
            return status if done else None

        self.wait_until(probe, "the reel")
        video_id = started["video_id"]
        return Published(video_id, f"https://www.facebook.com/reel/{video_id}", {"id": video_id})

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        numbers = {}
        for post_id in post_ids:
            data = self.get(f"{self.base['graph']}/{self.version}/{post_id}", access_token, params={
                "fields": "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"})
            numbers[post_id] = {"likes": data.get("reactions", {}).get("summary", {}).get("total_count", 0),
                                "comments": data.get("comments", {}).get("summary", {}).get("total_count", 0),
                                "shares": data.get("shares", {}).get("count", 0)}
        return numbers

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        data = self.get(f"{self.base['graph']}/{self.version}/{connection.account_id}", access_token,
                        params={"fields": "followers_count,fan_count"})
        return {"followers": data.get("followers_count", data.get("fan_count", 0))}

    def fetch_account(self, access_token: str) -> Account:
        data = self.get(f"{self.base['graph']}/{self.version}/me", access_token, params={"fields": "id,name"})
        return Account(id=data["id"], username=data.get("name", data["id"]), display_name=data.get("name", ""))

    def connectables(self, tokens: Tokens) -> list[Connectable]:
        """Every Page the user manages, each with its own Page token."""
        data = self.get(f"{self.base['graph']}/{self.version}/me/accounts", tokens.access_token,
                        params={"fields": "id,name,access_token,category,picture{url}", "limit": 100})
        pages = data.get("data") or []
        if not pages:
            raise PermanentError("This Facebook account manages no Pages. Create a Page or ask for a Page role first.")
        return [
            Connectable(
                Account(id=page["id"], username=page["name"], display_name=page["name"],
                        avatar_url=page.get("picture", {}).get("data", {}).get("url", ""),
                        extra={"category": page.get("category", "")}),
                Tokens(access_token=page["access_token"], scope=tokens.scope),
            )
            for page in pages
        ]
