"""X (API v2): OAuth 2.0 with PKCE; a refresh token only with offline.access, and it rotates.
Publishing: chunked media upload (initialize, append segments in order, finalize, poll status),
then POST /2/tweets. X keeps no idempotency key we could ask about, so an uncertain publish stops
at "unconfirmed" rather than risk a second post."""
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from studio.platforms.base import Account, Platform, Published
from studio.platforms.errors import PermanentError, RetryableError
from studio.platforms.protocols import Connection, MediaFile, MediaT

SEGMENT_BYTES = 4 * 1024 * 1024
MEDIA_CATEGORY = {"image": "tweet_image", "video": "tweet_video", "gif": "tweet_gif"}


class X(Platform):
    key = "x"
    name = "X"
    scopes = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
    uses_pkce = True
    token_auth_method = "client_secret_basic"  # confidential clients authenticate with Basic
    urls = {"auth": "https://x.com", "api": "https://api.x.com"}
    endpoints = {"authorize": ("auth", "/i/oauth2/authorize"), "token": ("api", "/2/oauth2/token"),
                 "revoke": ("api", "/2/oauth2/revoke")}
    docs = "https://developer.x.com/en/docs/authentication/oauth-2-0/authorization-code"

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        media_ids = [self.upload(access_token, asset) for asset in media]
        body: dict[str, Any] = {"text": text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        data = self.post(f"{self.base['api']}/2/tweets", access_token, json=body, creates=True)["data"]
        return Published(data["id"], f"https://x.com/i/web/status/{data['id']}", data)

    def upload(self, access_token: str | None, asset: MediaFile) -> str:
        api = f"{self.base['api']}/2/media/upload"
        category = MEDIA_CATEGORY["gif" if asset.content_type == "image/gif" else asset.kind]
        started = self.post(f"{api}/initialize", access_token, json={
            "media_type": asset.content_type, "total_bytes": asset.size_bytes, "media_category": category})["data"]
        media_id = started["id"]
        with asset.open() as stream:
            for index, segment in enumerate(iter(lambda: stream.read(SEGMENT_BYTES), b"")):
                self.post(f"{api}/{media_id}/append", access_token, data={"segment_index": str(index)},
                          files={"media": ("segment", segment, "application/octet-stream")})
        finished = self.post(f"{api}/{media_id}/finalize", access_token)["data"]
        self.wait_until_processed(access_token, media_id, finished.get("processing_info"))
        return media_id

    def wait_until_processed(self, access_token: str | None, media_id: str, info: Mapping[str, Any] | None,
                             deadline_seconds: float = 300) -> None:
        """Videos and GIFs are processed after upload: poll STATUS as X asks (check_after_secs)."""
        deadline = time.monotonic() + deadline_seconds
        while info and info.get("state") in ("pending", "in_progress"):
            if time.monotonic() > deadline:
                raise RetryableError("X is still processing the media; trying again later.")
            time.sleep(min(float(info.get("check_after_secs", 1)), 10))
            info = self.get(f"{self.base['api']}/2/media/upload", access_token,
                            params={"command": "STATUS", "media_id": media_id})["data"].get("processing_info")
        if info and info.get("state") == "failed":
            error = info.get("error", {})
            raise PermanentError(f"X could not process the media: {error.get('message') or error.get('name') or 'failed'}")

    def note_load(self, response: requests.Response) -> None:
        """X counts calls per endpoint and window: at zero left, wait for the window's reset."""
        if response.status_code < 400 and response.headers.get("x-rate-limit-remaining") == "0":
            reset = response.headers.get("x-rate-limit-reset", "")
            seconds = int(reset) - time.time() if reset.isdigit() else 900
            self.pause(seconds, "X's rate limit for this account is used up until its window resets.")

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        data = self.get(f"{self.base['api']}/2/tweets", access_token,
                        params={"ids": ",".join(post_ids), "tweet.fields": "public_metrics"}).get("data", [])
        return {item["id"]: {
            "views": item["public_metrics"].get("impression_count", 0),
            "likes": item["public_metrics"].get("like_count", 0),
            "comments": item["public_metrics"].get("reply_count", 0),
            "shares": item["public_metrics"].get("retweet_count", 0) + item["public_metrics"].get("quote_count", 0),
            "saves": item["public_metrics"].get("bookmark_count", 0),
        } for item in data}

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        numbers = self.get(f"{self.base['api']}/2/users/me", access_token,
                           params={"user.fields": "public_metrics"})["data"].get("public_metrics", {})
        return {"followers": numbers.get("followers_count", 0), "following": numbers.get("following_count", 0),
                "posts": numbers.get("tweet_count", 0)}

    def fetch_account(self, access_token: str) -> Account:
        data = self.get(f"{self.base['api']}/2/users/me", access_token,
                        params={"user.fields": "profile_image_url,public_metrics"})["data"]
        return Account(id=data["id"], username=data["username"], display_name=data.get("name", ""),
                       avatar_url=data.get("profile_image_url", ""),
                       extra={"public_metrics": data.get("public_metrics", {})})
