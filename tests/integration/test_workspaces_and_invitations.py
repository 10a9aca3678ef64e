"""Owners and admins build their team: invitations by e-mail, roles, switching workspaces."""
from datetime import timedelta

from sqlalchemy import select

from studio.accounts.models import Invitation, Membership, User
from studio.database import utcnow
from studio.extensions import db
from tests.factories import PASSWORD, add_member, make_user, make_workspace, owner_of
from tests.helpers import errors_next_to


def invite(client, workspace, email, role="editor", htmx=False):
    return client.submit(f"/w/{workspace.slug}/members/invite", {"email": email, "role": role}, htmx=htmx)


def test_an_owner_invites_by_email_and_the_invitee_signs_up_through_the_link(app, outbox):
    workspace = make_workspace(name="Lumen Studio")
    owner = owner_of(workspace)
    client = app.test_client().log_in_as(owner)
    response = invite(client, workspace, "Kai@Example.com", "editor")
    assert response.status_code == 303
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.email == "kai@example.com" and invitation.role == "editor"

    [message] = outbox.to("kai@example.com")
    assert message["Subject"] == f"{owner.name} invited you to Lumen Studio on Studio"
    link = outbox.last_link_to("kai@example.com")
    token = link.rsplit("/", 1)[1]
    assert invitation.token_hash != token and token not in invitation.token_hash, "only a hash is stored"

    guest = app.test_client()
    page = guest.get(link).get_data(as_text=True)
    assert "Join Lumen Studio" in page and "kai@example.com" in page
    response = guest.submit(link, {"name": "Kai Nakamura", "password": "lantern-meadow-93"})
    assert response.status_code == 303 and response.headers["Location"] == f"/w/{workspace.slug}/"

    kai = db.session.execute(select(User).where(User.email == "kai@example.com")).scalar_one()
    membership = db.session.execute(select(Membership).where(Membership.user_id == kai.id)).scalar_one()
    assert membership.workspace_id == workspace.id and membership.role == "editor"
    assert len(kai.memberships) == 1, "joining through an invitation makes no extra workspace"
    assert invitation.accepted_at is not None and invitation.accepted_by_id == kai.id


def test_an_existing_user_logs_in_and_accepts(app, outbox):
    workspace = make_workspace(name="Copperline")
    existing = make_user(email="rae@example.com")
    db.session.commit()
    invite(app.test_client().log_in_as(owner_of(workspace)), workspace, "rae@example.com", "viewer")
    link = outbox.last_link_to("rae@example.com")

    client = app.test_client()
    assert "Log in to accept" in client.text(link)
    client.log_in_as(existing)
    response = client.submit(link + "/accept")
    assert response.status_code == 303
    membership = db.session.execute(select(Membership).where(Membership.user_id == existing.id)).scalar_one()
    assert membership.role == "viewer"


def test_an_invitation_cannot_be_accepted_by_someone_else(app, outbox):
    workspace = make_workspace()
    invite(app.test_client().log_in_as(owner_of(workspace)), workspace, "right@example.com")
    link = outbox.last_link_to("right@example.com")
    wrong = make_user(email="wrong@example.com")
    db.session.commit()
    response = app.test_client().log_in_as(wrong).submit(link + "/accept")
    assert response.status_code == 409
    assert "This invitation is for right@example.com" in response.get_data(as_text=True)
    assert db.session.execute(select(Membership).where(Membership.user_id == wrong.id)).first() is None


def test_a_used_link_is_refused_with_a_clear_page(app, outbox):
    workspace = make_workspace()
    invite(app.test_client().log_in_as(owner_of(workspace)), workspace, "once@example.com")
    link = outbox.last_link_to("once@example.com")
    app.test_client().submit(link, {"name": "Once", "password": "lantern-meadow-93"})
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "This link was already used" in response.get_data(as_text=True)


def test_an_expired_link_is_refused_with_a_clear_page(app, outbox):
    workspace = make_workspace()
    invite(app.test_client().log_in_as(owner_of(workspace)), workspace, "late@example.com")
    invitation = db.session.execute(select(Invitation)).scalar_one()
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = app.test_client().get(outbox.last_link_to("late@example.com"))
    assert response.status_code == 410
    assert "This invitation has expired" in response.get_data(as_text=True)


