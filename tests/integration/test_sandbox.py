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
from tests.factories import PASSWORD, Studio, make_workspace, owner_of
from tests.helpers import HttpBrowser, errors_next_to


@pytest.fixture
def maker(app, live_server):
    workspace = make_workspace(name="Sandbox Studio")
    owner = owner_of(workspace)
    browser = HttpBrowser(live_server)
    browser.log_in(owner.email, PASSWORD)
    return Studio(workspace, owner, browser)


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
    workspace, browser = maker.workspace, maker.browser
    landed = connect_sandbox(browser, workspace)
    assert landed.url.endswith(f"/w/{workspace.slug}/connections")
    assert "Connected Sandbox account @maya_cooks" in landed.text
    [connection] = connections()
    assert connection.username == "maya_cooks" and connection.status == "active"
    assert connection.scopes == ["profile", "publish", "metrics"]
    assert connection.refresh_token and connection.expires_at


def test_several_accounts_of_one_platform_can_be_connected(maker):
    workspace, browser = maker.workspace, maker.browser
    connect_sandbox(browser, workspace, "first_account")
    connect_sandbox(browser, workspace, "second_account")
    assert sorted(c.username for c in connections()) == ["first_account", "second_account"]


def test_a_denied_consent_ends_on_a_clear_page_and_stores_nothing(maker):
    workspace, browser = maker.workspace, maker.browser
    page = consent_page(browser, workspace)
    response = browser.submit(page, {"handle": "maya_cooks", "deny": "Deny"})
    assert response.status_code == 400
    assert "You declined the request on Sandbox, so nothing was connected." in response.text
    assert connections() == []


def test_a_mismatched_state_ends_on_a_clear_page_and_stores_nothing(maker):
    workspace, browser = maker.workspace, maker.browser
    page = consent_page(browser, workspace)
    approved = browser.submit(page, {"handle": "maya_cooks", "allow": "Allow"}, allow_redirects=False)
    callback = approved.headers["Location"]
    forged = re.sub(r"state=[^&]+", "state=forged-state-value", callback)
    response = browser.get(forged)
    assert response.status_code == 400
    assert "could not be matched to one you started here" in response.text
    assert connections() == []


def test_a_missing_pkce_verifier_ends_on_a_clear_page_and_stores_nothing(maker, app):
    workspace, browser = maker.workspace, maker.browser
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

    browser = maker.browser
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

    browser = maker.browser
    sandbox = get_platform("sandbox")
    url = (f"{sandbox.authorize_url}?response_type=code&client_id={sandbox.client_id}&state=abc&scope=profile"
           f"&code_challenge={'a' * 43}&code_challenge_method=S256"
           f"&redirect_uri=https://evil.example/connections/callback/sandbox")
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 400 and "evil.example" not in response.headers.get("Location", "")


def test_a_replayed_code_is_refused_by_the_sandbox(maker, app):
    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
    connect_sandbox(browser, workspace)
    panel = browser.get("/sandbox/")
    revoked = browser.submit(panel, action="/sandbox/revoke-all")
    assert "The sandbox revoked 1 token" in revoked.text
    [connection] = connections()
    page = browser.get(f"/w/{workspace.slug}/connections")
    refreshed = browser.submit(page, action=f"/w/{workspace.slug}/connections/{connection.id}/refresh")
    assert "needs reconnecting" in refreshed.text and 'class="badge status expired"' in refreshed.text


def test_disconnecting_revokes_the_token_at_the_sandbox(maker):
    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
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

    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
    connect_sandbox(browser, workspace, "taken_handle")
    other_workspace = make_workspace(name="Other Team")
    intruder = HttpBrowser(live_server)
    intruder.log_in(owner_of(other_workspace).email, PASSWORD)
    page = consent_page(intruder, other_workspace)
    response = intruder.submit(page, {"handle": "taken_handle", "allow": "Allow"})
    assert response.status_code == 422 and "This handle belongs to another Studio user." in response.text
    assert [c.workspace_id for c in connections()] == [workspace.id]


def test_in_production_only_listed_operators_run_the_sandbox_panel(maker, app):
    workspace, browser = maker.workspace, maker.browser
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
    workspace, browser = maker.workspace, maker.browser
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


# ---- fault switches for the publishing engine's worst days ---------------------------------------


