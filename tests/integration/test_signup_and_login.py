"""A new maker signs up, logs in and out, and is told clearly when something is wrong."""
from sqlalchemy import func, select

from studio.accounts.models import LoginAttempt, Membership, User, Workspace
from studio.extensions import db
from tests.factories import PASSWORD, make_user, make_workspace
from tests.helpers import errors_next_to


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_signing_up_creates_an_account_and_a_workspace_and_lands_in_it(client):
    response = client.submit(
        "/signup", {"name": "Ana Lima", "email": "  Ana@Example.com ", "password": "plum-orbit-harbor-7"}
    )
    assert response.status_code == 303
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "ana@example.com"
    assert user.password_hash.startswith("scrypt:")
    membership = db.session.execute(select(Membership)).scalar_one()
    assert membership.role == "owner" and membership.user_id == user.id
    assert response.headers["Location"] == f"/w/{membership.workspace.slug}/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ana&#39;s workspace" in page and "Welcome to Studio, Ana Lima" in page


def test_a_taken_email_re_renders_the_form_with_the_error_beside_it_and_writes_nothing(client):
    make_user(email="taken@example.com")
    db.session.commit()
    response = client.submit("/signup", {"name": "Bo", "email": "taken@example.com", "password": "plum-orbit-harbor-7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_next_to(html, "email") == ["An account with this e-mail already exists. Log in instead."]
    assert 'value="Bo"' in html, "what the user typed is kept"
    assert count(User) == 1 and count(Workspace) == 0


def test_a_weak_password_is_refused_with_the_reason(client):
    for password, reason in [
        ("short1", "Use at least 10 characters."),
        ("password123", "This is one of the most common passwords; choose another."),
        ("1234567890", "This is one of the most common passwords; choose another."),
        ("abcdefghijk", "A run of consecutive keys or digits is easy to guess; choose another."),
        ("aaaaaaaaaaaa", "Use more than a few different characters."),
        ("caroline-rocks", "Do not build the password from your e-mail address."),
    ]:
        response = client.submit("/signup", {"name": "Caro", "email": "caroline@example.com", "password": password})
        assert response.status_code == 422
        assert errors_next_to(response.get_data(as_text=True), "password") == [reason], password
    assert count(User) == 0


def test_a_malformed_email_is_refused(client):
    response = client.submit("/signup", {"name": "Dee", "email": "dee@@example", "password": "plum-orbit-harbor-7"})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "email") == ["Enter a valid e-mail address."]
    assert count(User) == 0


def test_an_htmx_sign_up_with_errors_swaps_only_the_form_back(client):
    response = client.submit("/signup", {"name": "", "email": "x@example.com", "password": "x"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and "<form" in html
    assert errors_next_to(html, "name") == ["Enter a name."]
    assert "HX-Request" in response.headers["Vary"]


def test_logging_in_and_out(client):
    workspace = make_workspace(name="Harbor Films")
    user = workspace.memberships[0].user
    response = client.submit("/login", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == f"/w/{workspace.slug}/"
    assert "Harbor Films" in client.text(f"/w/{workspace.slug}/")
    response = client.submit("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get(f"/w/{workspace.slug}/").status_code == 302


def test_log_in_goes_back_to_the_page_asked_for_but_never_off_site(client):
    workspace = make_workspace()
    user = workspace.memberships[0].user
    response = client.submit(f"/login?next=/w/{workspace.slug}/members", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == f"/w/{workspace.slug}/members"
    client.submit("/logout")
    response = client.submit("/login?next=https://evil.example/", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == f"/w/{workspace.slug}/"


def test_remember_me_sets_a_lasting_cookie(client):
    user = make_workspace().memberships[0].user
    response = client.submit("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember


def test_a_wrong_password_says_so_without_telling_which_part_was_wrong(client):
    user = make_user()
    db.session.commit()
    for email in (user.email, "nobody@example.com"):
        response = client.submit("/login", {"email": email, "password": "not-the-password"})
        assert response.status_code == 422
        assert errors_next_to(response.get_data(as_text=True), "password") == ["The e-mail or password is not right."]


def test_the_eleventh_failed_log_in_in_a_minute_is_refused_even_with_the_right_password(client):
    user = make_user()
    db.session.commit()
    for _ in range(10):
        assert client.submit("/login", {"email": user.email, "password": "guess-guess-guess"}).status_code == 422
    response = client.submit("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-in attempts. Wait" in response.get_data(as_text=True)
    assert count(LoginAttempt) == 10


def test_failed_log_ins_from_one_address_are_limited_across_accounts(client):
    for number in range(10):
        client.submit("/login", {"email": f"guess{number}@example.com", "password": "guess-guess-guess"})
    user = make_user()
    db.session.commit()
    response = client.submit("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_the_limit_lifts_once_the_minute_has_passed(client, app):
    from datetime import timedelta

    user = make_user()
    db.session.commit()
    for _ in range(10):
        client.submit("/login", {"email": user.email, "password": "guess-guess-guess"})
    for attempt in db.session.execute(select(LoginAttempt)).scalars():
        attempt.created_at -= timedelta(seconds=61)
    db.session.commit()
    assert client.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 303
