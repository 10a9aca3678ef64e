"""A fake of the six platforms' OAuth and account endpoints, served on loopback for the tests.

Each platform lives under its own path prefix and answers with the shapes its documentation shows
(see ../shared/PLATFORMS.md). The authorize endpoints approve at once and redirect back with a
code, remembering the PKCE challenge so the token endpoint can check the verifier as the real
servers do. Every request is recorded; `fail(path, status)` makes the next call to a path fail."""
import base64
import hashlib
import itertools
import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

# The base-URL settings that point each adapter at this server (values are path prefixes).
URL_SETTINGS = {
    "TIKTOK_AUTH_URL": "/tiktok-web", "TIKTOK_API_URL": "/tiktok",
    "INSTAGRAM_AUTH_URL": "/ig-web", "INSTAGRAM_TOKEN_URL": "/ig-token", "INSTAGRAM_GRAPH_URL": "/ig-graph",
    "YOUTUBE_AUTH_URL": "/google-accounts", "YOUTUBE_TOKEN_URL": "/google-token", "YOUTUBE_API_URL": "/google-api",
    "FACEBOOK_AUTH_URL": "/fb-web", "FACEBOOK_GRAPH_URL": "/fb-graph", "FACEBOOK_VIDEO_URL": "/fb-video",
    "X_AUTH_URL": "/x-web", "X_API_URL": "/x-api",
    "LINKEDIN_AUTH_URL": "/linkedin", "LINKEDIN_API_URL": "/linkedin-api",
}
CLIENTS = {key: (f"{key}-client-id", f"{key}-client-secret") for key in
           ("tiktok", "instagram", "youtube", "facebook", "x", "linkedin")}


@dataclass
class Grant:
    platform: str
    redirect_uri: str
    challenge: str | None
    scope: str


@dataclass
class FakePlatforms:
    base_url: str = ""
    requests: list = field(default_factory=list)
    failures: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)  # access token -> platform
    refresh_tokens: dict = field(default_factory=dict)  # refresh token -> platform
    revoked: list = field(default_factory=list)
    media: dict = field(default_factory=dict)
    linkedin_uploads: dict = field(default_factory=dict)
    linkedin_posts: dict = field(default_factory=dict)
    facebook_posts: dict = field(default_factory=dict)
    tweets: dict = field(default_factory=dict)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail(self, path, status, times=1):
        self.failures[path] = (status, times)

    def calls_to(self, path):
        return [call for call in self.requests if call["path"] == path]

    def config(self):
        settings = {name: self.base_url + prefix for name, prefix in URL_SETTINGS.items()}
        for key, (client_id, secret) in CLIENTS.items():
            settings[f"{key.upper()}_CLIENT_ID"] = client_id
            settings[f"{key.upper()}_CLIENT_SECRET"] = secret
        return settings

    def issue(self, platform, refresh=True):
        number = next(self.counter)
        access = f"{platform}-access-{number}-{secrets.token_hex(4)}"
        self.tokens[access] = platform
        refresh_token = None
        if refresh:
            refresh_token = f"{platform}-refresh-{number}-{secrets.token_hex(4)}"
            self.refresh_tokens[refresh_token] = platform
        return access, refresh_token


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def oauth_error(error, description, status=400):
    return jsonify({"error": error, "error_description": description}), status


