"""Instagram (API with Instagram Login, professional accounts). The code buys a one-hour token,
which is traded at once for a 60-day one; that token is itself refreshed (no refresh token)."""
from studio.platforms.base import Account, Platform, Tokens
from studio.platforms.errors import AuthError


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

    def authorization_url(self, redirect_uri, state, code_verifier=None):
        session = self.oauth_session(redirect_uri)
        url, _ = session.create_authorization_url(self.authorize_url, state=state, enable_fb_login="0")
        return url

    def finish_tokens(self, short_lived):
        """Trade the one-hour token for a long-lived (60-day) one straight away."""
        data = self.get(f"{self.base['graph']}/access_token", params={
            "grant_type": "ig_exchange_token", "client_secret": self.client_secret,
            "access_token": short_lived.access_token,
        })
        tokens = Tokens.from_response(data)
        tokens.scope = short_lived.scope or tokens.scope
        return tokens

    def can_refresh_connection(self, connection):
        return bool(connection.access_token)  # the long-lived token refreshes itself

    def refresh(self, access_token, refresh_token):
        if not access_token:
            raise AuthError("Instagram needs the current token to refresh; reconnect the account.")
        data = self.get(f"{self.base['graph']}/refresh_access_token",
                        params={"grant_type": "ig_refresh_token", "access_token": access_token})
        return Tokens.from_response(data)

    def fetch_account(self, access_token):
        data = self.get(f"{self.base['graph']}/me", access_token,
                        params={"fields": "user_id,username,name,profile_picture_url,account_type"})
        return Account(id=str(data.get("user_id") or data["id"]), username=data["username"],
                       display_name=data.get("name", ""), avatar_url=data.get("profile_picture_url", ""),
                       extra={"account_type": data.get("account_type", "")})
