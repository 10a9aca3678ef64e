"""An account whose tokens expired is marked in the composer and kept out of scheduling until it is
reconnected; a draft may still name it."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from studio.database import utcnow
from studio.extensions import db
from studio.publishing.models import Post
from tests.factories import make_connection, make_workspace, owner_of


def tomorrow():
    return (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")


def posts():
    return db.session.execute(select(func.count()).select_from(Post)).scalar_one()


def test_the_composer_marks_an_expired_account_and_will_not_schedule_to_it(app):
    workspace = make_workspace(name="Bakery")
    kitchen = make_connection(workspace, username="kitchen")
    street = make_connection(workspace, username="street", status="expired")
    client = app.test_client().log_in_as(owner_of(workspace))

    page = client.text(f"/w/{workspace.slug}/posts/new")
    labels = dict(re.findall(r'value="(\d+)"[^>]*>\s*<label[^>]*>([^<]*)</label>', page))
    assert "needs reconnecting" in labels[str(street.id)]
    assert "needs reconnecting" not in labels[str(kitchen.id)]
    assert f'href="/w/{workspace.slug}/connections"' in page.split('id="connections-warning"', 1)[1].split("</p>", 1)[0]

    for when in ("schedule", "now"):
        response = client.submit(f"/w/{workspace.slug}/posts/new", {
            "connections": [kitchen.id, street.id], "message": "Sourdough is out", "when": when,
            "date": tomorrow(), "time": "09:00"})
        assert response.status_code == 422
        beside_accounts = response.get_data(as_text=True).split('id="connections-error"', 1)[1].split("</p>", 1)[0]
        assert "Sandbox @street: needs reconnecting before it can publish" in beside_accounts
        assert posts() == 0

    draft = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [street.id], "message": "For when the account is back", "when": "draft"})
    assert draft.status_code == 303 and posts() == 1