def create_fake_app(state):
    app = Flask("fake_platforms")

    @app.before_request
    def record_and_fail():
        state.requests.append({"method": request.method, "path": request.path, "args": request.args.to_dict(),
                               "form": request.form.to_dict(), "headers": dict(request.headers)})
        if request.path in state.failures:
            status, times = state.failures[request.path]
            if times <= 1:
                del state.failures[request.path]
            else:
                state.failures[request.path] = (status, times - 1)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return jsonify({"error": {"message": "injected failure"}}), status, headers

    def bearer():
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") or request.args.get("access_token", "")
        return token if token in state.tokens else None

    def client_credentials():
        """Basic auth, or client_id/client_key and client_secret in the form or query."""
        if request.authorization and request.authorization.type == "basic":
            return request.authorization.username, request.authorization.password
        values = request.form if request.form else request.args
        return values.get("client_id") or values.get("client_key"), values.get("client_secret")

    # ---- authorize: approve at once, as a user who clicks Allow -----------------------------

    def approve(platform):
        args = request.args
        client_arg = "client_key" if platform == "tiktok" else "client_id"
        if args.get(client_arg) != CLIENTS[platform][0] or args.get("response_type") != "code":
            return "bad authorize request", 400
        code = f"{platform}-code-{secrets.token_hex(6)}"
        state.codes[code] = Grant(platform, args["redirect_uri"], args.get("code_challenge"), args.get("scope", ""))
        return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": args.get("state", "")}))

    for platform, path in (("tiktok", "/tiktok-web/v2/auth/authorize/"), ("instagram", "/ig-web/oauth/authorize"),
                           ("youtube", "/google-accounts/o/oauth2/v2/auth"), ("facebook", "/fb-web/v21.0/dialog/oauth"),
                           ("x", "/x-web/i/oauth2/authorize"), ("linkedin", "/linkedin/oauth/v2/authorization")):
        app.add_url_rule(path, f"authorize_{platform}", lambda platform=platform: approve(platform))

    def redeem(platform, values, needs_pkce):
        code = values.get("code")
        grant = state.codes.pop(code, None)  # a code works once
        if grant is None or grant.platform != platform:
            return None, oauth_error("invalid_grant", "The authorization code is invalid or was already used.")
        if values.get("redirect_uri") != grant.redirect_uri:
            return None, oauth_error("invalid_grant", "redirect_uri does not match.")
        if needs_pkce or grant.challenge:
            verifier = values.get("code_verifier", "")
            if not verifier or s256(verifier) != grant.challenge:
                return None, oauth_error("invalid_grant", "PKCE verification failed.")
        return grant, None

    def check_client(platform):
        client_id, secret = client_credentials()
        return (client_id, secret) == CLIENTS[platform]

    # ---- X ----------------------------------------------------------------------------------

    @app.post("/x-api/2/oauth2/token")
    def x_token():
        if not (request.authorization and check_client("x")):
            return oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        if request.form.get("grant_type") == "refresh_token":
            if state.refresh_tokens.pop(request.form.get("refresh_token"), None) != "x":
                return oauth_error("invalid_request", "Value passed for the token was invalid.")
        else:
            grant, error = redeem("x", request.form, needs_pkce=True)
            if error:
                return error
        access, refresh = state.issue("x")
        return jsonify({"token_type": "bearer", "expires_in": 7200, "access_token": access,
                        "scope": "tweet.read tweet.write users.read media.write offline.access", "refresh_token": refresh})

    @app.get("/x-api/2/users/me")
    def x_me():
        if not bearer():
            return jsonify({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}), 401
        return jsonify({"data": {"id": "2244994945", "name": "Northwind Creators", "username": "northwind",
                                 "profile_image_url": "https://pbs.example/x.jpg",
                                 "public_metrics": {"followers_count": 1520, "following_count": 80}}})

    # X media upload (v2): initialize, append segments in order, finalize, poll STATUS.
    @app.post("/x-api/2/media/upload/initialize")
    def x_media_initialize():
        if not bearer():
            return jsonify({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}), 401
        body = request.get_json() or {}
        if body.get("media_category") not in ("tweet_image", "tweet_video", "tweet_gif") or not body.get("total_bytes"):
            return jsonify({"errors": [{"message": "Invalid media_category or total_bytes"}], "title": "Invalid Request",
                            "status": 400}), 400
        media_id = str(next(state.counter) + 1_000_000)
        state.media[media_id] = {"total": body["total_bytes"], "type": body["media_type"], "segments": [],
                                 "category": body["media_category"], "polls": 0}
        return jsonify({"data": {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": 86400}})

    @app.post("/x-api/2/media/upload/<media_id>/append")
    def x_media_append(media_id):
        upload = state.media.get(media_id)
        if not bearer() or upload is None:
            return jsonify({"title": "Not Found", "status": 404}), 404
        index = int(request.form["segment_index"])
        if index != len(upload["segments"]):
            return jsonify({"errors": [{"message": f"Segment {index} out of order"}], "status": 400}), 400
        chunk = request.files["media"].read()
        if len(chunk) > 5 * 1024 * 1024:
            return jsonify({"errors": [{"message": "Segment larger than 5 MB"}], "status": 400}), 400
        upload["segments"].append(chunk)
        return "", 204

    @app.post("/x-api/2/media/upload/<media_id>/finalize")
    def x_media_finalize(media_id):
        upload = state.media.get(media_id)
        if upload is None or sum(len(c) for c in upload["segments"]) != upload["total"]:
            return jsonify({"errors": [{"message": "Size mismatch"}], "status": 400}), 400
        upload["finalized"] = True
        info = {"state": "pending", "check_after_secs": 0} if upload["category"] == "tweet_video" else None
        data = {"id": media_id, "media_key": f"7_{media_id}", "size": upload["total"], "expires_after_secs": 86400}
        if info:
            data["processing_info"] = info
        return jsonify({"data": data})

    @app.get("/x-api/2/media/upload")
    def x_media_status():
        upload = state.media.get(request.args.get("media_id", ""))
        if request.args.get("command") != "STATUS" or upload is None:
            return jsonify({"status": 400}), 400
        upload["polls"] += 1
        done = upload["polls"] >= 2
        return jsonify({"data": {"id": request.args["media_id"], "processing_info": {
            "state": "succeeded" if done else "in_progress", "check_after_secs": 0, "progress_percent": 100 if done else 50}}})

    @app.post("/x-api/2/tweets")
    def x_tweet():
        if not bearer():
            return jsonify({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}), 401
        body = request.get_json() or {}
        media_ids = (body.get("media") or {}).get("media_ids", [])
        if any(not state.media.get(m, {}).get("finalized") for m in media_ids):
            return jsonify({"errors": [{"message": "Your media IDs are invalid."}], "title": "Invalid Request",
                            "status": 400}), 400
        if len(body.get("text", "")) > 280:
            return jsonify({"detail": "Your Tweet text is too long.", "title": "Invalid Request", "status": 400}), 400
        tweet_id = str(1_800_000_000_000_000_000 + next(state.counter))
        state.tweets[tweet_id] = {"text": body.get("text", ""), "media_ids": media_ids}
        return jsonify({"data": {"id": tweet_id, "text": body.get("text", ""),
                                 "edit_history_tweet_ids": [tweet_id]}}), 201

    @app.get("/x-api/2/tweets")
    def x_tweet_metrics():
        if not bearer():
            return jsonify({"title": "Unauthorized", "status": 401}), 401
        ids = request.args.get("ids", "").split(",")
        return jsonify({"data": [{"id": i, "text": state.tweets[i]["text"], "public_metrics": {
            "retweet_count": 3, "reply_count": 2, "like_count": 41, "quote_count": 1, "bookmark_count": 5,
            "impression_count": 1200}} for i in ids if i in state.tweets]})

    @app.post("/x-api/2/oauth2/revoke")
    def x_revoke():
        state.revoked.append(("x", request.form.get("token")))
        return jsonify({"revoked": True})

    # ---- YouTube (Google) -------------------------------------------------------------------

    @app.post("/google-token/token")
    def google_token():
        if not check_client("youtube"):
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if request.form.get("grant_type") == "refresh_token":
            if request.form.get("refresh_token") not in state.refresh_tokens:
                return oauth_error("invalid_grant", "Token has been expired or revoked.")
            access, _ = state.issue("youtube", refresh=False)
            # Google's refresh answers carry no new refresh token.
            return jsonify({"access_token": access, "expires_in": 3599, "token_type": "Bearer",
                            "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly"})
        grant, error = redeem("youtube", request.form, needs_pkce=False)
        if error:
            return error
        access, refresh = state.issue("youtube")
        return jsonify({"access_token": access, "expires_in": 3599, "refresh_token": refresh, "token_type": "Bearer",
                        "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly"})

    @app.post("/google-token/revoke")
    def google_revoke():
        state.revoked.append(("youtube", request.form.get("token") or request.args.get("token")))
        return "", 200

    @app.get("/google-api/youtube/v3/channels")
    def youtube_channels():
        if not bearer():
            return jsonify({"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                      "status": "UNAUTHENTICATED"}}), 401
        return jsonify({"kind": "youtube#channelListResponse", "items": [{
            "kind": "youtube#channel", "id": "UC_x5XG1OV2P6uZZ5FSM9Ttw",
            "snippet": {"title": "Northwind Kitchen", "customUrl": "@northwindkitchen",
                        "thumbnails": {"default": {"url": "https://yt3.example/a.jpg"}}},
            "statistics": {"subscriberCount": "4200", "videoCount": "35", "viewCount": "120000"},
        }]})

    # ---- LinkedIn ---------------------------------------------------------------------------

    @app.post("/linkedin/oauth/v2/accessToken")
    def linkedin_token():
        if not check_client("linkedin"):
            return oauth_error("invalid_client", "Client authentication failed", 401)
        grant, error = redeem("linkedin", request.form, needs_pkce=False)
        if error:
            return error
        access, _ = state.issue("linkedin", refresh=False)
        return jsonify({"access_token": access, "expires_in": 5184000, "scope": "openid,profile,w_member_social",
                        "token_type": "Bearer", "id_token": "header.payload.signature"})

    # LinkedIn Posts API with images and videos; every /rest call must carry the version headers.
    def linkedin_rest_ok():
        return (bearer() and request.headers.get("X-Restli-Protocol-Version") == "2.0.0"
                and re.fullmatch(r"\d{6}", request.headers.get("LinkedIn-Version", "")))

    @app.post("/linkedin-api/rest/images")
    def linkedin_image_init():
        if not linkedin_rest_ok() or request.args.get("action") != "initializeUpload":
            return jsonify({"message": "Missing version headers", "status": 426}), 426
        urn = f"urn:li:image:C{next(state.counter)}"
        state.linkedin_uploads[urn] = {"owner": request.get_json()["initializeUploadRequest"]["owner"], "parts": []}
        return jsonify({"value": {"uploadUrlExpiresAt": 1700000000000, "image": urn,
                                  "uploadUrl": f"{state.base_url}/linkedin-upload/{urn}/0"}})

    @app.post("/linkedin-api/rest/videos")
    def linkedin_video():
        if not linkedin_rest_ok():
            return jsonify({"message": "Missing version headers", "status": 426}), 426
        body = request.get_json()
        if request.args.get("action") == "initializeUpload":
            size = body["initializeUploadRequest"]["fileSizeBytes"]
            urn = f"urn:li:video:C{next(state.counter)}"
            part, parts = 4 * 1024 * 1024, []
            for number, first in enumerate(range(0, size, part)):
                parts.append({"uploadUrl": f"{state.base_url}/linkedin-upload/{urn}/{number}", "firstByte": first,
                              "lastByte": min(size, first + part) - 1})
            state.linkedin_uploads[urn] = {"owner": body["initializeUploadRequest"]["owner"], "parts": [], "size": size,
                                           "expected": len(parts), "status": "WAITING_UPLOAD", "polls": 0}
            return jsonify({"value": {"uploadUrlsExpireAt": 1700000000000, "video": urn, "uploadInstructions": parts,
                                      "uploadToken": ""}})
        final = body["finalizeUploadRequest"]
        upload = state.linkedin_uploads[final["video"]]
        if final["uploadedPartIds"] != [f"etag-{n}" for n in range(upload["expected"])]:
            return jsonify({"message": "Part ids do not match", "status": 400}), 400
        upload["status"] = "PROCESSING"
        return "", 200

    @app.get("/linkedin-api/rest/videos/<path:urn>")
    def linkedin_video_status(urn):
        upload = state.linkedin_uploads[urn]
        upload["polls"] += 1
        if upload["polls"] >= 2:
            upload["status"] = "AVAILABLE"
        return jsonify({"id": urn, "status": upload["status"], "owner": upload["owner"]})

    @app.put("/linkedin-upload/<path:urn>/<int:number>")
    def linkedin_upload_part(urn, number):
        upload = state.linkedin_uploads[urn]
        if number != len(upload["parts"]):
            return jsonify({"message": "part out of order"}), 400
        upload["parts"].append(request.get_data())
        return "", 201, {"ETag": f'"etag-{number}"'}

    @app.post("/linkedin-api/rest/posts")
    def linkedin_post():
        if not bearer():
            return jsonify({"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401}), 401
        if not linkedin_rest_ok():
            return jsonify({"message": "Missing version headers", "status": 426}), 426
        body = request.get_json()
        if len(body.get("commentary", "")) > 3000:
            return jsonify({"message": "commentary is too long", "status": 422}), 422
        media = (body.get("content") or {}).get("media", {}).get("id")
        if media and (media not in state.linkedin_uploads or state.linkedin_uploads[media].get("status", "AVAILABLE") != "AVAILABLE"):
            return jsonify({"message": "Media is not ready", "status": 400}), 400
        urn = f"urn:li:share:{7000000000000000000 + next(state.counter)}"
        state.linkedin_posts[urn] = body
        return "", 201, {"x-restli-id": urn}

    @app.post("/linkedin/oauth/v2/revoke")
    def linkedin_revoke():
        state.revoked.append(("linkedin", request.form.get("token")))
        return "", 200

    @app.get("/linkedin-api/v2/userinfo")
    def linkedin_userinfo():
        if not bearer():
            return jsonify({"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401}), 401
        return jsonify({"sub": "782bbtaQ", "name": "Maya Ortiz", "given_name": "Maya", "family_name": "Ortiz",
                        "picture": "https://media.licdn.example/p.jpg", "locale": {"country": "US", "language": "en"}})

    # ---- TikTok -----------------------------------------------------------------------------

    @app.post("/tiktok/v2/oauth/token/")
    def tiktok_token():
        if (request.form.get("client_key"), request.form.get("client_secret")) != CLIENTS["tiktok"]:
            return jsonify({"error": "invalid_client", "error_description": "Client key or secret is incorrect.",
                            "log_id": "20230101"}), 401
        if request.form.get("grant_type") == "refresh_token":
            if state.refresh_tokens.pop(request.form.get("refresh_token"), None) != "tiktok":
                return jsonify({"error": "invalid_grant", "error_description": "Refresh token is invalid or expired.",
                                "log_id": "20230102"}), 400
        else:
            grant, error = redeem("tiktok", request.form, needs_pkce=False)
            if error:
                return error
        access, refresh = state.issue("tiktok")
        return jsonify({"access_token": access, "expires_in": 86400, "open_id": "723f24d7-e717-40f8-a2b6-cb8464cd23b4",
                        "refresh_expires_in": 31536000, "refresh_token": refresh,
                        "scope": "user.info.basic,video.publish", "token_type": "Bearer"})

    @app.get("/tiktok/v2/user/info/")
    def tiktok_user():
        if not bearer():
            return jsonify({"data": {}, "error": {"code": "access_token_invalid", "message": "The access token is invalid",
                                                  "log_id": "x"}}), 401
        return jsonify({"data": {"user": {"open_id": "723f24d7-e717-40f8-a2b6-cb8464cd23b4", "union_id": "c9c60f44",
                                          "avatar_url": "https://p16.example/a.jpeg", "display_name": "Maya Cooks",
                                          "username": "mayacooks"}},
                        "error": {"code": "ok", "message": "", "log_id": "y"}})

    @app.post("/tiktok/v2/oauth/revoke/")
    def tiktok_revoke():
        state.revoked.append(("tiktok", request.form.get("token")))
        return jsonify({})

    # ---- Instagram --------------------------------------------------------------------------

    @app.post("/ig-token/oauth/access_token")
    def instagram_token():
        if not check_client("instagram"):
            return jsonify({"error_type": "OAuthException", "code": 400, "error_message": "Invalid client_secret"}), 400
        grant, error = redeem("instagram", request.form, needs_pkce=False)
        if error:
            return error
        access, _ = state.issue("instagram", refresh=False)
        return jsonify({"data": [{"access_token": access, "user_id": "17841400008460056",
                                  "permissions": "instagram_business_basic,instagram_business_content_publish"}]})

    @app.get("/ig-graph/access_token")
    def instagram_exchange():
        if request.args.get("grant_type") != "ig_exchange_token" or request.args.get("client_secret") != CLIENTS["instagram"][1]:
            return jsonify({"error": {"message": "Invalid request", "type": "OAuthException", "code": 100}}), 400
        if request.args.get("access_token") not in state.tokens:
            return jsonify({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}), 400
        access, _ = state.issue("instagram", refresh=False)
        return jsonify({"access_token": access, "token_type": "bearer", "expires_in": 5183944})

    @app.get("/ig-graph/refresh_access_token")
    def instagram_refresh():
        if request.args.get("grant_type") != "ig_refresh_token" or request.args.get("access_token") not in state.tokens:
            return jsonify({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}), 400
        access, _ = state.issue("instagram", refresh=False)
        return jsonify({"access_token": access, "token_type": "bearer", "expires_in": 5183944})

    @app.get("/ig-graph/me")
    def instagram_me():
        if not bearer():
            return jsonify({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}), 400
        return jsonify({"user_id": "17841400008460056", "username": "northwind.cooks", "name": "Northwind Cooks",
                        "profile_picture_url": "https://scontent.example/p.jpg", "account_type": "BUSINESS",
                        "id": "7590130497722225"})

    # ---- Facebook Pages ---------------------------------------------------------------------

    @app.get("/fb-graph/v21.0/oauth/access_token")
    def facebook_token():
        if (request.args.get("client_id"), request.args.get("client_secret")) != CLIENTS["facebook"]:
            return jsonify({"error": {"message": "Error validating client secret.", "type": "OAuthException", "code": 1}}), 400
        if request.args.get("grant_type") == "fb_exchange_token":
            if request.args.get("fb_exchange_token") not in state.tokens:
                return jsonify({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}), 400
            access, _ = state.issue("facebook", refresh=False)
            return jsonify({"access_token": access, "token_type": "bearer", "expires_in": 5183944})
        grant, error = redeem("facebook", request.args, needs_pkce=False)
        if error:
            return jsonify({"error": {"message": "This authorization code has been used.", "type": "OAuthException",
                                      "code": 100}}), 400
        access, _ = state.issue("facebook", refresh=False)
        return jsonify({"access_token": access, "token_type": "bearer", "expires_in": 5183944})

    @app.get("/fb-graph/v21.0/me/accounts")
    def facebook_pages():
        if not bearer():
            return jsonify({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}), 400
        pages = []
        for page_id, name in (("101", "Northwind Kitchen"), ("202", "Northwind Travel")):
            page_token, _ = state.issue("facebook-page", refresh=False)
            pages.append({"id": page_id, "name": name, "access_token": page_token, "category": "Food & beverage",
                          "picture": {"data": {"url": f"https://fb.example/{page_id}.jpg"}},
                          "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]})
        return jsonify({"data": pages, "paging": {"cursors": {"before": "a", "after": "b"}}})

    def page_token_error():
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in state.tokens:
            return jsonify({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException",
                                      "code": 190, "error_subcode": 463, "fbtrace_id": "A1"}}), 400
        if state.failures.pop("meta-rate-limit", None):
            return jsonify({"error": {"message": "(#4) Application request limit reached", "type": "OAuthException",
                                      "is_transient": True, "code": 4, "fbtrace_id": "A2"}}), 403
        return None

    @app.post("/fb-graph/v21.0/<page_id>/feed")
    def facebook_feed(page_id):
        error = page_token_error()
        if error:
            return error
        if not request.form.get("message"):
            return jsonify({"error": {"message": "(#100) Param message must be non-empty", "code": 100}}), 400
        post_id = f"{page_id}_{next(state.counter)}"
        state.facebook_posts[post_id] = {"message": request.form["message"]}
        return jsonify({"id": post_id})

    @app.post("/fb-graph/v21.0/<page_id>/photos")
    def facebook_photo(page_id):
        error = page_token_error()
        if error:
            return error
        photo = request.files.get("source")
        if photo is None:
            return jsonify({"error": {"message": "(#324) Requires upload file", "code": 324}}), 400
        photo_id, post_id = str(next(state.counter)), f"{page_id}_{next(state.counter)}"
        state.facebook_posts[post_id] = {"caption": request.form.get("caption"), "bytes": len(photo.read())}
        return jsonify({"id": photo_id, "post_id": post_id})

    @app.post("/fb-video/v21.0/<page_id>/videos")
    def facebook_video(page_id):
        error = page_token_error()
        if error:
            return error
        video = request.files.get("source")
        video_id = str(next(state.counter))
        state.facebook_posts[video_id] = {"description": request.form.get("description"), "bytes": len(video.read())}
        return jsonify({"id": video_id})

    @app.delete("/fb-graph/v21.0/me/permissions")
    def facebook_revoke():
        state.revoked.append(("facebook", bearer()))
        return jsonify({"success": True})

    return app


class FakePlatformServer:
    def __init__(self):
        self.state = FakePlatforms()
        self.server = make_server("127.0.0.1", 0, create_fake_app(self.state), threaded=True)
        self.state.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.state

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)
