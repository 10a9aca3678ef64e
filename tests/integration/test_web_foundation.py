"""How every page answers: whole or as a fragment, CSRF, errors, and security headers."""
import re
from datetime import timedelta

from tests.factories import make_workspace, owner_of
from tests.helpers import frozen_at


def test_a_plain_get_is_a_whole_page_and_htmx_gets_just_the_fragment(app):
    workspace = make_workspace(name="Fragment Co")
    client = app.test_client().log_in_as(owner_of(workspace))
    url = f"/w/{workspace.slug}/members"
    whole = client.get(url)
    assert whole.get_data(as_text=True).startswith("<!doctype html>")
    assert "HX-Request" in whole.headers["Vary"]

    fragment = client.htmx_get(url)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "<nav" not in html and "Pending invitations" in html
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_history_restore_or_a_boosted_link_gets_the_whole_page(app):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    url = f"/w/{workspace.slug}/members"
    for extra in ({"HX-History-Restore-Request": "true"}, {"HX-Boosted": "true"}):
        html = client.htmx_get(url, **extra).get_data(as_text=True)
        assert html.startswith("<!doctype html>"), extra


def test_the_csrf_token_rides_in_hx_headers_on_the_body(app):
    html = app.test_client().get("/login").get_data(as_text=True)
    match = re.search(r"""<body[^>]*hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", html)
    assert match, "the body carries the token for htmx"
    assert match.group(1) == re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_sessions_token_is_signed_once_and_is_accepted_on_every_page(app):
    """The form token is the session's secret, signed; with no time limit on tokens, the signing is
    done once a session (web.sign_csrf_once) and every page carries the same accepted token."""
    client = app.test_client()
    with frozen_at("2026-10-01 09:00") as clock:
        first = client.csrf_token()
        clock.shift(timedelta(minutes=5))  # a signature made now would carry another time
        again = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/signup").get_data(as_text=True)).group(1)
        assert first == again
        response = client.post("/signup", data={"name": "Hana", "email": "hana@example.com",
                                                "password": "plum-orbit-harbor-7", "csrf_token": again})
        assert response.status_code == 303
    other = app.test_client().csrf_token()
    assert other != first, "each session its own token"


def test_an_htmx_post_with_the_token_in_the_header_is_accepted(app):
    client = app.test_client()
    token = client.csrf_token()
    response = client.post(
        "/signup",
        data={"name": "Hana", "email": "hana@example.com", "password": "plum-orbit-harbor-7"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/w/")


def test_a_post_without_a_csrf_token_gets_400_and_writes_nothing(app):
    from sqlalchemy import func, select

    from studio.accounts.models import User
    from studio.extensions import db

    client = app.test_client()
    response = client.post("/signup", data={"name": "Ivo", "email": "ivo@example.com", "password": "plum-orbit-harbor-7"})
    assert response.status_code == 400
    assert "This form has expired or was not sent from Studio" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    workspace = make_workspace()
    client.log_in_as(owner_of(workspace))
    response = client.post(f"/w/{workspace.slug}/members/invite", data={"email": "x@example.com", "role": "editor"})
    assert response.status_code == 400


def test_errors_are_pages_or_inline_fragments(app):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    page = client.get("/w/nowhere/")
    assert page.status_code == 404 and "<!doctype html>" in page.get_data(as_text=True)
    assert "There is nothing here" in page.get_data(as_text=True)

    inline = client.htmx_get("/w/nowhere/")
    html = inline.get_data(as_text=True)
    assert inline.status_code == 404 and "<html" not in html and 'class="flash flash-error"' in html
    assert inline.headers["HX-Retarget"] == "#flash"


def test_a_server_error_is_a_friendly_page(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "kaboom" not in html


def test_security_headers_are_on_every_response(app):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_no_inline_script_and_load_htmx_from_this_site(app):
    html = app.test_client().get("/login").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=\"/static/" in attrs and body.strip() == "" for attrs, body in scripts)
    assert '/static/vendor/htmx-2.0.11.min.js' in html and "htmx-ext-sse" in html
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html


def test_the_session_cookie_is_httponly_and_lax(app):
    response = app.test_client().submit("/signup", {"name": "Jo", "email": "jo@example.com", "password": "plum-orbit-harbor-7"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_navigation_has_no_dead_links(app):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    html = client.get(f"/w/{workspace.slug}/").get_data(as_text=True)
    header = html.split('<main id="main"')[0]
    links = set(re.findall(r'href="(/[^"#]*)', header)) - {"/static/css/app.css"}
    assert len(links) >= 6
    for link in links:
        assert client.get(link).status_code in (200, 303), link
