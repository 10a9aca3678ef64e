"""The built-in sandbox platform: a real OAuth 2 provider and API, reached over HTTP on loopback,
and the connect flow's failures, each ending on a clear page with nothing stored."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from studio.connections import service
from studio.connections.models import PlatformConnection
from studio.extensions import db
from studio.platforms.errors import AuthError
from studio.sandbox.models import SandboxToken
from tests.factories import PASSWORD, make_workspace, owner_of
from tests.helpers import HttpBrowser


@pytest.fixture
def maker(app, live_server):
    workspace = make_workspace(name="Sandbox Studio")
    browser = HttpBrowser(live_server)
    browser.log_in(owner_of(workspace).email, PASSWORD)
    return workspace, browser


def start_sandbox_connect(browser, workspace):
    page = browser.get(f"/w/{workspace.slug}/connections")
    return browser.submit(page, action=f"/w/{workspace.slug}/connections/sandbox/connect", allow_redirects=False)


def consent_page(browser, workspace):
    started = start_sandbox_connect(browser, workspace)
    assert started.status_code == 303
    page = browser.get(started.headers["Location"])
    assert page.status_code == 200 and "Allow Studio to use your Sandbox account?" in page.text
    return page


def connect_sandbox(browser, workspace, handle="maya_cooks"):
    page = consent_page(browser, workspace)
    return browser.submit(page, {"handle": handle, "display_name": "Maya Cooks", "allow": "Allow"})


def connections():
    db.session.expire_all()
    return db.session.execute(select(PlatformConnection)).scalars().all()


def test_connecting_a_sandbox_account_through_its_consent_page(maker):
    workspace, browser = maker
    landed = connect_sandbox(browser, workspace)
    assert landed.url.endswith(f"/w/{workspace.slug}/connections")
    assert "Connected Sandbox account @maya_cooks" in landed.text
    [connection] = connections()
    assert connection.username == "maya_cooks" and connection.status == "active"
    assert connection.scopes == ["profile", "publish", "metrics"]
    assert connection.refresh_token and connection.expires_at


def test_several_accounts_of_one_platform_can_be_connected(maker):
    workspace, browser = maker
    connect_sandbox(browser, workspace, "first_account")
    connect_sandbox(browser, workspace, "second_account")
    assert sorted(c.username for c in connections()) == ["first_account", "second_account"]


def test_a_denied_consent_ends_on_a_clear_page_and_stores_nothing(maker):
    workspace, browser = maker
    page = consent_page(browser, workspace)
    response = browser.submit(page, {"handle": "maya_cooks", "deny": "Deny"})
    assert response.status_code == 400
    assert "You declined the request on Sandbox, so nothing was connected." in response.text
    assert connections() == []


def test_a_mismatched_state_ends_on_a_clear_page_and_stores_nothing(maker):
    workspace, browser = maker
    page = consent_page(browser, workspace)
    approved = browser.submit(page, {"handle": "maya_cooks", "allow": "Allow"}, allow_redirects=False)
    callback = approved.headers["Location"]
    forged = re.sub(r"state=[^&]+", "state=forged-state-value", callback)
    response = browser.get(forged)
    assert response.status_code == 400
    assert "could not be matched to one you started here" in response.text
    assert connections() == []


def test_a_missing_pkce_verifier_ends_on_a_clear_page_and_stores_nothing(maker, app):
    workspace, browser = maker
    page = consent_page(browser, workspace)
    # The verifier disappears from the session (as if the cookie were trimmed by a proxy).
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(browser.http.cookies["session"])
    for flow in session["oauth_flows"].values():
        flow["verifier"] = None
    browser.http.cookies.set("session", serializer.dumps(session), domain=urlsplit(page.url).hostname)
    response = browser.submit(page, {"handle": "maya_cooks", "allow": "Allow"})
    assert response.status_code == 400
    assert "lost its PKCE verifier" in response.text
    assert connections() == []


def test_the_sandbox_refuses_an_authorization_request_without_pkce(maker, live_server, app):
    """The error goes back to the client's redirect URI, with the state, as RFC 6749 4.1.2.1 says."""
    from studio.platforms import get_platform

    workspace, browser = maker
    sandbox = get_platform("sandbox")
    url = (f"{live_server}/sandbox/oauth/authorize?response_type=code&client_id={sandbox.client_id}&state=abc"
           f"&redirect_uri={live_server}/connections/callback/sandbox&scope=profile")
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["abc"]
    assert "PKCE is required" in query["error_description"][0]


