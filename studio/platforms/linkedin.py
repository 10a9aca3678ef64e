"""LinkedIn: OpenID Connect sign-in plus w_member_social. Tokens last 60 days; refresh tokens
exist only for approved partners, so most connections must be renewed by reconnecting.
Publishing (Posts API): every call carries LinkedIn-Version and X-Restli-Protocol-Version; images
are initialised then PUT, videos are PUT in the parts LinkedIn names and finalised with their
ETags, then waited on until AVAILABLE; the post's id comes back in the x-restli-id header."""
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from studio.platforms.base import Account, Platform, Published, Tokens, check
from studio.platforms.errors import AuthError, PermanentError, RetryableError
from studio.platforms.options import Option
from studio.platforms.protocols import Connection, MediaFile, MediaT


class LinkedIn(Platform):
    key = "linkedin"
    name = "LinkedIn"
    uses_pkce = False  # LinkedIn allows PKCE only for native apps it has enabled
    urls = {"auth": "https://www.linkedin.com", "api": "https://api.linkedin.com"}
    endpoints = {"authorize": ("auth", "/oauth/v2/authorization"), "token": ("auth", "/oauth/v2/accessToken"),
                 "revoke": ("auth", "/oauth/v2/revoke")}
    docs = "https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow"

    @property
    def manages_pages(self) -> bool:
        """Posting as organisation pages needs LinkedIn's Community Management API approval."""
        return str(self.config.get("LINKEDIN_ORGANIZATION_PAGES") or "").lower() in ("1", "true", "yes", "on")

    @property
    def scopes(self) -> tuple[str, ...]:  # type: ignore[override]  # read only: the setting above decides them
        extra = ("w_organization_social", "r_organization_admin") if self.manages_pages else ()
        return ("openid", "profile", "w_member_social", *extra)

    def refresh(self, access_token: str | None, refresh_token: str | None) -> Tokens:
        if not refresh_token:
            raise AuthError("LinkedIn tokens cannot be refreshed for this app; reconnect the account.")
        return super().refresh(access_token, refresh_token)

    def authors(self, connection: Connection) -> list[tuple[str, str]]:
        """Who may post through this connection: the member, and the organisations whose pages
        they administer (kept on the connection as {"urn", "name"})."""
        member = (f"urn:li:person:{connection.account_id}", f"Me ({connection.display_name or connection.username})")
        pages = [(org["urn"], org["name"]) for org in (connection.details or {}).get("organizations", [])]
        return [member, *pages]

    def author_for(self, connection: Connection, chosen: str | None) -> str:
        allowed = dict(self.authors(connection))
        if chosen and chosen not in allowed:
            raise PermanentError("This LinkedIn connection cannot post as that author any more; choose another.")
        return chosen or self.authors(connection)[0][0]

    def composer_options(self, connection: Connection, creator_info: Mapping[str, Any] | None = None) -> list[Option]:
        return [Option("author", "Post as", "select", tuple(self.authors(connection)),
                       default=self.authors(connection)[0][0])]

    def rest_headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": self.config.get("LINKEDIN_VERSION") or "202510",
                "X-Restli-Protocol-Version": "2.0.0"}

    def rest(self, method: str, path: str, access_token: str | None, **kwargs: Any) -> requests.Response:
        return self.send(method, f"{self.base['api']}/rest{path}", access_token, headers=self.rest_headers(), **kwargs)

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        """Publishes as the member who connected, or as a page they administer (the author option)."""
        assert connection is not None, "a post goes out as the connected member or one of their pages"
        author = self.author_for(connection, (options or {}).get("author"))
        body = {"author": author, "commentary": text, "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                 "thirdPartyDistributionChannels": []},
                "isReshareDisabledByAuthor": False}
        if media:
            body["content"] = {"media": {"id": self.upload(access_token, media[0], author)}}
        response = self.rest("POST", "/posts", access_token, json=body, creates=True)
        self.check_create(response)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise RetryableError("LinkedIn accepted the post but sent no id back.")
        return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/", {"id": urn})

    def upload(self, access_token: str | None, asset: MediaFile, author: str) -> str:
        if asset.kind == "image":
            response = self.rest("POST", "/images?action=initializeUpload", access_token,
                                 json={"initializeUploadRequest": {"owner": author}})
            value = check(response, self.name)["value"]
            with asset.open() as stream:
                check(self.send("PUT", value["uploadUrl"], access_token, data=stream.read()), self.name)
            return value["image"]
        response = self.rest("POST", "/videos?action=initializeUpload", access_token, json={"initializeUploadRequest": {
            "owner": author, "fileSizeBytes": asset.size_bytes, "uploadCaptions": False, "uploadThumbnail": False}})
        value = check(response, self.name)["value"]
        etags = []
        with asset.open() as stream:
            for part in value["uploadInstructions"]:
                chunk = stream.read(part["lastByte"] - part["firstByte"] + 1)
                answer = self.send("PUT", part["uploadUrl"], access_token, data=chunk)
                check(answer, self.name)
                etags.append(answer.headers.get("ETag", "").strip('"'))
        check(self.rest("POST", "/videos?action=finalizeUpload", access_token, json={"finalizeUploadRequest": {
            "video": value["video"], "uploadToken": value.get("uploadToken", ""), "uploadedPartIds": etags}}), self.name)
        self.wait_until_available(access_token, value["video"])
        return value["video"]

    def wait_until_available(self, access_token: str | None, urn: str) -> None:
        def probe() -> str | None:
            status = check(self.rest("GET", f"/videos/{quote(urn, safe='')}", access_token), self.name).get("status")
            if status == "PROCESSING_FAILED":
                raise PermanentError("LinkedIn could not process the video.")
            return status if status == "AVAILABLE" else None

        self.wait_until(probe, "the video")

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Likes and comments from socialActions (LinkedIn shows views only to page admins' analytics)."""
        metrics = {}
        for urn in post_ids:
            data = check(self.rest("GET", f"/socialActions/{quote(urn, safe='')}", access_token), self.name)
            metrics[urn] = {"likes": data.get("likesSummary", {}).get("totalLikes", 0),
                            "comments": data.get("commentsSummary", {}).get("aggregatedTotalComments", 0)}
        return metrics

    def fetch_account(self, access_token: str) -> Account:
        data = self.get(f"{self.base['api']}/v2/userinfo", access_token)
        extra: dict[str, Any] = {"author_urn": f"urn:li:person:{data['sub']}"}
        if self.manages_pages:
            extra["organizations"] = self.administered_organizations(access_token)
        return Account(id=data["sub"], username=data.get("name", data["sub"]), display_name=data.get("name", ""),
                       avatar_url=data.get("picture", ""), extra=extra)

    def administered_organizations(self, access_token: str | None) -> list[dict[str, str]]:
        """The pages this member administers: they may post as each of them."""
        acls = check(self.rest("GET", "/organizationAcls", access_token, params={
            "q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}), self.name).get("elements", [])
        pages = []
        for acl in acls:
            urn = acl["organization"]
            page = check(self.rest("GET", f"/organizations/{urn.rsplit(':', 1)[1]}", access_token), self.name)
            pages.append({"urn": urn, "name": page.get("localizedName") or urn})
        return pages
