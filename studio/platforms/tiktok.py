"""TikTok (Login Kit v2 + Content Posting API). TikTok names the client id `client_key`, in the
authorize URL and in every token call; refresh tokens rotate and carry their own expiry."""
from studio.platforms.base import Account, Platform, Tokens, oauth_errors
from studio.platforms.errors import AuthError, PermanentError


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

    def authorization_url(self, redirect_uri, state, code_verifier=None):
        session = self.oauth_session(redirect_uri)
        url, _ = session.create_authorization_url(
            self.authorize_url, state=state, code_verifier=code_verifier, client_key=self.client_id
        )
        return url

    def _token_call(self, **fields):
        data = self.post(self.token_url, data={"client_key": self.client_id, "client_secret": self.client_secret, **fields},
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        if data.get("error") and data["error"] != "ok":
            raise AuthError(data.get("error_description") or data["error"], payload=data)
        return Tokens.from_response(data)

    def exchange_code(self, code, redirect_uri, code_verifier=None):
        with oauth_errors():
            return self._token_call(code=code, grant_type="authorization_code", redirect_uri=redirect_uri,
                                    code_verifier=code_verifier or "")

    def refresh(self, access_token, refresh_token):
        with oauth_errors():
            return self._token_call(grant_type="refresh_token", refresh_token=refresh_token or "")

    def revoke(self, access_token, refresh_token):
        self.post(self.revoke_url, data={"client_key": self.client_id, "client_secret": self.client_secret,
                                         "token": access_token})
        return True

    def fetch_account(self, access_token):
        data = self.get(f"{self.base['api']}/v2/user/info/", access_token,
                        params={"fields": "open_id,union_id,avatar_url,display_name,username"})
        error = data.get("error", {})
        if error.get("code") not in (None, "ok"):
            raise PermanentError(error.get("message") or error["code"], payload=data)
        user = data["data"]["user"]
        return Account(id=user["open_id"], username=user.get("username") or user.get("display_name", ""),
                       display_name=user.get("display_name", ""), avatar_url=user.get("avatar_url", ""))
