"""TikTok (Login Kit v2 + Content Posting API). TikTok names the client id `client_key`, in the
authorize URL and in every token call; refresh tokens rotate and carry their own expiry.

Publishing: ask creator info (which privacy levels this creator may use, the longest video), init
a direct post or a draft to the creator's inbox with FILE_UPLOAD, PUT the chunks in order with
Content-Range, then poll the publish status until TikTok says it is done. Photos go by URL
(PULL_FROM_URL), which TikTok fetches from our signed link. The publish id is kept in the
delivery's progress, so after a timeout the engine asks TikTok about that publish instead of
posting twice."""
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from studio.platforms.base import Account, Platform, Published, Tokens, check, oauth_errors
from studio.platforms.errors import (
    AuthError,
    PermanentError,
    RetryableError,
    UncertainError,
)
from studio.platforms.options import Option
from studio.platforms.protocols import Connection, MediaFile, MediaT
from studio.platforms.rules import Problem

MB = 1024 * 1024
PRIVACY_LEVELS = {"PUBLIC_TO_EVERYONE": "Everyone", "MUTUAL_FOLLOW_FRIENDS": "Friends",
                  "FOLLOWER_OF_CREATOR": "Followers", "SELF_ONLY": "Only me"}
# TikTok's error codes that mean "later", not "never" (they may come with HTTP 4xx).
WAIT_CODES = {"rate_limit_exceeded": 60, "spam_risk_too_many_pending_share": 3600, "spam_risk_too_many_posts": 3600,
              "reached_active_user_cap": 3600}
AUTH_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}
FINISHED = {"PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"}


def chunk_plan(size: int, chunk_size: int) -> tuple[int, int]:
    """(chunk size, chunk count) as TikTok counts them: a file up to one chunk goes whole; else
    every chunk is `chunk_size` and the last one also takes the remainder."""
    if size <= chunk_size:
        return size, 1
    return chunk_size, size // chunk_size


