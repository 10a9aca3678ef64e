"""Instagram (API with Instagram Login, professional accounts). The code buys a one-hour token,
which is traded at once for a 60-day one; that token is itself refreshed (no refresh token).

Publishing goes through containers: check the live publishing quota, make a container (an image
Instagram fetches from our signed link; a reel whose bytes we send to the resumable upload host;
a carousel of child containers), wait until it is FINISHED, then publish it. The container id is
kept in the delivery's progress so a retry after a timeout does not make a second one."""
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from studio.platforms.base import Account, Platform, Published, Tokens
from studio.platforms.errors import (
    AuthError,
    PermanentError,
    RetryableError,
    UncertainError,
)
from studio.platforms.facebook import classify_meta, note_meta_load
from studio.platforms.options import Option
from studio.platforms.protocols import Connection, MediaFile, MediaT
from studio.platforms.rules import Problem

FORMATS = {"auto": "Decide from the media", "reel": "Reel", "image": "Feed image", "carousel": "Carousel"}


class Instagram(Platform):
    key = "instagram"
    name = "Instagram"
    scopes = ("instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_insights")
    scope_separator = ","
    uses_pkce = False
    urls = {"auth": "https://www.instagram.com", "token": "https://api.instagram.com",
            "graph": "https://graph.instagram.com"}
    endpoints = {"authorize": ("auth", "/oauth/authorize"), "token": ("token", "/oauth/access_token")}
    docs = "https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login"

    def authorization_url(self, redirect_uri: str, state: str, code_verifier: str | None = None) -> str:
        session = self.oauth_session(redirect_uri)
        url, _ = session.create_authorization_url(self.authorize_url, state=state, enable_fb_login="0")
        return url

    def finish_tokens(self, short_lived: Tokens) -> Tokens:
        """Trade the one-hour token for a long-lived (60-day) one straight away."""
        data = self.get(f"{self.base['graph']}/access_token", params={
            "grant_type": "ig_exchange_token", "client_secret": self.client_secret,
            "access_token": short_lived.access_token,
        })
        tokens = Tokens.from_response(data)
        tokens.scope = short_lived.scope or tokens.scope
        return tokens

    def can_refresh_connection(self, connection: Connection) -> bool:
        return bool(connection.access_token)  # the long-lived token refreshes itself

    def refresh(self, access_token: str | None, refresh_token: str | None) -> Tokens:
        if not access_token:
            raise AuthError("Instagram needs the current token to refresh; reconnect the account.")
        data = self.get(f"{self.base['graph']}/refresh_access_token",
                        params={"grant_type": "ig_refresh_token", "access_token": access_token})
        return Tokens.from_response(data)

    # ---- publishing ---------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self.config.get("INSTAGRAM_GRAPH_VERSION") or "v21.0"

    def graph(self, path: str) -> str:
        return f"{self.base['graph']}/{self.version}{path}"

    def classify(self, response: requests.Response) -> Any:
        return classify_meta(response, self.name)

    def note_load(self, response: requests.Response) -> None:
        note_meta_load(self, response)

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        options, progress = options or {}, progress if progress is not None else {}
        if not media:
            raise PermanentError("Instagram needs an image or a video to post.")
        assert connection is not None, "a post goes to the connected account"
        user = connection.account_id
        self.check_publishing_limit(access_token, user)
        container = progress.get("container") or self.make_container(access_token, user, text, media,
                                                                       chosen_format(options, media), options, media_url)
        progress.update(container=container, user=user, caption=text)
        self.wait_for_container(access_token, container)
        try:
            media_id = self.post(self.graph(f"/{user}/media_publish"), access_token, data={"creation_id": container},
                                 creates=True)["id"]
        except UncertainError:
            raise
        except RetryableError as error:
            # The publish may have happened before the error: the next attempt asks the container.
            raise UncertainError(str(error), error.status, error.payload) from error
        return self.published(access_token, media_id, progress)

    def published(self, access_token: str | None, media_id: str, progress: dict[str, Any]) -> Published:
        progress.pop("container", None)
        permalink = self.get(self.graph(f"/{media_id}"), access_token, params={"fields": "permalink"}).get("permalink", "")
        return Published(str(media_id), permalink, {"id": media_id, "permalink": permalink})

    def can_look_up(self, progress: Mapping[str, Any] | None) -> bool:
        return bool(progress and progress.get("container"))

    def find_published(self, access_token: str | None, client_reference: str, progress: dict[str, Any]) -> Published | None:
        """After an uncertain publish: a container still FINISHED was not published (publish it
        again); one PUBLISHED is found among the account's newest media by its caption."""
        status = self.get(self.graph(f"/{progress['container']}"), access_token,
                          params={"fields": "status_code,status"}).get("status_code")
        if status in ("ERROR", "EXPIRED"):
            progress.pop("container", None)  # start afresh with a new container
            return None
        if status != "PUBLISHED":
            return None
        recent = self.get(self.graph(f"/{progress['user']}/media"), access_token,
                          params={"fields": "id,caption,timestamp", "limit": 10}).get("data", [])
        match = next((item for item in recent if (item.get("caption") or "") == progress.get("caption", "")), None)
        if match is None:
            raise PermanentError("Instagram says the post was published, but it is not among the account's newest posts; "
                                 "check the account.")
        return self.published(access_token, match["id"], progress)

    def composer_options(self, connection: Connection, creator_info: Mapping[str, Any] | None = None) -> list[Option]:
        return [Option("format", "Format", "select", tuple(FORMATS.items()), default="auto"),
                Option("share_to_feed", "Show the reel in the feed too", "checkbox", default=True)]

    def option_problems(self, connection: Connection, values: Mapping[str, Any], assets: Sequence[MediaFile],
                        field_for: Callable[[str], str], creator_info: Mapping[str, Any] | None = None) -> list[Problem]:
        if not assets:
            return [Problem("Instagram needs an image or a video", "media")]
        if len(assets) > 10:
            return [Problem(f"{len(assets)} items; an Instagram carousel takes at most 10", "media")]
        return []

    def check_publishing_limit(self, access_token: str | None, user: str) -> None:
        """Instagram's own count of posts in the last 24 hours against its live limit."""
        data = self.get(self.graph(f"/{user}/content_publishing_limit"), access_token,
                        params={"fields": "quota_usage,config"}).get("data") or [{}]
        usage, config = data[0].get("quota_usage", 0), data[0].get("config", {})
        if config.get("quota_total") and usage >= config["quota_total"]:
            raise RetryableError(f"Instagram's limit of {config['quota_total']} posts in 24 hours is reached; "
                                 "waiting for room.", retry_after=3600)

    def make_container(self, access_token: str | None, user: str, text: str, media: Sequence[MediaT], kind: str,
                       options: Mapping[str, Any], media_url: Callable[[MediaT], str] | None) -> str:
        if kind == "carousel":
            children = [self.item_container(access_token, user, asset, media_url, carousel=True) for asset in media]
            for child in children:
                self.wait_for_container(access_token, child)
            return self.post(self.graph(f"/{user}/media"), access_token, data={
                "media_type": "CAROUSEL", "children": ",".join(children), "caption": text})["id"]
        return self.item_container(access_token, user, media[0], media_url, caption=text,
                                   share_to_feed=options.get("share_to_feed", True))

    def item_container(self, access_token: str | None, user: str, asset: MediaT, media_url: Callable[[MediaT], str] | None,
                       caption: str | None = None, carousel: bool = False, share_to_feed: bool = True) -> str:
        """One container: an image by URL (`media_url`), or a video whose bytes go to the resumable
        upload host."""
        fields = {"is_carousel_item": "true"} if carousel else {"caption": caption or ""}
        if asset.kind == "image":
            assert media_url is not None, "the engine gives every publish its media links"
            return self.post(self.graph(f"/{user}/media"), access_token,
                             data={**fields, "image_url": media_url(asset)})["id"]
        fields.update(media_type="VIDEO" if carousel else "REELS", upload_type="resumable")
        if not carousel:
            fields["share_to_feed"] = "true" if share_to_feed else "false"
        started = self.post(self.graph(f"/{user}/media"), access_token, data=fields)
        with asset.open() as stream:
            self.call("POST", started["uri"], headers={"Authorization": f"OAuth {access_token}", "offset": "0",
                                                      "file_size": str(asset.size_bytes),
                                                      "Content-Length": str(asset.size_bytes)},
                      data=stream, timeout=600)
        return started["id"]

    def wait_for_container(self, access_token: str | None, container: str) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            data = self.get(self.graph(f"/{container}"), access_token, params={"fields": "status_code,status"})
            code = data.get("status_code")
            if code in ("ERROR", "EXPIRED"):
                raise PermanentError(f"Instagram could not prepare the media: {data.get('status') or code}.")
            return data if code in ("FINISHED", "PUBLISHED") else None

        return self.wait_until(probe, "the media")

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        metrics = {}
        for media_id in post_ids:  # Instagram's insights are asked per media
            data = self.get(self.graph(f"/{media_id}/insights"), access_token,
                            params={"metric": "views,likes,comments,shares,saved"}).get("data", [])
            values = {item["name"]: (item.get("values") or [{}])[0].get("value", 0) for item in data}
            metrics[media_id] = {"views": values.get("views", 0), "likes": values.get("likes", 0),
                                 "comments": values.get("comments", 0), "shares": values.get("shares", 0),
                                 "saves": values.get("saved", 0)}
        return metrics

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        data = self.get(self.graph("/me"), access_token, params={"fields": "followers_count,follows_count,media_count"})
        return {"followers": data.get("followers_count", 0), "following": data.get("follows_count", 0),
                "posts": data.get("media_count", 0)}

    def fetch_account(self, access_token: str) -> Account:
        data = self.get(f"{self.base['graph']}/me", access_token,
                        params={"fields": "user_id,username,name,profile_picture_url,account_type,"
                                          "followers_count,follows_count,media_count"})
        return Account(id=str(data.get("user_id") or data["id"]), username=data["username"],
                       display_name=data.get("name", ""), avatar_url=data.get("profile_picture_url", ""),
                       extra={"account_type": data.get("account_type", ""), "followers": data.get("followers_count"),
                              "following": data.get("follows_count"), "posts": data.get("media_count")})


def chosen_format(options: Mapping[str, Any], media: Sequence[MediaFile]) -> str:
    """Reel, image or carousel: the composer's choice, else what the media makes it."""
    choice = options.get("format") or "auto"
    if choice != "auto":
        return choice
    if len(media) > 1:
        return "carousel"
    return "reel" if media and media[0].kind == "video" else "image"
