"""A new account starts in the time zone its browser reports (the sign-up form's Time zone field,
filled by the page's script and changeable); without JavaScript the form still works, in UTC."""
import re

from sqlalchemy import select

from studio.accounts.models import User
from studio.extensions import db
from tests.factories import make_client, make_workspace, owner_of


def zone_select(page):
    return re.search(r'<select[^>]*name="timezone"[^>]*>', page).group(0)


def test_the_sign_up_form_asks_the_browser_for_its_time_zone_and_keeps_the_choice(client):
    page = client.text("/signup")
    assert "data-browser-timezone" in zone_select(page), "the page's script fills it from Intl"
    assert re.search(r'<option selected value="UTC">|<option value="UTC" selected>', page), "the server's default"

    response = client.submit("/signup", {"name": "Kenji Sato", "email": "kenji@example.com",
                                         "password": "plum-orbit-harbor-7", "timezone": "Asia/Tokyo"})
    assert response.status_code == 303
    assert db.session.execute(select(User)).scalar_one().timezone == "Asia/Tokyo"


def test_a_refused_sign_up_keeps_the_chosen_zone_and_the_script_leaves_it_alone(client):
    response = client.submit("/signup", {"name": "Kenji Sato", "email": "kenji@example", "password": "plum-orbit-harbor-7",
                                         "timezone": "Europe/Lisbon"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "data-browser-timezone" not in zone_select(page)
    assert re.search(r'<option selected value="Europe/Lisbon">|<option value="Europe/Lisbon" selected>', page)


def test_without_the_field_the_account_starts_in_utc(client):
    response = client.submit("/signup", {"name": "Ana Lima", "email": "ana@example.com", "password": "plum-orbit-harbor-7"})
    assert response.status_code == 303
    assert db.session.execute(select(User)).scalar_one().timezone == "UTC"


def test_an_unknown_zone_is_refused_beside_the_field(client):
    response = client.submit("/signup", {"name": "Ana Lima", "email": "ana@example.com", "password": "plum-orbit-harbor-7",
                                         "timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 422 and 'id="timezone-error"' in response.get_data(as_text=True)


def test_invited_teammates_and_clients_also_start_in_their_browsers_zone(app, client, outbox):
    workspace = make_workspace(name="Northwind")
    inviter = app.test_client().log_in_as(owner_of(workspace))
    inviter.submit(f"/w/{workspace.slug}/members/invite", {"email": "lena@example.com", "role": "editor"})
    path = outbox.last_link_to("lena@example.com")
    assert "data-browser-timezone" in zone_select(client.text(path))
    client.submit(path, {"name": "Lena Berg", "password": "plum-orbit-harbor-7", "timezone": "Europe/Oslo"})
    assert db.session.execute(select(User).where(User.email == "lena@example.com")).scalar_one().timezone == "Europe/Oslo"

    from studio.portal.service import invite_client

    customer = make_client(workspace, name="Rosa Diaz", with_login=False)
    _, token, _ = invite_client(customer, owner_of(workspace))
    visitor = app.test_client()
    assert "data-browser-timezone" in zone_select(visitor.text(f"/portal/invite/{token}"))
    visitor.submit(f"/portal/invite/{token}", {"name": "Rosa Diaz", "password": "plum-orbit-harbor-7",
                                               "timezone": "America/Mexico_City"})
    assert db.session.execute(select(User).where(User.email == customer.email)).scalar_one().timezone == "America/Mexico_City"