def test_a_tampered_link_is_refused_with_a_clear_page(app, outbox):
    workspace = make_workspace()
    invite(app.test_client().log_in_as(owner_of(workspace)), workspace, "tamper@example.com")
    link = outbox.last_link_to("tamper@example.com")
    response = app.test_client().get(link[:-3] + "xyz")
    assert response.status_code == 400
    assert "This invitation link is not valid" in response.get_data(as_text=True)
    response = app.test_client().submit(link[:-3] + "xyz", {"name": "Eve", "password": "lantern-meadow-93"})
    assert response.status_code == 400
    assert db.session.execute(select(User).where(User.email == "tamper@example.com")).first() is None


def test_resending_sends_a_fresh_link_and_the_old_one_stops_working(app, outbox):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    invite(client, workspace, "again@example.com")
    first = outbox.last_link_to("again@example.com")
    invitation = db.session.execute(select(Invitation)).scalar_one()
    response = client.submit(f"/w/{workspace.slug}/invitations/{invitation.id}/resend", htmx=True)
    assert response.status_code == 200
    assert "Invitation sent again to again@example.com" in response.get_data(as_text=True)
    second = outbox.last_link_to("again@example.com")
    assert first != second and len(outbox.to("again@example.com")) == 2
    assert app.test_client().get(first).status_code == 400
    assert app.test_client().get(second).status_code == 200
    db.session.refresh(invitation)
    assert invitation.sent_count == 2


def test_a_revoked_invitation_no_longer_works(app, outbox):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    invite(client, workspace, "gone@example.com")
    invitation = db.session.execute(select(Invitation)).scalar_one()
    response = client.submit(f"/w/{workspace.slug}/invitations/{invitation.id}/revoke", htmx=True)
    html = response.get_data(as_text=True)
    assert "Invitation for gone@example.com withdrawn" in html and "invitation-" not in html
    response = app.test_client().get(outbox.last_link_to("gone@example.com"))
    assert response.status_code == 410 and "This invitation was withdrawn" in response.get_data(as_text=True)


def test_inviting_twice_or_inviting_a_member_is_explained_beside_the_field(app, outbox):
    workspace = make_workspace()
    workspace.plan = "pro"  # seats for more than Starter's two (tests/integration/test_billing.py)
    member = add_member(workspace, "editor")
    client = app.test_client().log_in_as(owner_of(workspace))
    response = invite(client, workspace, member.email, htmx=True)
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "email") == ["This person is already a member of the workspace."]
    invite(client, workspace, "twice@example.com")
    response = invite(client, workspace, "twice@example.com", htmx=True)
    assert errors_next_to(response.get_data(as_text=True), "email") == [
        "This person already has a pending invitation. Resend it from the list below."
    ]
    assert len(outbox.messages()) == 1


