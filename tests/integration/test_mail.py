"""E-mail goes out through a real SMTP server on loopback when MAIL_URL names one."""
import pytest

from studio.extensions import db
from studio.notify.mail import MailError, send_mail
from tests.factories import make_user, make_workspace, owner_of


def test_an_invitation_travels_over_smtp(app, smtp_server):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    workspace = make_workspace(name="Wire Co")
    client = app.test_client().log_in_as(owner_of(workspace))
    response = client.submit(f"/w/{workspace.slug}/members/invite", {"email": "wire@example.com", "role": "viewer"})
    assert response.status_code == 303
    [message] = smtp_server.messages
    assert message["To"] == "wire@example.com"
    assert "invited you to Wire Co" in message["Subject"]
    body = message.get_payload()[0].get_payload(decode=True).decode()
    assert "http://localhost/invite/" in body


def test_links_in_emails_use_public_url_when_set(app, outbox):
    app.config["PUBLIC_URL"] = "https://studio.example.org"
    make_user(email="pub@example.com")
    db.session.commit()
    app.test_client().submit("/password/forgot", {"email": "pub@example.com"})
    assert outbox.last_link_to("pub@example.com").startswith("https://studio.example.org/password/reset/")


def test_an_unreachable_smtp_server_is_a_clear_error(app):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"
    with app.test_request_context():
        with pytest.raises(MailError, match="could not send e-mail through 127.0.0.1"):
            send_mail("x@example.com", "Hi", "password_reset", user=make_user(), link="http://x", minutes=5)


def test_a_mail_outage_keeps_the_invitation_and_says_so(app):
    from studio.accounts.models import Invitation

    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    response = client.submit(f"/w/{workspace.slug}/members/invite", {"email": "later@example.com", "role": "viewer"},
                             htmx=True)
    assert response.status_code == 200
    assert "is saved, but the e-mail could not be sent" in response.get_data(as_text=True)
    assert db.session.query(Invitation).count() == 1


def test_a_name_with_a_line_break_is_refused(app):
    from tests.helpers import errors_next_to

    response = app.test_client().submit("/signup", {"name": "Eve\r\nBcc: all@example.com", "email": "eve@example.com",
                                                   "password": "plum-orbit-harbor-7"})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "name") == [
        "Use one line of text, without line breaks or control characters."]
