"""X (API v2): OAuth 2.0 with PKCE; a refresh token only with offline.access, and it rotates."""
from studio.platforms.base import Account, Platform


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

    def fetch_account(self, access_token):
        data = self.get(f"{self.base['api']}/2/users/me", access_token,
                        params={"user.fields": "profile_image_url,public_metrics"})["data"]
        return Account(id=data["id"], username=data["username"], display_name=data.get("name", ""),
                       avatar_url=data.get("profile_image_url", ""),
                       extra={"public_metrics": data.get("public_metrics", {})})