def test_an_htmx_invitation_swaps_the_members_panel_with_the_new_row(app, outbox):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    response = invite(client, workspace, "panel@example.com", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "panel@example.com" in html
    assert 'id="flash"' in html and 'hx-swap-oob="true"' in html and "Invitation sent to panel@example.com" in html


def test_admins_change_roles_but_a_workspace_keeps_an_owner(app):
    workspace = make_workspace()
    owner = owner_of(workspace)
    admin = add_member(workspace, "admin")
    editor = add_member(workspace, "editor")
    memberships = {m.user_id: m for m in workspace.memberships}
    admin_client = app.test_client().log_in_as(admin)

    admin_client.submit(f"/w/{workspace.slug}/members/{memberships[editor.id].id}/role", {"role": "viewer"})
    assert memberships[editor.id].role == "viewer"

    response = admin_client.submit(f"/w/{workspace.slug}/members/{memberships[owner.id].id}/role", {"role": "viewer"}, htmx=True)
    assert "Only an owner can change an owner" in response.get_data(as_text=True)
    db.session.refresh(memberships[owner.id])
    assert memberships[owner.id].role == "owner"

    owner_client = app.test_client().log_in_as(owner)
    response = owner_client.submit(f"/w/{workspace.slug}/members/{memberships[owner.id].id}/remove", htmx=True)
    assert "A workspace needs at least one owner" in response.get_data(as_text=True)
    admin_membership_id = memberships[admin.id].id
    owner_client.submit(f"/w/{workspace.slug}/members/{admin_membership_id}/remove")
    assert db.session.get(Membership, admin_membership_id) is None


def test_a_user_creates_more_workspaces_and_switches_between_them(app):
    first = make_workspace(name="Alpha Creators")
    user = owner_of(first)
    client = app.test_client().log_in_as(user)
    response = client.submit("/workspaces/new", {"name": "Beta Shorts"})
    assert response.status_code == 303 and response.headers["Location"] == "/w/beta-shorts/"
    page = client.text("/w/beta-shorts/")
    assert "Alpha Creators" in page and "Beta Shorts" in page, "the switcher lists both"
    client.text(f"/w/{first.slug}/")
    assert client.get("/").headers["Location"] == f"/w/{first.slug}/", "home is the last workspace used"
    client.text("/w/beta-shorts/")
    assert client.get("/").headers["Location"] == "/w/beta-shorts/"


def test_workspace_slugs_stay_unique(app):
    make_workspace(name="Same Name")
    second = make_workspace(name="Same Name")
    assert second.slug == "same-name-2"


def test_an_admin_renames_the_workspace_and_an_empty_name_is_refused(app):
    workspace = make_workspace(name="Old Name")
    client = app.test_client().log_in_as(owner_of(workspace))
    response = client.submit(f"/w/{workspace.slug}/settings", {"name": ""})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "name") == ["Name the workspace."]
    client.submit(f"/w/{workspace.slug}/settings", {"name": "New Name"})
    db.session.refresh(workspace)
    assert workspace.name == "New Name"


def test_profile_keeps_a_time_zone_and_times_show_in_it(app):
    workspace = make_workspace()
    owner = owner_of(workspace)
    client = app.test_client().log_in_as(owner)
    response = client.submit("/account/profile", {"name": "Zoe Park", "timezone": "Asia/Tokyo"})
    assert response.status_code == 303
    assert owner.timezone == "Asia/Tokyo" and owner.name == "Zoe Park"
    response = client.submit("/account/profile", {"name": "Zoe Park", "timezone": "Mars/Olympus"})
    assert response.status_code == 422 and owner.timezone == "Asia/Tokyo"
    invite(client, workspace, "tz@example.com")
    assert "JST" in client.text(f"/w/{workspace.slug}/members")


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app):
    workspace = make_workspace()
    user = workspace.memberships[0].user
    other_device = app.test_client().log_in_as(user)
    client = app.test_client().log_in_as(user)
    response = client.submit("/account/password", {"current_password": "wrong-wrong-wrong", "new_password": "fresh-garden-lamp-5"})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "current_password") == ["That is not your current password."]
    response = client.submit("/account/password", {"current_password": PASSWORD, "new_password": "fresh-garden-lamp-5"})
    assert response.status_code == 303
    assert client.get(f"/w/{workspace.slug}/").status_code == 200, "this device stays logged in"
    assert other_device.get(f"/w/{workspace.slug}/").status_code == 302, "the other one is logged out"
    client.submit("/logout")
    assert client.submit("/login", {"email": user.email, "password": "fresh-garden-lamp-5"}).status_code == 303


def test_only_an_owner_grants_the_admin_role(app, outbox):
    workspace = make_workspace()
    workspace.plan = "pro"  # seats for more than Starter's two (tests/integration/test_billing.py)
    admin = add_member(workspace, "admin")
    editor = add_member(workspace, "editor")
    client = app.test_client().log_in_as(admin)
    page = client.text(f"/w/{workspace.slug}/members")
    assert 'value="admin"' not in page.split('id="invite"')[1], "admins are not offered the admin role"
    response = invite(client, workspace, "climber@example.com", "admin", htmx=True)
    assert response.status_code == 422 and errors_next_to(response.get_data(as_text=True), "role")
    assert outbox.messages() == []
    membership = next(m for m in workspace.memberships if m.user_id == editor.id)
    response = client.submit(f"/w/{workspace.slug}/members/{membership.id}/role", {"role": "admin"}, htmx=True)
    assert "Only an owner can make someone an admin." in response.get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.role == "editor"
    owner_client = app.test_client().log_in_as(owner_of(workspace))
    assert invite(owner_client, workspace, "trusted@example.com", "admin").status_code == 303
