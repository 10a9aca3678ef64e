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

import requests
from flask import Flask, jsonify, redirect, request
from werkzeug.serving import WSGIRequestHandler, make_server

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
    tiktok_publishes: dict = field(default_factory=dict)
    youtube_uploads: dict = field(default_factory=dict)
    youtube_breaks: list = field(default_factory=list)  # byte offsets at which to drop the connection
    instagram_containers: dict = field(default_factory=dict)
    instagram_media: dict = field(default_factory=dict)
    instagram_quota_usage: int = 0
    load_headers: dict = field(default_factory=dict)  # path -> headers that report how close to a limit we are
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail(self, path, status, times=1, body=None):
        """The next `times` calls to `path` answer `status` (with `body`, else a generic error)."""
        self.failures[path] = (status, times, body)

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

    @app.after_request
    def report_load(response):
        response.headers.update(state.load_headers.get(request.path, {}))
        return response

    @app.before_request
    def record_and_fail():
        state.requests.append({"method": request.method, "path": request.path, "args": request.args.to_dict(),
                               "form": request.form.to_dict(), "headers": dict(request.headers)})
        if request.path in state.failures:
            status, times, body = state.failures[request.path]
            if times <= 1:
                del state.failures[request.path]
            else:
                state.failures[request.path] = (status, times - 1, body)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return jsonify(body or {"error": {"message": "injected failure"}}), status, headers

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
                                 "public_metrics": {"followers_count": 1520, "following_count": 80,
                                                    "tweet_count": 3021}}})

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
        if body["author"] not in ("urn:li:person:782bbtaQ", "urn:li:organization:5515715"):
            return jsonify({"message": "Not enough permissions to post as this author", "status": 403,
                            "serviceErrorCode": 100}), 403
        if len(body.get("commentary", "")) > 3000:
            return jsonify({"message": "commentary is too long", "status": 422}), 422
        media = (body.get("content") or {}).get("media", {}).get("id")
        if media and (media not in state.linkedin_uploads or state.linkedin_uploads[media].get("status", "AVAILABLE") != "AVAILABLE"):
            return jsonify({"message": "Media is not ready", "status": 400}), 400
        urn = f"urn:li:share:{7000000000000000000 + next(state.counter)}"
        state.linkedin_posts[urn] = body
        return "", 201, {"x-restli-id": urn}

    @app.get("/linkedin-api/rest/organizationAcls")
    def linkedin_organization_acls():
        if not linkedin_rest_ok():
            return jsonify({"message": "Missing version headers", "status": 426}), 426
        if request.args.get("q") != "roleAssignee":
            return jsonify({"message": "q must be roleAssignee", "status": 400}), 400
        return jsonify({"paging": {"count": 10, "start": 0}, "elements": [
            {"role": "ADMINISTRATOR", "state": "APPROVED", "organization": "urn:li:organization:5515715",
             "roleAssignee": "urn:li:person:782bbtaQ"}]})

    @app.get("/linkedin-api/rest/organizations/<org_id>")
    def linkedin_organization(org_id):
        if not linkedin_rest_ok():
            return jsonify({"message": "Missing version headers", "status": 426}), 426
        return jsonify({"id": int(org_id), "localizedName": "Northwind Kitchens", "vanityName": "northwind"})

    @app.get("/linkedin-api/rest/socialActions/<path:urn>")
    def linkedin_social_actions(urn):
        if not linkedin_rest_ok():
            return jsonify({"message": "Missing version headers", "status": 426}), 426
        if urn not in state.linkedin_posts:
            return jsonify({"message": "Not found", "status": 404}), 404
        return jsonify({"target": urn, "likesSummary": {"totalLikes": 64, "likedByCurrentUser": False},
                        "commentsSummary": {"aggregatedTotalComments": 6, "totalFirstLevelComments": 5}})

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
                                          "username": "mayacooks", "follower_count": 48200, "following_count": 310,
                                          "likes_count": 912000, "video_count": 221}},
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
    @app.get("/ig-graph/v21.0/me")
    def instagram_me():
        if not bearer():
            return jsonify({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}), 400
        return jsonify({"user_id": "17841400008460056", "username": "northwind.cooks", "name": "Northwind Cooks",
                        "profile_picture_url": "https://scontent.example/p.jpg", "account_type": "BUSINESS",
                        "id": "7590130497722225", "followers_count": 9100, "follows_count": 240, "media_count": 388})

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

    @app.post("/fb-graph/v21.0/<page_id>/video_reels")
    def facebook_reels(page_id):
        error = page_token_error()
        if error:
            return error
        phase = request.form.get("upload_phase")
        if phase == "start":
            video_id = str(next(state.counter) + 900_000)
            state.facebook_posts[video_id] = {"kind": "reel", "bytes": 0, "phase": "started", "polls": 0}
            return jsonify({"video_id": video_id, "upload_url": f"{state.base_url}/fb-rupload/video-upload/v21.0/{video_id}"})
        reel = state.facebook_posts.get(request.form.get("video_id", ""))
        if phase != "finish" or reel is None or request.form.get("video_state") != "PUBLISHED":
            return jsonify({"error": {"message": "(#100) Invalid upload_phase or video_id", "code": 100}}), 400
        if not reel["bytes"]:
            return jsonify({"error": {"message": "(#100) The video was not uploaded", "code": 100}}), 400
        reel.update(phase="finished", description=request.form.get("description"))
        return jsonify({"success": True})

    @app.post("/fb-rupload/video-upload/v21.0/<video_id>")
    def facebook_reel_upload(video_id):
        reel = state.facebook_posts.get(video_id)
        token = request.headers.get("Authorization", "").removeprefix("OAuth ")
        body = request.get_data()
        if reel is None or token not in state.tokens or int(request.headers.get("File-Size", -1)) != len(body):
            return jsonify({"debug_info": {"type": "ProcessingFailedError", "message": "Invalid upload"}}), 400
        reel["bytes"] = len(body)
        return jsonify({"success": True})

    @app.get("/fb-graph/v21.0/<object_id>")
    def facebook_object(object_id):
        error = page_token_error()
        if error:
            return error
        if object_id in ("101", "202") and "followers_count" in request.args.get("fields", ""):
            return jsonify({"id": object_id, "followers_count": 12800, "fan_count": 12650})
        item = state.facebook_posts.get(object_id)
        if item is None:
            return jsonify({"error": {"message": "(#100) Unsupported get request.", "code": 100}}), 400
        if request.args.get("fields") == "status":
            item["polls"] += 1
            done = item["phase"] == "finished" and item["polls"] >= 2
            return jsonify({"id": object_id, "status": {
                "video_status": "ready" if done else "processing",
                "uploading_phase": {"status": "complete"},
                "publishing_phase": {"status": "complete" if done else "in_progress"}}})
        return jsonify({"id": object_id, "shares": {"count": 3},
                        "reactions": {"data": [], "summary": {"total_count": 57}},
                        "comments": {"data": [], "summary": {"total_count": 4}}})

    @app.delete("/fb-graph/v21.0/me/permissions")
    def facebook_revoke():
        state.revoked.append(("facebook", bearer()))
        return jsonify({"success": True})

    # ---- TikTok Content Posting API ---------------------------------------------------------

    MB = 1024 * 1024

    def tiktok(data=None, code="ok", message="", status=200):
        return jsonify({"data": data or {}, "error": {"code": code, "message": message, "log_id": "202611221200"}}), status

    def tiktok_token_error():
        if not bearer():
            return tiktok(code="access_token_invalid", message="The access token is invalid or not found in the request.",
                          status=401)
        if request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return tiktok(code="invalid_params", message="Content-Type must be application/json", status=400)
        return None

    @app.post("/tiktok/v2/post/publish/creator_info/query/")
    def tiktok_creator_info():
        return tiktok_token_error() or tiktok({
            "creator_avatar_url": "https://p16.example/a.jpeg", "creator_username": "mayacooks",
            "creator_nickname": "Maya Cooks", "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS",
                                                                        "SELF_ONLY"],
            "comment_disabled": False, "duet_disabled": False, "stitch_disabled": True, "max_video_post_duration_sec": 600})

    def tiktok_check_source(source):
        size, chunk, count = source.get("video_size", 0), source.get("chunk_size", 0), source.get("total_chunk_count", 0)
        if source.get("source") != "FILE_UPLOAD" or not size:
            return "source_info must be FILE_UPLOAD with video_size"
        if chunk == size and count == 1:
            return None  # a whole file in one chunk
        if not 5 * MB <= chunk <= 64 * MB or count != size // chunk or size - chunk * (count - 1) > 128 * MB:
            return "chunk_size and total_chunk_count do not describe the file"
        return None

    def tiktok_init(draft):
        error = tiktok_token_error()
        if error:
            return error
        body = request.get_json()
        problem = tiktok_check_source(body.get("source_info", {}))
        if problem:
            return tiktok(code="invalid_params", message=problem, status=400)
        post_info = body.get("post_info", {})
        if not draft:
            if len(post_info.get("title", "")) > 2200:
                return tiktok(code="invalid_params", message="The title is longer than 2200 characters.", status=400)
            if post_info.get("privacy_level") not in ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"):
                return tiktok(code="privacy_level_option_mismatch", message="privacy_level is not an option for this creator",
                              status=400)
        publish_id = f"v_pub_file~v2-1.{next(state.counter)}"
        state.tiktok_publishes[publish_id] = {"draft": draft, "post_info": post_info, "source": body["source_info"],
                                              "chunks": [], "received": 0, "polls": 0}
        return tiktok({"publish_id": publish_id, "upload_url": f"{state.base_url}/tiktok-upload/{publish_id}"})

    app.add_url_rule("/tiktok/v2/post/publish/video/init/", "tiktok_video_init", lambda: tiktok_init(False), methods=["POST"])
    app.add_url_rule("/tiktok/v2/post/publish/inbox/video/init/", "tiktok_inbox_init", lambda: tiktok_init(True),
                     methods=["POST"])

    @app.put("/tiktok-upload/<publish_id>")
    def tiktok_upload(publish_id):
        upload = state.tiktok_publishes.get(publish_id)
        if upload is None:
            return tiktok(code="invalid_params", message="unknown upload", status=404)
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("Content-Range", ""))
        chunk = request.get_data()
        source = upload["source"]
        index = len(upload["chunks"])
        expected = source["chunk_size"] if index < source["total_chunk_count"] - 1 else source["video_size"] - upload["received"]
        if (not match or int(match[1]) != upload["received"] or int(match[3]) != source["video_size"]
                or len(chunk) != expected or int(match[2]) != upload["received"] + len(chunk) - 1
                or not request.headers.get("Content-Type", "").startswith("video/")):
            return tiktok(code="invalid_params", message="Content-Range does not match the next chunk", status=416)
        upload["chunks"].append(len(chunk))
        upload["received"] += len(chunk)
        return "", 201 if upload["received"] == source["video_size"] else 206

    @app.post("/tiktok/v2/post/publish/status/fetch/")
    def tiktok_status():
        error = tiktok_token_error()
        if error:
            return error
        upload = state.tiktok_publishes.get(request.get_json().get("publish_id"))
        if upload is None:
            return tiktok(code="invalid_publish_id", message="publish_id does not exist", status=400)
        if upload["received"] < upload["source"]["video_size"]:
            return tiktok({"status": "PROCESSING_UPLOAD", "uploaded_bytes": upload["received"]})
        upload["polls"] += 1
        if upload["polls"] < 2:
            return tiktok({"status": "PROCESSING_DOWNLOAD"})
        if upload.get("fail_reason"):
            return tiktok({"status": "FAILED", "fail_reason": upload["fail_reason"]})
        if upload["draft"]:
            return tiktok({"status": "SEND_TO_USER_INBOX"})
        upload.setdefault("video_id", str(7_300_000_000_000_000_000 + next(state.counter)))
        public = [upload["video_id"]] if upload["post_info"]["privacy_level"] != "SELF_ONLY" else []
        return tiktok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": public,
                       "uploaded_bytes": upload["received"]})

    @app.post("/tiktok/v2/video/query/")
    def tiktok_video_query():
        error = tiktok_token_error()
        if error:
            return error
        if "view_count" not in request.args.get("fields", ""):
            return tiktok(code="invalid_params", message="fields is required", status=400)
        ids = request.get_json()["filters"]["video_ids"]
        videos = [{"id": upload["video_id"], "view_count": 5400, "like_count": 320, "comment_count": 18, "share_count": 12}
                  for upload in state.tiktok_publishes.values() if upload.get("video_id") in ids]
        return tiktok({"videos": videos, "cursor": 0, "has_more": False})

    # ---- YouTube resumable upload -----------------------------------------------------------

    CHUNK_UNIT = 256 * 1024

    def google_error(status, reason, message):
        return jsonify({"error": {"code": status, "message": message,
                                  "errors": [{"message": message, "domain": "youtube", "reason": reason}]}}), status

    @app.post("/google-api/upload/youtube/v3/videos")
    def youtube_open_session():
        if not bearer():
            return google_error(401, "authError", "Request had invalid authentication credentials.")
        if request.args.get("uploadType") != "resumable" or request.args.get("part") != "snippet,status":
            return google_error(400, "invalidParameter", "uploadType=resumable and part=snippet,status expected")
        body = request.get_json()
        title = body.get("snippet", {}).get("title", "")
        status = body.get("status", {})
        if not title or len(title) > 100:
            return google_error(400, "invalidTitle", "The request metadata specifies an invalid video title.")
        if status.get("privacyStatus") not in ("public", "unlisted", "private"):
            return google_error(400, "invalidVideoMetadata", "The request metadata is invalid.")
        if status.get("publishAt") and status["privacyStatus"] != "private":
            return google_error(400, "invalidPublishAt", "publishAt needs privacyStatus private.")
        upload_id = f"AEnB2U{next(state.counter)}"
        state.youtube_uploads[upload_id] = {"metadata": body, "size": int(request.headers["X-Upload-Content-Length"]),
                                            "type": request.headers["X-Upload-Content-Type"], "data": bytearray(),
                                            "puts": [], "status_queries": 0}
        location = f"{state.base_url}/google-api/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        return "", 200, {"Location": location}

    @app.put("/google-api/upload/youtube/v3/videos")
    def youtube_upload_bytes():
        upload = state.youtube_uploads.get(request.args.get("upload_id", ""))
        if upload is None:
            return google_error(404, "notFound", "The upload session was not found.")
        received = len(upload["data"])

        def resume_incomplete():
            headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
            return "", 308, headers

        content_range = request.headers.get("Content-Range", "")
        if content_range == f"bytes */{upload['size']}":
            upload["status_queries"] += 1
            return finished_video(upload) if received == upload["size"] else resume_incomplete()
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
        if not match or int(match[1]) != received or int(match[3]) != upload["size"]:
            return google_error(400, "badContent", f"Expected bytes from {received}")
        length = int(match[2]) - int(match[1]) + 1
        last = int(match[2]) + 1 == upload["size"]
        if length % CHUNK_UNIT and not last:
            return google_error(400, "badContent", "Chunks must be multiples of 256 KiB.")
        if state.youtube_breaks and state.youtube_breaks[0] < received + length:
            # The connection drops mid-chunk: the server keeps whole 256 KiB units of what arrived.
            cut = state.youtube_breaks.pop(0)
            kept = request.stream.read(cut - received) if cut > received else b""
            upload["data"] += kept[:len(kept) - len(kept) % CHUNK_UNIT]
            upload["puts"].append((received, "broken"))
            socket = request.environ.get("werkzeug.socket")
            socket.shutdown(2)
            socket.close()
            return "", 500
        body = request.get_data()
        if len(body) != length:
            return google_error(400, "badContent", "Body length does not match Content-Range")
        upload["puts"].append((received, length))
        upload["data"] += body
        return finished_video(upload) if last else (resume_incomplete_after(upload))

    def resume_incomplete_after(upload):
        return "", 308, {"Range": f"bytes=0-{len(upload['data']) - 1}"}

    def finished_video(upload):
        if "video_id" not in upload:
            upload["video_id"] = f"dQw4w9W{next(state.counter):04d}"
        meta = upload["metadata"]
        return jsonify({"kind": "youtube#video", "id": upload["video_id"], "snippet": meta["snippet"],
                        "status": {**meta["status"], "uploadStatus": "uploaded"}}), 200

    @app.get("/google-api/youtube/v3/videos")
    def youtube_videos():
        if not bearer():
            return google_error(401, "authError", "Request had invalid authentication credentials.")
        ids = request.args.get("id", "").split(",")
        items = [{"kind": "youtube#video", "id": upload["video_id"], "statistics": {
            "viewCount": "8800", "likeCount": "410", "favoriteCount": "0", "commentCount": "37"}}
            for upload in state.youtube_uploads.values() if upload.get("video_id") in ids]
        return jsonify({"kind": "youtube#videoListResponse", "items": items})

    # ---- Instagram content publishing -------------------------------------------------------

    def meta_error(message, code, status=400, subcode=None):
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
        if subcode:
            error["error_subcode"] = subcode
        return jsonify({"error": error}), status

    def instagram_token_error():
        if not bearer():
            return meta_error("Error validating access token: Session has expired", 190, subcode=463)
        return None

    @app.get("/ig-graph/v21.0/<user>/content_publishing_limit")
    def instagram_limit(user):
        return instagram_token_error() or jsonify({"data": [{"quota_usage": state.instagram_quota_usage,
                                                             "config": {"quota_total": 100, "quota_duration": 86400}}]})

    @app.post("/ig-graph/v21.0/<user>/media")
    def instagram_container(user):
        error = instagram_token_error()
        if error:
            return error
        values = request.form
        container = str(17_900_000_000_000_000 + next(state.counter))
        record = {"user": user, "caption": values.get("caption"), "polls": 0, "carousel_item": values.get("is_carousel_item") == "true"}
        if len(values.get("caption") or "") > 2200:
            return meta_error("(#100) The caption is too long.", 100)
        if values.get("media_type") == "CAROUSEL":
            children = values.get("children", "").split(",")
            if not 2 <= len(children) <= 10 or any(not state.instagram_containers.get(c, {}).get("carousel_item")
                                                   for c in children):
                return meta_error("(#100) A carousel needs 2 to 10 carousel item containers.", 100)
            record.update(kind="CAROUSEL", children=children, ready=True)
        elif values.get("media_type") in ("REELS", "VIDEO"):
            if values.get("upload_type") != "resumable":
                return meta_error("(#100) video_url or upload_type=resumable is required.", 100)
            record.update(kind=values["media_type"], ready=False, bytes=0, share_to_feed=values.get("share_to_feed"))
        elif values.get("image_url"):
            # Instagram fetches the image itself, from the address it was given.
            try:
                fetched = requests.get(values["image_url"], timeout=10)
            except requests.RequestException:
                return meta_error("(#9004) The media could not be fetched from this uri.", 9004)
            if fetched.status_code != 200 or not fetched.headers.get("Content-Type", "").startswith("image/jpeg"):
                return meta_error("(#9004) The media could not be fetched from this uri.", 9004)
            record.update(kind="IMAGE", ready=True, bytes=len(fetched.content))
        else:
            return meta_error("(#100) The parameter image_url is required.", 100)
        state.instagram_containers[container] = record
        answer = {"id": container}
        if not record["ready"]:
            answer["uri"] = f"{state.base_url}/ig-rupload/ig-api-upload/v21.0/{container}"
        return jsonify(answer)

    @app.post("/ig-rupload/ig-api-upload/v21.0/<container>")
    def instagram_rupload(container):
        record = state.instagram_containers.get(container)
        token = request.headers.get("Authorization", "").removeprefix("OAuth ")
        if record is None or token not in state.tokens:
            return jsonify({"debug_info": {"type": "ProcessingFailedError", "message": "Invalid token or container"}}), 400
        body = request.get_data()
        if request.headers.get("offset") != "0" or int(request.headers.get("File-Size", -1)) != len(body):
            return jsonify({"debug_info": {"type": "ProcessingFailedError", "message": "file_size does not match the body"}}), 400
        record.update(bytes=len(body), ready=True)
        return jsonify({"success": True, "message": "Upload successful."})

    @app.get("/ig-graph/v21.0/<object_id>")
    def instagram_object(object_id):
        error = instagram_token_error()
        if error:
            return error
        if object_id in state.instagram_media:
            return jsonify({"id": object_id, "permalink": state.instagram_media[object_id]["permalink"]})
        record = state.instagram_containers.get(object_id)
        if record is None or "status_code" not in request.args.get("fields", ""):
            return meta_error("(#100) Unsupported get request.", 100)
        record["polls"] += 1
        if record.get("published"):
            code = "PUBLISHED"
        elif not record["ready"] or (record["kind"] in ("REELS", "VIDEO") and record["polls"] < 2):
            code = "IN_PROGRESS"
        else:
            code = "FINISHED"
        return jsonify({"id": object_id, "status_code": code, "status": code})

    @app.post("/ig-graph/v21.0/<user>/media_publish")
    def instagram_publish(user):
        error = instagram_token_error()
        if error:
            return error
        record = state.instagram_containers.get(request.form.get("creation_id", ""))
        if record is None or record["user"] != user or record["carousel_item"]:
            return meta_error("(#100) The parameter creation_id is invalid.", 100)
        if not record["ready"] or record["polls"] == 0:
            return meta_error("Media ID is not available", 9007, subcode=2207027)
        if record.get("published"):
            return meta_error("(#100) This container was already published.", 100)
        record["published"] = True
        media_id = str(18_000_000_000_000_000 + next(state.counter))
        kind = "reel" if record["kind"] == "REELS" else "p"
        state.instagram_media[media_id] = {"container": record, "permalink": f"https://www.instagram.com/{kind}/C{media_id[-6:]}/"}
        state.instagram_quota_usage += 1
        if state.failures.pop("ig-publish-then-fail", None):  # it went out, but the answer is lost
            return jsonify({"error": {"message": "An unknown error occurred", "code": 1, "is_transient": False}}), 500
        return jsonify({"id": media_id})

    @app.get("/ig-graph/v21.0/<user>/media")
    def instagram_media_list(user):
        error = instagram_token_error()
        if error:
            return error
        items = [{"id": media_id, "caption": item["container"]["caption"], "timestamp": "2026-11-22T10:00:00+0000"}
                 for media_id, item in reversed(list(state.instagram_media.items())) if item["container"]["user"] == user]
        return jsonify({"data": items[: int(request.args.get("limit", 25))], "paging": {}})

    @app.get("/ig-graph/v21.0/<media_id>/insights")
    def instagram_insights(media_id):
        error = instagram_token_error()
        if error:
            return error
        if media_id not in state.instagram_media:
            return meta_error("(#100) Unsupported get request.", 100)
        values = {"views": 2300, "likes": 150, "comments": 9, "shares": 7, "saved": 21}
        metrics = request.args.get("metric", "").split(",")
        return jsonify({"data": [{"name": name, "period": "lifetime", "values": [{"value": values[name]}],
                                  "title": name.title(), "id": f"{media_id}/insights/{name}/lifetime"}
                                 for name in metrics if name in values]})

    return app


class MetaUploadHeaders(WSGIRequestHandler):
    """Werkzeug drops headers with underscores; Meta's upload hosts read `file_size`, so keep it."""

    def make_environ(self):
        environ = super().make_environ()
        if self.headers.get("file_size") is not None:
            environ["HTTP_FILE_SIZE"] = self.headers["file_size"]
        return environ


class FakePlatformServer:
    def __init__(self):
        self.state = FakePlatforms()
        self.server = make_server("127.0.0.1", 0, create_fake_app(self.state), threaded=True,
                                  request_handler=MetaUploadHeaders)
        self.state.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.state

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)
