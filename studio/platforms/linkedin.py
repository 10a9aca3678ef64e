"""LinkedIn: OpenID Connect sign-in plus w_member_social. Tokens last 60 days; refresh tokens
exist only for approved partners, so most connections must be renewed by reconnecting."""
from studio.platforms.base import Account, Platform
from studio.platforms.errors import AuthError


class LinkedIn(Platform):
    key = "linkedin"
    name = "LinkedIn"
    scopes = ("openid", "profile", "w_member_social")
    uses_pkce = False  # LinkedIn allows PKCE only for native apps it has enabled
    urls = {"auth": "https://www.linkedin.com", "api": "https://api.linkedin.com"}
    endpoints = {"authorize": ("auth", "/oauth/v2/authorization"), "token": ("auth", "/oauth/v2/accessToken"),
                 "revoke": ("auth", "/oauth/v2/revoke")}
    docs = "https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow"

    def refresh(self, access_token, refresh_token):
        if not refresh_token:
            raise AuthError("LinkedIn tokens cannot be refreshed for this app; reconnect the account.")
        return super().refresh(access_token, refresh_token)

    def fetch_account(self, access_token):
        data = self.get(f"{self.base['api']}/v2/userinfo", access_token)
        return Account(id=data["sub"], username=data.get("name", data["sub"]), display_name=data.get("name", ""),
                       avatar_url=data.get("picture", ""), extra={"author_urn": f"urn:li:person:{data['sub']}"})
