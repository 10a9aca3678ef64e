"""YouTube (Data API v3) through Google OAuth: offline access and a consent prompt, so a refresh
token comes back; refresh answers carry no new refresh token (the old one is kept).

Publishing is a resumable upload: one POST opens a session with the video's metadata, then the
bytes go in PUTs of whole 256 KiB multiples. When a PUT breaks (a dropped connection, a 5xx), the
session is asked how much it holds (`Content-Range: bytes */size`) and the upload goes on from
there. The session address is kept in the delivery's progress, so even a later attempt resumes
instead of uploading the file a second time."""
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import requests

from studio.platforms.base import Account, Platform, Published, check
from studio.platforms.errors import PermanentError, RetryableError, UncertainError
from studio.platforms.options import Option
from studio.platforms.protocols import Connection, MediaFile, MediaT
from studio.platforms.rules import Problem

KIB = 1024
CHUNK_UNIT = 256 * KIB  # Google requires every chunk but the last to be a multiple of this
RESUME_TRIES = 5
PRIVACY = {"public": "Public", "unlisted": "Unlisted", "private": "Private"}
# Reasons Google gives with 403 that mean "not now" rather than "not allowed".
WAIT_REASONS = {"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded"}
# A file's size as an upload session is asked about it: bytes, or "*" where an older attempt did not note it.
SizeT = TypeVar("SizeT", bound=int | str)


def title_from(text: str, options: Mapping[str, Any]) -> str:
    """The title chosen in the composer, else the message's first line (YouTube allows 100 characters)."""
    title = (options.get("title") or "").strip() or (text.strip().splitlines() or ["Untitled"])[0]
    return title[:100]


def tags_from(options: Mapping[str, Any]) -> list[str]:
    tags = [tag.strip().lstrip("#") for tag in (options.get("tags") or "").split(",") if tag.strip()]
    kept: list[str] = []
    total = 0
    for tag in tags:  # YouTube allows 500 characters of tags in all
        if total + len(tag) > 500:
            break
        kept.append(tag)
        total += len(tag)
    return kept


