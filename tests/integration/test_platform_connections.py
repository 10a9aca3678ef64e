"""Each of the six real platforms, against a fake server on loopback that answers with the
documented shapes: the authorize redirect, the code exchange, the account fetch, refresh, revoke."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from studio.connections import service
from studio.connections.models import PendingConnection, PlatformConnection
from studio.extensions import db
from studio.platforms.errors import AuthError
from tests.factories import make_studio, owner_of

REDIRECT = "http://localhost/connections/callback/{}"
EXPECTED_AUTHORIZE = {
    "tiktok": {"path": "/tiktok-web/v2/auth/authorize/", "client_key": "tiktok-client-id",
               "scope": "user.info.basic,user.info.stats,video.list,video.upload,video.publish", "pkce": True},
    "instagram": {"path": "/ig-web/oauth/authorize", "client_id": "instagram-client-id",
                  "scope": "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights",
                  "pkce": False},
    "youtube": {"path": "/google-accounts/o/oauth2/v2/auth", "client_id": "youtube-client-id",
                "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly",
                "access_type": "offline", "prompt": "consent", "pkce": True},
    "facebook": {"path": "/fb-web/v21.0/dialog/oauth", "client_id": "facebook-client-id",
                 "scope": "pages_show_list,pages_manage_posts,pages_read_engagement,read_insights", "pkce": False},
    "x": {"path": "/x-web/i/oauth2/authorize", "client_id": "x-client-id",
          "scope": "tweet.read tweet.write users.read media.write offline.access", "pkce": True},
    "linkedin": {"path": "/linkedin/oauth/v2/authorization", "client_id": "linkedin-client-id",
                 "scope": "openid profile w_member_social", "pkce": False},
}
EXPECTED_ACCOUNT = {"tiktok": "mayacooks", "instagram": "northwind.cooks", "youtube": "@northwindkitchen",
                    "x": "northwind", "linkedin": "Maya Ortiz"}


@pytest.fixture
def fake(fake_platforms):
    return fake_platforms


@pytest.fixture
def maker(app):
    return make_studio(name="Northwind")


def start(client, workspace, platform):
    response = client.submit(f"/w/{workspace.slug}/connections/{platform}/connect")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def approve_at(authorize_url):
    """The user clicks Allow on the platform: it redirects back to the studio's callback."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def connect(client, workspace, platform):
    return client.get(approve_at(start(client, workspace, platform)))


def stored(platform=None):
    query = select(PlatformConnection)
    if platform:
        query = query.where(PlatformConnection.platform == platform)
    return db.session.execute(query).scalars().all()


@pytest.mark.parametrize("platform", list(EXPECTED_AUTHORIZE))
def test_the_authorize_redirect_carries_the_documented_parameters(fake, maker, platform):
    workspace, client = maker.workspace, maker.browser
    url = urlsplit(start(client, workspace, platform))
    params = {key: values[0] for key, values in parse_qs(url.query).items()}
    expected = EXPECTED_AUTHORIZE[platform]
    assert url.path == expected["path"]
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == REDIRECT.format(platform)
    assert params["scope"] == expected["scope"]
    assert len(params["state"]) >= 32
    for key in ("client_id", "client_key", "access_type", "prompt"):
        if key in expected:
            assert params[key] == expected[key], key
    if expected["pkce"]:
        assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    else:
        assert "code_challenge" not in params


@pytest.mark.parametrize("platform", ["tiktok", "instagram", "youtube", "x", "linkedin"])
def test_connecting_exchanges_the_code_fetches_the_account_and_stores_sealed_tokens(fake, maker, platform):
    workspace, client = maker.workspace, maker.browser
    response = connect(client, workspace, platform)
    assert response.status_code == 303 and response.headers["Location"] == f"/w/{workspace.slug}/connections"
    [connection] = stored(platform)
    assert connection.username == EXPECTED_ACCOUNT[platform]
    assert connection.status == "active" and connection.workspace_id == workspace.id
    assert connection.access_token in fake.tokens and connection.expires_at is not None
    page = client.text(f"/w/{workspace.slug}/connections")
    assert f"@{EXPECTED_ACCOUNT[platform]}" in page and "Connected" in page


def test_instagram_trades_the_short_token_for_a_long_lived_one(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "instagram")
    assert fake.calls_to("/ig-graph/access_token")[0]["args"]["grant_type"] == "ig_exchange_token"
    [connection] = stored("instagram")
    assert (connection.expires_at - connection.last_refreshed_at).days >= 59
    assert "instagram_business_content_publish" in connection.scopes


def test_facebook_lets_the_user_pick_which_pages_to_connect(fake, maker):
    workspace, client = maker.workspace, maker.browser
    response = connect(client, workspace, "facebook")
    assert response.status_code == 303 and "/connections/pick/" in response.headers["Location"]
    assert stored() == [] and db.session.execute(select(PendingConnection)).scalar_one()
    pick_page = client.text(response.headers["Location"])
    assert "Northwind Kitchen" in pick_page and "Northwind Travel" in pick_page

    nothing = client.submit(response.headers["Location"], {})
    assert nothing.status_code == 422 and "Choose at least one Page." in nothing.get_data(as_text=True)
    client.submit(response.headers["Location"], {"accounts": ["202"]})
    [page] = stored("facebook")
    assert page.username == "Northwind Travel" and page.account_id == "202"
    assert page.access_token.startswith("facebook-page-access-"), "the Page's own token is stored"
    assert page.expires_at is None
    assert db.session.execute(select(PendingConnection)).first() is None