def test_the_sandbox_sends_codes_only_to_the_studios_own_callback(maker, live_server, app):
    from studio.platforms import get_platform

    workspace, browser = maker
    sandbox = get_platform("sandbox")
    url = (f"{sandbox.authorize_url}?response_type=code&client_id={sandbox.client_id}&state=abc&scope=profile"
           f"&code_challenge={'a' * 43}&code_challenge_method=S256"
           f"&redirect_uri=https://evil.example/connections/callback/sandbox")
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 400 and "evil.example" not in response.headers.get("Location", "")


def test_a_replayed_code_is_refused_by_the_sandbox(maker, app):
    workspace, browser = maker
    page = consent_page(browser, workspace)
    approved = browser.submit(page, {"handle": "maya_cooks", "allow": "Allow"}, allow_redirects=False)
    callback = approved.headers["Location"]
    browser.get(callback)
    assert len(connections()) == 1
    code = parse_qs(urlsplit(callback).query)["code"][0]
    started = start_sandbox_connect(browser, workspace)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    response = browser.get(f"/connections/callback/sandbox?code={code}&state={state}")
    assert response.status_code == 400 and "did not accept the sign-in" in response.text
    assert len(connections()) == 1


def test_sandbox_refresh_tokens_rotate_and_the_old_one_stops_working(maker):
    workspace, browser = maker
    connect_sandbox(browser, workspace)
    [connection] = connections()
    old_refresh = connection.refresh_token
    service.refresh_connection(connection)
    assert connection.refresh_token != old_refresh
    connection.refresh_token = old_refresh
    with pytest.raises(AuthError):
        service.refresh_connection(connection)
    assert connection.status == "expired"


def test_when_the_sandbox_revokes_everything_the_connection_expires(maker):
    workspace, browser = maker
    connect_sandbox(browser, workspace)
    panel = browser.get("/sandbox/")
    revoked = browser.submit(panel, action="/sandbox/revoke-all")
    assert "The sandbox revoked 1 token" in revoked.text
    [connection] = connections()
    page = browser.get(f"/w/{workspace.slug}/connections")
    refreshed = browser.submit(page, action=f"/w/{workspace.slug}/connections/{connection.id}/refresh")
    assert "needs reconnecting" in refreshed.text and 'class="badge status expired"' in refreshed.text


def test_disconnecting_revokes_the_token_at_the_sandbox(maker):
    workspace, browser = maker
    connect_sandbox(browser, workspace)
    [connection] = connections()
    page = browser.get(f"/w/{workspace.slug}/connections")
    response = browser.submit(page, action=f"/w/{workspace.slug}/connections/{connection.id}/disconnect")
    assert "its tokens are deleted and revoked" in response.text
    assert connections() == []
    assert all(token.refresh_revoked for token in db.session.execute(select(SandboxToken)).scalars())


# ---- the sandbox API ---------------------------------------------------------------------------


@pytest.fixture
def api(maker, live_server):
    workspace, browser = maker
    connect_sandbox(browser, workspace)
    [connection] = connections()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {connection.access_token}"
    session.base = f"{live_server}/sandbox/api/v1"
    return session


