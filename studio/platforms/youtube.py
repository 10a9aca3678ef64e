"""YouTube (Data API v3) through Google OAuth: offline access and a consent prompt, so a refresh
token comes back; refresh answers carry no new refresh token (the old one is kept)."""
from studio.platforms.base import Account, Platform
from studio.platforms.errors import PermanentError


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

    def quota(self):
        # The project's daily units reset at midnight Pacific; sources disagree on an upload's cost.
        return (int(self.config.get("YOUTUBE_UPLOAD_UNITS") or 1600), int(self.config.get("YOUTUBE_DAILY_UNITS") or 10000),
                "America/Los_Angeles")

    def fetch_account(self, access_token):
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