def test_x_refresh_rotates_the_refresh_token(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "x")
    [connection] = stored("x")
    old_access, old_refresh = connection.access_token, connection.refresh_token
    service.refresh_connection(connection)
    assert connection.access_token != old_access and connection.refresh_token != old_refresh
    assert old_refresh not in fake.refresh_tokens, "X retired the old refresh token"


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "youtube")
    [connection] = stored("youtube")
    old_access, old_refresh = connection.access_token, connection.refresh_token
    service.refresh_connection(connection)
    db.session.expire_all()
    assert connection.access_token != old_access
    assert connection.refresh_token == old_refresh


def test_tiktok_and_instagram_refresh_as_documented(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "tiktok")
    connect(client, workspace, "instagram")
    tiktok, instagram = stored("tiktok")[0], stored("instagram")[0]
    old = (tiktok.refresh_token, instagram.access_token)
    service.refresh_connection(tiktok)
    service.refresh_connection(instagram)
    assert tiktok.refresh_token != old[0] and fake.calls_to("/tiktok/v2/oauth/token/")[-1]["form"]["client_key"]
    assert instagram.access_token != old[1]
    assert fake.calls_to("/ig-graph/refresh_access_token")[-1]["args"]["grant_type"] == "ig_refresh_token"


def test_a_failed_refresh_marks_the_connection_expired_and_tells_the_admins(fake, maker, outbox):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "x")
    [connection] = stored("x")
    fake.refresh_tokens.clear()  # X forgot the app's refresh tokens
    with pytest.raises(AuthError):
        service.refresh_connection(connection)
    assert connection.status == "expired" and "invalid" in connection.last_error.lower()
    [mail] = outbox.to(owner_of(workspace).email)
    assert mail["Subject"] == "Reconnect X account @northwind"
    page = client.text(f"/w/{workspace.slug}/connections")
    assert 'class="badge status expired"' in page and "Reconnect" in page


def test_linkedin_cannot_refresh_so_it_offers_no_refresh_and_keeps_working(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "linkedin")
    [connection] = stored("linkedin")
    page = client.text(f"/w/{workspace.slug}/connections")
    assert f"/connections/{connection.id}/refresh" not in page, "no Refresh button for LinkedIn"
    response = client.submit(f"/w/{workspace.slug}/connections/{connection.id}/refresh", htmx=True)
    assert "offers no refresh for this account; reconnect it before the token runs out" in response.get_data(as_text=True)
    db.session.expire_all()
    assert connection.status == "active", "a working token is not thrown away"


def test_reconnecting_an_expired_account_makes_it_active_again(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "x")
    [connection] = stored("x")
    connection.status, connection.last_error = "expired", "revoked"
    db.session.commit()
    response = client.submit(f"/w/{workspace.slug}/connections/{connection.id}/reconnect")
    client.get(approve_at(response.headers["Location"]))
    db.session.expire_all()
    [again] = stored("x")
    assert again.id == connection.id and again.status == "active" and again.last_error is None


def test_disconnecting_revokes_at_the_platform_and_deletes_the_tokens(fake, maker):
    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "youtube")
    [connection] = stored("youtube")
    refresh_token = connection.refresh_token
    response = client.submit(f"/w/{workspace.slug}/connections/{connection.id}/disconnect", htmx=True)
    assert "its tokens are deleted and revoked" in response.get_data(as_text=True)
    assert ("youtube", refresh_token) in fake.revoked
    assert stored() == []


def test_a_token_endpoint_that_answers_500_ends_on_a_clear_page_and_stores_nothing(fake, maker):
    workspace, client = maker.workspace, maker.browser
    fake.fail("/x-api/2/oauth2/token", 500)
    response = connect(client, workspace, "x")
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "Connecting X did not work" in html and "not answering properly" in html and "Nothing was saved." in html
    assert stored() == []


def test_a_replayed_code_is_refused_and_stores_nothing_more(fake, maker):
    workspace, client = maker.workspace, maker.browser
    callback = approve_at(start(client, workspace, "x"))
    client.get(callback)
    assert len(stored("x")) == 1
    code = parse_qs(urlsplit(callback).query)["code"][0]
    fresh_state = parse_qs(urlsplit(start(client, workspace, "x")).query)["state"][0]
    response = client.get(f"/connections/callback/x?code={code}&state={fresh_state}")
    assert response.status_code == 400
    assert "did not accept the sign-in" in response.get_data(as_text=True)
    assert len(stored("x")) == 1


def test_the_refresh_job_refreshes_tokens_that_expire_soon(fake, maker, app):
    from datetime import timedelta

    from studio.database import utcnow
    from studio.jobs import run_job

    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "x")
    connect(client, workspace, "linkedin")
    x, linkedin = stored("x")[0], stored("linkedin")[0]
    x.expires_at = utcnow() + timedelta(minutes=5)
    linkedin.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    old_access = x.access_token
    outcome = run_job(app, "refresh_connections")
    assert outcome == {"refreshed": 1, "expired": 1, "failed": 0}
    db.session.expire_all()
    assert x.access_token != old_access and x.status == "active"
    assert linkedin.status == "expired"


def test_an_outage_during_refresh_leaves_the_connection_active(fake, maker):
    from studio.platforms.errors import RetryableError

    workspace, client = maker.workspace, maker.browser
    connect(client, workspace, "x")
    [connection] = stored("x")
    fake.fail("/x-api/2/oauth2/token", 503)
    with pytest.raises(RetryableError):
        service.refresh_connection(connection)
    assert connection.status == "active" and "503" in connection.last_error


def test_pages_let_connect_buttons_be_redirected_to_configured_platforms_only(app, fake):
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    form_action = next(part for part in csp.split("; ") if part.startswith("form-action"))
    assert form_action == f"form-action 'self' {fake.base_url}"
    for key in ("TIKTOK", "INSTAGRAM", "YOUTUBE", "FACEBOOK", "X", "LINKEDIN"):
        app.config[f"{key}_CLIENT_ID"] = ""
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self';" in csp