def test_the_api_needs_a_valid_bearer_token(live_server):
    response = requests.get(f"{live_server}/sandbox/api/v1/me", timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "missing_authorization"


def test_publishing_text_and_a_chunked_video_then_reading_metrics(api, live_server):
    me = api.get(f"{api.base}/me", timeout=10).json()
    assert me["handle"] == "maya_cooks"
    media = api.post(f"{api.base}/media", json={"kind": "video", "mime_type": "video/mp4", "total_bytes": 10}, timeout=10).json()
    assert api.put(f"{api.base}/media/{media['id']}/parts/0", data=b"12345", timeout=10).json()["next_part"] == 1
    assert api.put(f"{api.base}/media/{media['id']}/parts/0", data=b"12345", timeout=10).json()["received_bytes"] == 5
    early = api.post(f"{api.base}/posts", json={"text": "too soon", "media_ids": [media["id"]]}, timeout=10)
    assert early.status_code == 409
    api.put(f"{api.base}/media/{media['id']}/parts/1", data=b"67890", timeout=10)
    assert api.post(f"{api.base}/media/{media['id']}/finalize", timeout=10).json()["status"] == "ready"

    created = api.post(f"{api.base}/posts", json={"text": "Pasta night 🍝", "media_ids": [media["id"]],
                                                  "client_reference": "delivery-1"}, timeout=10)
    assert created.status_code == 201
    post = created.json()
    again = api.post(f"{api.base}/posts", json={"text": "Pasta night 🍝", "client_reference": "delivery-1"}, timeout=10)
    assert again.json()["id"] == post["id"], "the same client reference never makes a second post"
    found = api.get(f"{api.base}/posts", params={"client_reference": "delivery-1"}, timeout=10).json()["data"]
    assert [p["id"] for p in found] == [post["id"]]

    metrics = api.get(f"{api.base}/posts/{post['id']}/metrics", timeout=10).json()
    assert set(metrics) >= {"views", "likes", "comments", "shares"}
    stats = api.get(f"{api.base}/me/stats", timeout=10).json()
    assert stats["posts"] == 1 and stats["followers"] > 0
    public = requests.get(post["url"], timeout=10)
    assert public.status_code == 200 and "Pasta night" in public.text


def test_switchable_faults_answer_429_with_retry_after_and_503(api, maker):
    from studio.sandbox.service import set_faults

    set_faults(error_rate=0.0, rate_limit_rate=1.0, retry_after_seconds=17, latency_ms=0)
    limited = api.get(f"{api.base}/me", timeout=10)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "17"
    set_faults(error_rate=1.0, rate_limit_rate=0.0, retry_after_seconds=17, latency_ms=0)
    assert api.get(f"{api.base}/me", timeout=10).status_code == 503
    set_faults(0.0, 0.0, 30, 0)
    assert api.get(f"{api.base}/me", timeout=10).status_code == 200


def test_a_workspace_never_reaches_another_workspaces_connection(maker, app):
    workspace, browser = maker
    connect_sandbox(browser, workspace)
    [connection] = connections()
    other = make_workspace(name="Elsewhere")
    client = app.test_client().log_in_as(owner_of(other))
    for action in ("refresh", "reconnect", "disconnect"):
        assert client.submit(f"/w/{other.slug}/connections/{connection.id}/{action}").status_code == 404
    assert "@maya_cooks" not in client.text(f"/w/{other.slug}/connections")


def test_connecting_works_when_the_studio_is_opened_as_localhost(app, live_server):
    workspace = make_workspace(name="Local Host")
    browser = HttpBrowser(live_server.replace("127.0.0.1", "localhost"))
    browser.log_in(owner_of(workspace).email, PASSWORD)
    landed = connect_sandbox(browser, workspace, "via_localhost")
    assert "Connected Sandbox account @via_localhost" in landed.text


def test_a_rate_limited_refresh_leaves_the_connection_active(maker):
    from studio.platforms.errors import RetryableError
    from studio.sandbox.service import set_faults

    workspace, browser = maker
    connect_sandbox(browser, workspace)
    [connection] = connections()
    set_faults(error_rate=0.0, rate_limit_rate=1.0, retry_after_seconds=42, latency_ms=0)
    with pytest.raises(RetryableError) as raised:
        service.refresh_connection(connection)
    assert raised.value.retry_after == 42.0
    assert connection.status == "active" and "429" in connection.last_error
    set_faults(0.0, 0.0, 30, 0)
    service.refresh_connection(connection)
    assert connection.status == "active" and connection.last_error is None


def test_reconnecting_a_card_with_another_account_changes_nothing(maker):
    workspace, browser = maker
    connect_sandbox(browser, workspace, "the_right_one")
    [connection] = connections()
    page = browser.get(f"/w/{workspace.slug}/connections")
    started = browser.submit(page, action=f"/w/{workspace.slug}/connections/{connection.id}/reconnect",
                             allow_redirects=False)
    consent = browser.get(started.headers["Location"])
    response = browser.submit(consent, {"handle": "someone_else", "allow": "Allow"})
    assert response.status_code == 400
    assert "but this card is @the_right_one" in response.text
    assert [c.username for c in connections()] == ["the_right_one"]


def test_a_sandbox_handle_belongs_to_the_user_who_made_it(maker, app, live_server):
    workspace, browser = maker
    connect_sandbox(browser, workspace, "taken_handle")
    other_workspace = make_workspace(name="Other Team")
    intruder = HttpBrowser(live_server)
    intruder.log_in(owner_of(other_workspace).email, PASSWORD)
    page = consent_page(intruder, other_workspace)
    response = intruder.submit(page, {"handle": "taken_handle", "allow": "Allow"})
    assert response.status_code == 422 and "This handle belongs to another Studio user." in response.text
    assert [c.workspace_id for c in connections()] == [workspace.id]


def test_in_production_only_listed_operators_run_the_sandbox_panel(maker, app):
    workspace, browser = maker
    app.config.update(STUDIO_ENV="production", SANDBOX_OPERATORS="ops@example.com")
    assert browser.get("/sandbox/").status_code == 403
    panel_token = browser.get(f"/w/{workspace.slug}/connections")
    assert browser.submit(panel_token, action="/sandbox/revoke-all").status_code == 403
    app.config["SANDBOX_OPERATORS"] = owner_of(workspace).email
    assert browser.get("/sandbox/").status_code == 200


def test_bad_api_input_gets_a_json_error_not_a_crash(api):
    for path, body in [("/media", {"kind": "video", "mime_type": "video/mp4", "total_bytes": "abc"}),
                       ("/media", ["not", "an", "object"]), ("/posts", {"text": "x", "media_ids": 5}),
                       ("/posts", {"text": "x", "client_reference": {"a": 1}}), ("/posts", {"text": ""})]:
        response = api.post(f"{api.base}{path}", json=body, timeout=10)
        assert response.status_code == 400 and response.json()["error"]["message"], (path, body)


def test_reconnect_opens_the_consent_page_with_the_cards_handle_filled_in(maker):
    workspace, browser = maker
    connect_sandbox(browser, workspace, "maya_cooks")
    [connection] = connections()
    page = browser.get(f"/w/{workspace.slug}/connections")
    started = browser.submit(page, action=f"/w/{workspace.slug}/connections/{connection.id}/reconnect",
                             allow_redirects=False)
    consent = browser.get(started.headers["Location"])
    handle_input = re.search(r'<input[^>]*name="handle"[^>]*>', consent.text).group(0)
    assert 'value="maya_cooks"' in handle_input

    # Allow, as the page stands, renews the same card.
    response = browser.submit(consent, {"handle": "maya_cooks", "allow": "Allow"})
    assert response.status_code == 200 and "Connected Sandbox account @maya_cooks" in response.text
    assert [(c.id, c.username) for c in connections()] == [(connection.id, "maya_cooks")]