class YouTube(Platform):
    key = "youtube"
    name = "YouTube"
    scopes = ("https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.readonly")
    uses_pkce = True
    authorize_params = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    urls = {"auth": "https://accounts.google.com", "token": "https://oauth2.googleapis.com",
            "api": "https://www.googleapis.com"}
    endpoints = {"authorize": ("auth", "/o/oauth2/v2/auth"), "token": ("token", "/token"), "revoke": ("token", "/revoke")}
    docs = "https://developers.google.com/youtube/v3/guides/auth/server-side-web-apps"

    def quota(self) -> tuple[int, int, str] | None:
        # The project's daily units reset at midnight Pacific; sources disagree on an upload's cost.
        return (int(self.config.get("YOUTUBE_UPLOAD_UNITS") or 1600), int(self.config.get("YOUTUBE_DAILY_UNITS") or 10000),
                "America/Los_Angeles")

    def classify(self, response: requests.Response) -> Any:
        """Google's errors: {"error": {"code", "message", "errors": [{"reason"}]}}. A 403 is only
        about permission when its reason says so; quota and rate reasons mean wait."""
        if response.status_code in (400, 403):
            try:
                error = response.json().get("error") or {}
            except (ValueError, AttributeError):
                error = {}
            reasons = {item.get("reason") for item in error.get("errors", []) if isinstance(item, dict)}
            message = f"YouTube answered {response.status_code}: {error.get('message') or 'error'}"
            if reasons & WAIT_REASONS:
                raise RetryableError(message, response.status_code, error, retry_after=3600)
            if "uploadLimitExceeded" in reasons:
                raise PermanentError(message + " (the channel's daily upload limit; try tomorrow)", response.status_code, error)
            if response.status_code == 403 and not reasons & {"forbidden", "insufficientPermissions", "authError"}:
                raise PermanentError(message, response.status_code, error)
        return check(response, self.name)

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        options, progress = options or {}, progress if progress is not None else {}
        videos = [asset for asset in media if asset.kind == "video"]
        if len(videos) != 1 or len(media) != 1:
            raise PermanentError("YouTube takes exactly one video per post.")
        asset = videos[0]
        session = progress.get("upload_url")
        if session:
            offset, video = self.ask_session(access_token, session, asset.size_bytes)
        else:
            session, offset, video = self.open_session(access_token, text, asset, options), 0, None
            progress.update(upload_url=session, upload_size=asset.size_bytes)
        if video is None:
            video = self.upload_from(access_token, session, asset, offset)
        progress.pop("upload_url", None)
        return Published(video["id"], f"https://www.youtube.com/watch?v={video['id']}", video)

    def composer_options(self, connection: Connection, creator_info: Mapping[str, Any] | None = None) -> list[Option]:
        return [
            Option("format", "Format", "select", (("video", "Video"), ("short", "Short (vertical, up to 3 min)")),
                   default="video"),
            Option("title", "Title", "text", max_length=100, hint="Empty: the message's first line."),
            Option("privacy", "Visibility", "select", tuple(PRIVACY.items()), default="public"),
            Option("made_for_kids", "Made for kids", "checkbox", default=False,
                   hint="YouTube requires this answer for every video (COPPA)."),
            Option("tags", "Tags", "text", max_length=500, hint="Separated by commas."),
        ]

    def option_problems(self, connection: Connection, values: Mapping[str, Any], assets: Sequence[MediaFile],
                        field_for: Callable[[str], str], creator_info: Mapping[str, Any] | None = None) -> list[Problem]:
        if len(assets) != 1 or assets[0].kind != "video":
            return [Problem("YouTube takes exactly one video per post", "media")]
        return []

    def can_look_up(self, progress: Mapping[str, Any] | None) -> bool:
        return bool(progress and progress.get("upload_url"))

    def find_published(self, access_token: str | None, client_reference: str, progress: dict[str, Any]) -> Published | None:
        """Whether the session we were uploading to already holds the whole video; if not, the
        next publish goes on from where it stopped."""
        _, video = self.ask_session(access_token, progress["upload_url"], self.pending_size(progress))
        if video is None:
            return None
        progress.pop("upload_url", None)
        return Published(video["id"], f"https://www.youtube.com/watch?v={video['id']}", video)

    @staticmethod
    def pending_size(progress: Mapping[str, Any]) -> int | str:
        return progress.get("upload_size", "*")

    def open_session(self, access_token: str | None, text: str, asset: MediaFile, options: Mapping[str, Any]) -> str:
        privacy = options.get("privacy") if options.get("privacy") in PRIVACY else "public"
        status = {"privacyStatus": privacy, "selfDeclaredMadeForKids": bool(options.get("made_for_kids")),
                  "embeddable": True}
        if options.get("publish_at"):  # YouTube makes it public itself at that time
            status.update(privacyStatus="private", publishAt=options["publish_at"])
        body = {"snippet": {"title": title_from(text, options), "description": text[:5000], "tags": tags_from(options),
                            "categoryId": options.get("category_id") or "22"},
                "status": status}
        response = self.send("POST", f"{self.base['api']}/upload/youtube/v3/videos", access_token,
                             params={"uploadType": "resumable", "part": "snippet,status"}, json=body,
                             headers={"X-Upload-Content-Length": str(asset.size_bytes),
                                      "X-Upload-Content-Type": asset.content_type})
        self.classify(response)
        if not response.headers.get("Location"):
            raise RetryableError("YouTube opened no upload session; trying again later.")
        return response.headers["Location"]

    def chunk_bytes(self) -> int:
        configured = int(self.setting("CHUNK_BYTES", 8 * 1024 * KIB))
        return max(CHUNK_UNIT, configured - configured % CHUNK_UNIT)

    def upload_from(self, access_token: str | None, session: str, asset: MediaFile, offset: int) -> dict[str, Any]:
        """PUT the bytes from `offset` on; after a break, ask the session where to go on from."""
        size, chunk, breaks = asset.size_bytes, self.chunk_bytes(), 0
        with asset.open() as stream:
            while True:
                stream.seek(offset)
                body = stream.read(chunk)
                try:
                    response = self.send("PUT", session, access_token, data=body, timeout=300, creates=True, headers={
                        "Content-Length": str(len(body)), "Content-Type": asset.content_type,
                        "Content-Range": f"bytes {offset}-{offset + len(body) - 1}/{size}"})
                    if response.status_code >= 500:
                        raise UncertainError(f"YouTube answered {response.status_code} during the upload.")
                except UncertainError:
                    breaks += 1
                    if breaks > RESUME_TRIES:
                        raise
                    offset, video = self.ask_session(access_token, session, size)
                    if video is not None:
                        return video
                    continue
                if response.status_code == 308:
                    offset = received_through(response)
                    continue
                return self.finished_video(response)

    def ask_session(self, access_token: str | None, session: str, size: SizeT) -> tuple[int | SizeT, dict[str, Any] | None]:
        """(the next byte the session wants, None), or (size, video) when it already has it all."""
        response = self.send("PUT", session, access_token,
                             headers={"Content-Length": "0", "Content-Range": f"bytes */{size}"})
        if response.status_code == 308:
            return received_through(response), None
        if response.status_code in (404, 410):
            raise RetryableError("YouTube's upload session expired; the next try starts a new one.")
        return size, self.finished_video(response)

    def finished_video(self, response: requests.Response) -> dict[str, Any]:
        video = self.classify(response)
        if video.get("status", {}).get("uploadStatus") == "rejected":
            raise PermanentError(f"YouTube rejected the video: {video['status'].get('rejectionReason', 'rejected')}.")
        return video

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        data = self.get(f"{self.base['api']}/youtube/v3/videos", access_token,
                        params={"part": "statistics", "id": ",".join(list(post_ids)[:50])})
        return {item["id"]: {"views": int(item["statistics"].get("viewCount", 0)),
                             "likes": int(item["statistics"].get("likeCount", 0)),
                             "comments": int(item["statistics"].get("commentCount", 0)),
                             "saves": int(item["statistics"].get("favoriteCount", 0))}
                for item in data.get("items", [])}

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        data = self.get(f"{self.base['api']}/youtube/v3/channels", access_token, params={"part": "statistics", "mine": "true"})
        statistics = (data.get("items") or [{}])[0].get("statistics", {})
        return {"followers": int(statistics.get("subscriberCount", 0)), "posts": int(statistics.get("videoCount", 0))}

    def fetch_account(self, access_token: str) -> Account:
        data = self.get(f"{self.base['api']}/youtube/v3/channels", access_token,
                        params={"part": "snippet,statistics", "mine": "true"})
        items = data.get("items") or []
        if not items:
            raise PermanentError("This Google account has no YouTube channel. Create one, then connect again.")
        channel = items[0]
        snippet = channel.get("snippet", {})
        return Account(id=channel["id"], username=snippet.get("customUrl") or channel["id"],
                       display_name=snippet.get("title", ""),
                       avatar_url=snippet.get("thumbnails", {}).get("default", {}).get("url", ""),
                       extra={"statistics": channel.get("statistics", {})})


def received_through(response: requests.Response) -> int:
    """The next byte to send, from a 308's `Range: bytes=0-N` (no Range: nothing arrived yet)."""
    value = response.headers.get("Range", "")
    return int(value.rsplit("-", 1)[1]) + 1 if "-" in value else 0
