"""Rules around connections that later features rely on, and the workspace's profile links."""
from datetime import timedelta

import pytest

from studio.connections import service
from studio.connections.models import SocialLink
from studio.database import utcnow
from studio.extensions import db
from studio.platforms.errors import AuthError
from tests.factories import add_member, make_connection, make_workspace, owner_of
from tests.helpers import errors_next_to


def test_using_a_connection_marks_it_used_and_returns_its_token(app):
    connection = make_connection(make_workspace())
    assert service.fresh_access_token(connection) == connection.access_token
    assert connection.last_used_at is not None


def test_an_expired_connection_is_not_used(app):
    connection = make_connection(make_workspace(), status="expired")
    with pytest.raises(AuthError, match="needs reconnecting"):
        service.fresh_access_token(connection)


def test_a_token_about_to_expire_is_refreshed_before_use(app, live_server):
    """Through the real sandbox: a token with 30 s left is renewed first."""
    from tests.factories import PASSWORD
    from tests.helpers import HttpBrowser

    workspace = make_workspace(name="Fresh")
    browser = HttpBrowser(live_server)
    browser.log_in(owner_of(workspace).email, PASSWORD)
    page = browser.get(f"/w/{workspace.slug}/connections")
    consent = browser.get(browser.submit(page, action=f"/w/{workspace.slug}/connections/sandbox/connect",
                                         allow_redirects=False).headers["Location"])
    browser.submit(consent, {"handle": "fresh_one", "allow": "Allow"})
    [connection] = service.connections_of(workspace)
    connection.expires_at = utcnow() + timedelta(seconds=30)
    db.session.commit()
    old = connection.access_token
    assert service.fresh_access_token(connection) != old
    assert connection.expires_at > utcnow() + timedelta(minutes=30)


def test_admins_add_and_remove_profile_links_shown_on_the_overview(app):
    workspace = make_workspace(name="Linked")
    client = app.test_client().log_in_as(owner_of(workspace))
    bad = client.submit(f"/w/{workspace.slug}/links", {"label": "Site", "url": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert errors_next_to(bad.get_data(as_text=True), "url") == ["Enter a full web address starting with https://"]
    assert db.session.query(SocialLink).count() == 0

    client.submit(f"/w/{workspace.slug}/links", {"label": "Website", "url": "https://linked.example.com"})
    assert "https://linked.example.com" in client.text(f"/w/{workspace.slug}/")
    link = db.session.query(SocialLink).one()
    client.submit(f"/w/{workspace.slug}/links/{link.id}/remove")
    assert db.session.query(SocialLink).count() == 0


def test_an_editor_connects_but_only_an_admin_disconnects(app):
    workspace = make_workspace()
    editor = add_member(workspace, "editor")
    connection = make_connection(workspace)
    client = app.test_client().log_in_as(editor)
    assert client.submit(f"/w/{workspace.slug}/connections/{connection.id}/disconnect").status_code == 403
    response = client.submit(f"/w/{workspace.slug}/connections/sandbox/connect")
    assert response.status_code == 303 and "/sandbox/oauth/authorize?" in response.headers["Location"]
