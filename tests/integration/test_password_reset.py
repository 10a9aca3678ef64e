"""A maker who forgot the password gets a signed link by e-mail that works once, for an hour."""
import time

from studio.extensions import db
from tests.factories import PASSWORD, make_user


def ask_for_reset(app, email):
    return app.test_client().submit("/password/forgot", {"email": email})


def test_reset_by_emailed_link_then_log_in_with_the_new_password(app, outbox):
    user = make_user(email="lena@example.com")
    db.session.commit()
    old_session = app.test_client().log_in_as(user)
    response = ask_for_reset(app, "Lena@Example.com")
    assert "a link to reset its password is on its way" in response.get_data(as_text=True)
    [message] = outbox.to("lena@example.com")
    assert message["Subject"] == "Reset your Studio password"
    link = outbox.last_link_to("lena@example.com")

    client = app.test_client()
    assert "Choose a new password" in client.text(link)
    response = client.submit(link, {"password": "violet-canyon-river-8"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert old_session.get("/account/profile").status_code == 302, "a reset ends the sessions before it"
    assert client.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 422
    assert client.submit("/login", {"email": user.email, "password": "violet-canyon-river-8"}).status_code == 303


def test_asking_for_an_unknown_address_looks_the_same_and_sends_nothing(app, outbox):
    response = ask_for_reset(app, "ghost@example.com")
    assert response.status_code == 200
    assert "a link to reset its password is on its way" in response.get_data(as_text=True)
    assert outbox.messages() == []


def test_a_reset_link_works_only_once(app, outbox):
    make_user(email="once@example.com")
    db.session.commit()
    ask_for_reset(app, "once@example.com")
    link = outbox.last_link_to("once@example.com")
    app.test_client().submit(link, {"password": "violet-canyon-river-8"})
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "This password reset link has already been used" in response.get_data(as_text=True)


def test_an_expired_reset_link_is_refused(app, outbox):
    make_user(email="slow@example.com")
    db.session.commit()
    ask_for_reset(app, "slow@example.com")
    link = outbox.last_link_to("slow@example.com")
    app.config["PASSWORD_RESET_TTL_MINUTES"] = 0
    time.sleep(1.1)  # itsdangerous timestamps have one-second resolution
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "This password reset link has expired" in response.get_data(as_text=True)


def test_a_tampered_reset_link_is_refused(app, outbox):
    make_user(email="evil@example.com")
    db.session.commit()
    ask_for_reset(app, "evil@example.com")
    link = outbox.last_link_to("evil@example.com")
    response = app.test_client().get(link[:-4] + "AAAA")
    assert response.status_code == 400
    assert "This password reset link is not valid" in response.get_data(as_text=True)


def test_the_new_password_must_be_strong(app, outbox):
    make_user(email="weak@example.com")
    db.session.commit()
    ask_for_reset(app, "weak@example.com")
    link = outbox.last_link_to("weak@example.com")
    response = app.test_client().submit(link, {"password": "short"})
    assert response.status_code == 422
    assert "Use at least 10 characters." in response.get_data(as_text=True)