def test_a_create_can_store_the_post_and_then_answer_500(api):
    from studio.sandbox.service import count_calls, set_faults

    set_faults(error_after_create_rate=1.0)
    failed = api.post(f"{api.base}/posts", json={"text": "Soup of the day", "client_reference": "delivery-7"}, timeout=10)
    assert failed.status_code == 500 and "after storing the post" in failed.json()["error"]["message"]
    found = api.get(f"{api.base}/posts", params={"client_reference": "delivery-7"}, timeout=10).json()["data"]
    assert [p["text"] for p in found] == ["Soup of the day"], "the post was made although the answer was an error"
    assert count_calls("create", "delivery-7") == 1 and count_calls("lookup", "delivery-7") == 1


def test_a_create_can_store_the_post_and_then_drop_the_connection(api):
    from studio.sandbox.service import calls, set_faults

    set_faults(drop_after_create_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.post(f"{api.base}/posts", json={"text": "Bread, fresh", "client_reference": "delivery-8"}, timeout=10)
    assert [call.fault for call in calls("create", "delivery-8")] == ["dropped after create"]
    set_faults(drop_after_create_rate=0.0)
    found = api.get(f"{api.base}/posts", params={"client_reference": "delivery-8"}, timeout=10).json()["data"]
    assert [p["text"] for p in found] == ["Bread, fresh"]
    # The sandbox keeps serving after a dropped connection.
    again = api.post(f"{api.base}/posts", json={"text": "Bread, fresh", "client_reference": "delivery-8"}, timeout=10)
    assert again.status_code == 201 and again.json()["id"] == found[0]["id"]


def test_without_idempotency_a_repeated_reference_makes_a_second_post_as_on_x(api):
    from studio.sandbox.models import SandboxPost
    from studio.sandbox.service import count_calls, set_faults

    body = {"text": "Taco Tuesday", "client_reference": "delivery-9"}
    first = api.post(f"{api.base}/posts", json=body, timeout=10).json()
    set_faults(no_idempotency=True)
    second = api.post(f"{api.base}/posts", json=body, timeout=10).json()
    assert second["id"] != first["id"]
    found = api.get(f"{api.base}/posts", params={"client_reference": "delivery-9"}, timeout=10).json()["data"]
    assert [p["id"] for p in found] == [first["id"], second["id"]]
    db.session.expire_all()
    posts = db.session.execute(select(SandboxPost).where(SandboxPost.client_reference == "delivery-9")).scalars().all()
    assert len(posts) == 2 and count_calls("create", "delivery-9") == 2


def test_latency_can_be_set_per_endpoint(api, maker):
    import time

    from studio.sandbox.service import set_faults

    def seconds(method, path, **kwargs):
        started = time.monotonic()
        response = api.request(method, f"{api.base}{path}", timeout=10, **kwargs)
        assert response.status_code < 300, response.text
        return time.monotonic() - started

    set_faults(lookup_latency_ms=700)
    assert seconds("GET", "/posts", params={"client_reference": "x"}) >= 0.7
    assert seconds("GET", "/me") < 0.7
    set_faults(lookup_latency_ms=0, create_latency_ms=700)
    assert seconds("POST", "/posts", json={"text": "slow"}) >= 0.7
    assert seconds("POST", "/media", json={"kind": "image", "mime_type": "image/png", "total_bytes": 3}) < 0.7
    set_faults(create_latency_ms=0, media_latency_ms=700)
    assert seconds("POST", "/media", json={"kind": "image", "mime_type": "image/png", "total_bytes": 3}) >= 0.7
    set_faults(media_latency_ms=0, token_latency_ms=700)
    assert seconds("GET", "/me") < 0.7
    [connection] = connections()
    started = time.monotonic()
    service.refresh_connection(connection)
    assert time.monotonic() - started >= 0.7 and connection.status == "active"
    api.headers["Authorization"] = f"Bearer {connection.access_token}"  # the old one went with the refresh
    # latency_ms still slows every call, and adds to an endpoint's own.
    set_faults(token_latency_ms=0, latency_ms=300, lookup_latency_ms=400)
    assert seconds("GET", "/me") >= 0.3
    assert seconds("GET", "/posts", params={"client_reference": "x"}) >= 0.7


def test_look_ups_can_lag_behind_creates(api):
    from datetime import timedelta

    from studio.database import utcnow
    from studio.sandbox.models import SandboxPost
    from studio.sandbox.service import set_faults

    set_faults(lookup_lag_seconds=30)
    created = api.post(f"{api.base}/posts", json={"text": "Just made", "client_reference": "delivery-10"}, timeout=10)
    assert created.status_code == 201
    look_up = {"client_reference": "delivery-10"}
    assert api.get(f"{api.base}/posts", params=look_up, timeout=10).json()["data"] == []
    # Half a minute later the index has caught up.
    post = db.session.get(SandboxPost, created.json()["id"])
    post.created_at = utcnow() - timedelta(seconds=31)
    db.session.commit()
    assert [p["id"] for p in api.get(f"{api.base}/posts", params=look_up, timeout=10).json()["data"]] == [post.id]
    # A repeated create still answers with the post at once: only the look-up lags.
    assert api.post(f"{api.base}/posts", json={"text": "x", "client_reference": "delivery-10"},
                    timeout=10).json()["id"] == post.id


def test_the_control_panel_switches_the_new_faults(client, app):
    from studio.sandbox.service import faults

    workspace = make_workspace(name="Ops")
    client.log_in_as(owner_of(workspace))
    assert "No idempotency" in client.text("/sandbox/")
    settings = {"error_rate": "0", "rate_limit_rate": "0", "retry_after_seconds": "30", "latency_ms": "10",
                "create_latency_ms": "1000", "media_latency_ms": "200", "token_latency_ms": "1000",
                "lookup_latency_ms": "50", "error_after_create_rate": "25", "drop_after_create_rate": "10",
                "no_idempotency": "y", "lookup_lag_seconds": "5"}
    saved = client.submit("/sandbox/faults", settings, follow_redirects=True)
    assert saved.status_code == 200 and "Sandbox faults saved." in saved.get_data(as_text=True)
    row = faults()
    assert (row.create_latency_ms, row.media_latency_ms, row.token_latency_ms, row.lookup_latency_ms) == (1000, 200, 1000, 50)
    assert (row.error_after_create_rate, row.drop_after_create_rate) == (0.25, 0.10)
    assert row.no_idempotency and row.lookup_lag_seconds == 5 and row.latency_ms == 10
    assert '<input checked id="no_idempotency"' in client.text("/sandbox/"), "the panel shows the switch on"

    refused = client.submit("/sandbox/faults", {**settings, "error_after_create_rate": "60", "drop_after_create_rate": "50",
                                                "token_latency_ms": "-1", "lookup_lag_seconds": "7200"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert errors_next_to(html, "drop_after_create_rate") == [
        "Errors and dropped connections after a create together cannot pass 100%."]
    assert errors_next_to(html, "token_latency_ms") == ["Use 0 to 60,000 ms."]
    assert errors_next_to(html, "lookup_lag_seconds") == ["Use 0 to 3,600 seconds."]
    db.session.expire_all()
    assert faults().drop_after_create_rate == 0.10, "nothing was saved"
    # Unticked, the box turns idempotency back on.
    client.submit("/sandbox/faults", {key: value for key, value in settings.items() if key != "no_idempotency"})
    db.session.expire_all()
    assert faults().no_idempotency is False


def test_set_faults_refuses_rates_that_do_not_add_up(app):
    from studio.sandbox.service import faults, reset_faults, set_faults

    with pytest.raises(ValueError):
        set_faults(error_after_create_rate=0.7, drop_after_create_rate=0.5)
    with pytest.raises(ValueError):
        set_faults(create_latency_ms=-5)
    set_faults(no_idempotency=True, token_latency_ms=1000)
    reset_faults()
    row = faults()
    assert not row.no_idempotency and row.token_latency_ms == 0 and row.error_after_create_rate == 0


def test_a_refresh_token_works_once_even_when_sent_twice_at_once(app, live_server):
    """As on a real platform that rotates refresh tokens: two refreshes racing with one token get
    one new token between them; the other is refused invalid_grant."""
    import threading

    from studio.platforms import get_platform
    from studio.sandbox.service import set_faults
    from tests.factories import make_sandbox_connection

    connection = make_sandbox_connection(make_workspace(name="Racing"))
    set_faults(token_latency_ms=300)  # both are inside the token endpoint at once
    sandbox = get_platform("sandbox")
    refresh_token, start, answers = connection.refresh_token, threading.Barrier(2), []

    def refresh():
        start.wait(timeout=10)
        answers.append(requests.post(f"{live_server}/sandbox/oauth/token", timeout=10,
                                     auth=(sandbox.client_id, sandbox.client_secret),
                                     data={"grant_type": "refresh_token", "refresh_token": refresh_token}))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answer.status_code for answer in answers) == [200, 400]
    assert [answer.json()["error"] for answer in answers if answer.status_code == 400] == ["invalid_grant"]