class TikTok(Platform):
    key = "tiktok"
    name = "TikTok"
    scopes = ("user.info.basic", "user.info.stats", "video.list", "video.upload", "video.publish")
    scope_separator = ","
    uses_pkce = True
    urls = {"auth": "https://www.tiktok.com", "api": "https://open.tiktokapis.com"}
    endpoints = {"authorize": ("auth", "/v2/auth/authorize/"), "token": ("api", "/v2/oauth/token/"),
                 "revoke": ("api", "/v2/oauth/revoke/")}
    docs = "https://developers.tiktok.com/doc/oauth-user-access-token-management"

    def authorization_url(self, redirect_uri: str, state: str, code_verifier: str | None = None) -> str:
        session = self.oauth_session(redirect_uri)
        url, _ = session.create_authorization_url(
            self.authorize_url, state=state, code_verifier=code_verifier, client_key=self.client_id
        )
        return url

    def _token_call(self, **fields: str) -> Tokens:
        # Token answers are plain OAuth JSON (no data/error envelope), so they skip `classify`.
        data = check(self.send("POST", self.token_url, headers={"Content-Type": "application/x-www-form-urlencoded"},
                               data={"client_key": self.client_id, "client_secret": self.client_secret, **fields}), self.name)
        if data.get("error") and data["error"] != "ok":
            raise AuthError(data.get("error_description") or data["error"], payload=data)
        return Tokens.from_response(data)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> Tokens:
        with oauth_errors():
            return self._token_call(code=code, grant_type="authorization_code", redirect_uri=redirect_uri,
                                    code_verifier=code_verifier or "")

    def refresh(self, access_token: str | None, refresh_token: str | None) -> Tokens:
        with oauth_errors():
            return self._token_call(grant_type="refresh_token", refresh_token=refresh_token or "")

    def revoke(self, access_token: str | None, refresh_token: str | None) -> bool:
        self.post(self.endpoint_url("revoke"), data={"client_key": self.client_id, "client_secret": self.client_secret,
                                                     "token": access_token})
        return True

    # ---- publishing ---------------------------------------------------------------------------

    def api(self, path: str) -> str:
        return f"{self.base['api']}/v2{path}"

    def classify(self, response: requests.Response) -> Any:
        """TikTok answers every call with {"data": ..., "error": {"code", "message", "log_id"}};
        any code but "ok" is an error, whatever the HTTP status."""
        try:
            error = (response.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        code = error.get("code", "ok") if isinstance(error, dict) else "ok"
        if code != "ok":
            message = f"TikTok answered {response.status_code}: {error.get('message') or code} ({code})"
            if code in WAIT_CODES:
                raise RetryableError(message, response.status_code, error, retry_after=WAIT_CODES[code])
            if code in AUTH_CODES:
                raise AuthError(message, response.status_code, error)
            if response.status_code < 500:
                raise PermanentError(message, response.status_code, error)
        return check(response, self.name).get("data", {})

    creator_info_seconds = 600  # TikTok asks apps to ask before every post; the composer may go by a recent answer

    def creator_info(self, access_token: str | None) -> dict[str, Any]:
        """What this creator may post now: privacy levels, interaction settings, longest video."""
        return self.post(self.api("/post/publish/creator_info/query/"), access_token,
                         headers={"Content-Type": "application/json; charset=UTF-8"})

    def composer_options(self, connection: Connection, creator_info: Mapping[str, Any] | None = None) -> list[Option]:
        # With nothing known about the creator (TikTok not asked yet, or not answering) every level
        # is offered, and the publish checks again.
        info = creator_info or {}
        levels = info.get("privacy_level_options") or list(PRIVACY_LEVELS)
        return [
            Option("privacy_level", "Who can watch", "select", tuple((level, PRIVACY_LEVELS.get(level, level)) for level in levels),
                   hint="TikTok asks creators to choose this themselves each time."),
            Option("mode", "Post", "select", (("direct", "Straight to the profile"), ("draft", "As a draft in the TikTok app")),
                   default="direct"),
            Option("allow_comments", "Allow comments", "checkbox", default=not info.get("comment_disabled", False)),
        ]

    def option_problems(self, connection: Connection, values: Mapping[str, Any], assets: Sequence[MediaFile],
                        field_for: Callable[[str], str], creator_info: Mapping[str, Any] | None = None) -> list[Problem]:
        found = []
        if values.get("mode") != "draft" and not values.get("privacy_level"):
            found.append(Problem("TikTok: choose who can watch", field_for("privacy_level")))
        longest = (creator_info or {}).get("max_video_post_duration_sec")
        for asset in assets:
            if asset.kind == "video" and longest and (asset.duration_seconds or 0) > longest:
                found.append(Problem(f"“{asset.title}”: @{connection.username} can post videos up to {longest} s", "media"))
        if len({asset.kind for asset in assets}) > 1:
            found.append(Problem("TikTok takes one video or photos, not both", "media"))
        return found

    def can_look_up(self, progress: Mapping[str, Any] | None) -> bool:
        return bool(progress and progress.get("publish_id"))

    def find_published(self, access_token: str | None, client_reference: str, progress: dict[str, Any]) -> Published | None:
        """The publish we started before a break: live (or in the inbox), still processing (then
        waited on), or never complete (None: the upload stopped short or TikTok failed it)."""
        data = self.publish_status(access_token, progress["publish_id"])
        if data.get("status") in ("FAILED", "PROCESSING_UPLOAD"):
            progress.pop("publish_id", None)
            return None
        return self.wait_for_publish(access_token, progress["publish_id"], progress)

    def publish_status(self, access_token: str | None, publish_id: str) -> dict[str, Any]:
        return self.post(self.api("/post/publish/status/fetch/"), access_token, json={"publish_id": publish_id})

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        options, progress = options or {}, progress if progress is not None else {}
        if not media:
            raise PermanentError("TikTok needs a video or photos to post.")
        info = self.creator_info(access_token)
        draft = options.get("mode") == "draft"
        privacy = options.get("privacy_level") or ("SELF_ONLY" if "SELF_ONLY" in info.get("privacy_level_options", [])
                                                   else (info.get("privacy_level_options") or ["SELF_ONLY"])[0])
        if not draft and privacy not in info.get("privacy_level_options", []):
            raise PermanentError(f"@{info.get('creator_username', '')} cannot post to “{PRIVACY_LEVELS.get(privacy, privacy)}” "
                                 "now; choose another privacy level.")
        post_info = {"title": text, "privacy_level": privacy,
                     "disable_comment": not options.get("allow_comments", True) or info.get("comment_disabled", False),
                     "disable_duet": info.get("duet_disabled", False), "disable_stitch": info.get("stitch_disabled", False)}
        if media[0].kind == "video":
            started = self.start_video(access_token, media[0], post_info, draft, info)
        else:
            assert media_url is not None, "the engine gives every publish its media links"
            started = self.start_photos(access_token, text, [media_url(asset) for asset in media], post_info, draft)
        progress["publish_id"], progress["username"] = started["publish_id"], getattr(connection, "username", "")
        try:
            if started.get("upload_url"):
                self.upload_chunks(started["upload_url"], media[0])
            return self.wait_for_publish(access_token, started["publish_id"], progress)
        except UncertainError:
            raise
        except RetryableError as error:
            # TikTok holds a publish for us now: the next attempt asks about it before starting another.
            raise UncertainError(str(error), error.status, error.payload) from error

    def start_video(self, access_token: str | None, asset: MediaFile, post_info: Mapping[str, Any], draft: bool,
                    info: Mapping[str, Any]) -> dict[str, Any]:
        longest = info.get("max_video_post_duration_sec")
        if longest and (asset.duration_seconds or 0) > longest:
            raise PermanentError(f"This creator can post videos up to {longest} s; this one is "
                                 f"{asset.duration_seconds:.0f} s.")
        chunk_size, count = chunk_plan(asset.size_bytes, int(self.setting("CHUNK_BYTES", 10 * MB)))
        source = {"source": "FILE_UPLOAD", "video_size": asset.size_bytes, "chunk_size": chunk_size,
                  "total_chunk_count": count}
        if draft:
            return self.post(self.api("/post/publish/inbox/video/init/"), access_token, json={"source_info": source},
                             creates=True)
        return self.post(self.api("/post/publish/video/init/"), access_token, creates=True,
                         json={"post_info": post_info, "source_info": source})

    def start_photos(self, access_token: str | None, text: str, photo_urls: list[str], post_info: Mapping[str, Any],
                     draft: bool) -> dict[str, Any]:
        return self.post(self.api("/post/publish/content/init/"), access_token, creates=True, json={
            "media_type": "PHOTO", "post_mode": "MEDIA_UPLOAD" if draft else "DIRECT_POST",
            "post_info": {**post_info, "description": text, "title": text[:90]},
            "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0,
                            "photo_images": photo_urls}})

    def upload_chunks(self, upload_url: str, asset: MediaFile) -> None:
        """PUT the file in the chunks announced at init, in order, each with its Content-Range."""
        size = asset.size_bytes
        chunk_size, count = chunk_plan(size, int(self.setting("CHUNK_BYTES", 10 * MB)))
        with asset.open() as stream:
            for index in range(count):
                first = index * chunk_size
                length = size - first if index == count - 1 else chunk_size
                body = stream.read(length)
                response = self.send("PUT", upload_url, headers={
                    "Content-Type": asset.content_type, "Content-Length": str(len(body)),
                    "Content-Range": f"bytes {first}-{first + len(body) - 1}/{size}"}, data=body, timeout=300)
                check(response, self.name)

    def wait_for_publish(self, access_token: str | None, publish_id: str, progress: dict[str, Any]) -> Published:
        def probe() -> dict[str, Any] | None:
            data = self.publish_status(access_token, publish_id)
            status = data.get("status")
            if status == "FAILED":
                progress.pop("publish_id", None)  # nothing is live; a retry starts afresh
                raise PermanentError(f"TikTok could not publish the video: {data.get('fail_reason') or 'failed'}.")
            if status in FINISHED:
                return data
            return None

        data = self.wait_until(probe, "the video")
        post_ids = data.get("publicaly_available_post_id") or []  # TikTok's own spelling
        if data["status"] == "SEND_TO_USER_INBOX" or not post_ids:
            # A draft waits in the creator's inbox; a private post has no public id yet.
            return Published(publish_id, "", data)
        return Published(str(post_ids[0]), f"https://www.tiktok.com/@{progress.get('username', '_')}/video/{post_ids[0]}", data)

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        data = self.post(self.api("/video/query/"), access_token,
                         params={"fields": "id,view_count,like_count,comment_count,share_count"},
                         json={"filters": {"video_ids": list(post_ids)[:20]}})
        return {str(video["id"]): {"views": video.get("view_count", 0), "likes": video.get("like_count", 0),
                                   "comments": video.get("comment_count", 0), "shares": video.get("share_count", 0)}
                for video in data.get("videos", [])}

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        user = self.get(self.api("/user/info/"), access_token,
                        params={"fields": "open_id,follower_count,following_count,likes_count,video_count"})["user"]
        return {"followers": user.get("follower_count", 0), "following": user.get("following_count", 0),
                "posts": user.get("video_count", 0)}

    def fetch_account(self, access_token: str) -> Account:
        user = self.get(self.api("/user/info/"), access_token, params={
            "fields": "open_id,union_id,avatar_url,display_name,username,follower_count,following_count,video_count"})["user"]
        return Account(id=user["open_id"], username=user.get("username") or user.get("display_name", ""),
                       display_name=user.get("display_name", ""), avatar_url=user.get("avatar_url", ""),
                       extra={"followers": user.get("follower_count"), "following": user.get("following_count"),
                              "posts": user.get("video_count")})
