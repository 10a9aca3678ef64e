"""Everything a person types has a limit: in its form (refused beside the field, with the limit said
under it and a maxlength on the input) and in its column (so nothing longer can be stored)."""
import importlib
import re

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField, TextAreaField, URLField

from studio.accounts.models import User, Workspace
from studio.community import members as community
from studio.community.models import MemberProfile, Topic
from studio.extensions import db
from studio.portal.models import Client
from tests.factories import make_channel, make_studio
from tests.helpers import errors_next_to

HUGE = "x" * 10_000
FORM_MODULES = ["accounts", "workspaces", "connections", "library", "portal", "community", "sandbox", "publishing"]


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def owner_client(app):
    return make_studio(name="Northwind")


def refused_beside(response, field_id, limit, least=0):
    html = response.get_data(as_text=True)
    assert response.status_code == 422, response.status_code
    said = f"Use {least} to {limit:,} characters." if least else f"Use at most {limit:,} characters."
    assert errors_next_to(html, field_id) == [said], errors_next_to(html, field_id)
    assert re.search(rf'<(input|textarea)[^>]*id="{field_id}"[^>]*maxlength="{limit}"', html), "the input stops there"


def test_a_ten_thousand_character_name_is_refused_on_the_profile(owner_client):
    owner, client = owner_client.owner, owner_client.browser
    page = client.text("/account/profile")
    assert "Up to 120 characters." in page and 'maxlength="120"' in page, "the form says the limit"

    refused_beside(client.submit("/account/profile", {"name": HUGE, "timezone": "UTC"}), "name", 120)
    db.session.refresh(owner)
    assert owner.name != HUGE and len(owner.name) <= 120


def test_a_ten_thousand_character_workspace_name_is_refused(owner_client):
    workspace, client = owner_client.workspace, owner_client.browser
    refused_beside(client.submit(f"/w/{workspace.slug}/settings", {"name": HUGE}), "name", 120, least=2)
    assert db.session.get(Workspace, workspace.id).name == "Northwind"


def test_a_ten_thousand_character_client_name_is_refused(owner_client):
    workspace, client = owner_client.workspace, owner_client.browser
    response = client.submit(f"/w/{workspace.slug}/clients", {"name": HUGE, "email": "rosa@example.com", "current_month": "1"})
    refused_beside(response, "name", 120)
    assert count(Client) == 0


def test_a_ten_thousand_character_topic_title_is_refused(owner_client):
    workspace, client = owner_client.workspace, owner_client.browser
    general = make_channel(workspace, "General")
    new_topic = f"/community/{workspace.slug}/ch/{general.slug}/new"
    assert "Up to 200 characters." in client.text(new_topic)
    response = client.submit(new_topic, {"type": "text", "title": HUGE, "body": "Hello"})
    refused_beside(response, "title", 200, least=3)
    assert count(Topic) == 0


def test_a_community_profile_refuses_overlong_bio_and_location(owner_client):
    workspace, owner, client = owner_client.workspace, owner_client.owner, owner_client.browser
    profile = community.profile_for(workspace, owner)
    base = f"/community/{workspace.slug}/profile"
    response = client.submit(base, {"username": profile.username, "bio": HUGE, "location": "Lisbon", "links": ""})
    refused_beside(response, "bio", 1000)
    response = client.submit(base, {"username": profile.username, "bio": "", "location": HUGE, "links": ""})
    refused_beside(response, "location", 80)
    db.session.refresh(profile)
    assert profile.bio == "" and profile.location == ""


def test_a_bio_at_the_limit_with_line_breaks_fits_as_the_browser_counted_it(owner_client):
    """Browsers count a line break as one character for maxlength but send it as two (CR LF)."""
    workspace, owner, client = owner_client.workspace, owner_client.owner, owner_client.browser
    profile = community.profile_for(workspace, owner)
    bio = "\r\n".join(["a" * 99] * 10)  # 990 letters and 9 breaks: 999 as the browser counts
    response = client.submit(f"/community/{workspace.slug}/profile",
                             {"username": profile.username, "bio": bio, "location": "", "links": ""})
    assert response.status_code == 303
    db.session.refresh(profile)
    assert profile.bio == bio.replace("\r\n", "\n")


def test_search_boxes_have_a_limit(owner_client):
    workspace, owner, client = owner_client.workspace, owner_client.owner, owner_client.browser
    community.profile_for(workspace, owner)
    for path in (f"/community/{workspace.slug}/", f"/w/{workspace.slug}/library/", f"/w/{workspace.slug}/clients",
                 f"/w/{workspace.slug}/inbox"):
        search = re.search(r'<input[^>]*type="search"[^>]*>|<input[^>]*name="q"[^>]*>', client.text(path)).group(0)
        assert re.search(r'maxlength="\d+"', search), (path, search)


def text_fields():
    """Every text field of every form in the studio, as (form class, field name, its maxlength or None)."""
    from wtforms.fields.core import UnboundField
    from wtforms.validators import Length

    found = []
    for name in FORM_MODULES:
        try:
            module = importlib.import_module(f"studio.{name}.forms")
        except ModuleNotFoundError:
            continue
        for form_class in vars(module).values():
            if not (isinstance(form_class, type) and issubclass(form_class, FlaskForm)
                    and form_class.__module__ == module.__name__):
                continue
            for field_name in dir(form_class):
                field = getattr(form_class, field_name)
                if isinstance(field, UnboundField) and field.field_class in (StringField, TextAreaField, URLField):
                    validators = field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else [])
                    most = max([v.max for v in validators if isinstance(v, Length) and v.max > 0], default=None)
                    found.append((form_class.__name__, field_name, most))
    return found


def test_every_text_field_of_every_form_has_a_limit(app):
    fields = text_fields()
    assert len(fields) > 30
    unlimited = [f"{form}.{name}" for form, name, most in fields if not most]
    assert unlimited == []


# The columns that keep what those fields take: none is shorter than its form allows.
FORM_COLUMNS = {
    ("ProfileForm", "name"): User.name, ("SignupForm", "name"): User.name, ("WorkspaceForm", "name"): Workspace.name,
    ("ClientForm", "name"): Client.name, ("ClientForm", "niche"): Client.niche,
    ("TopicForm", "title"): Topic.title, ("ProfileForm", "username"): MemberProfile.username,
    ("ProfileForm", "bio"): MemberProfile.bio, ("ProfileForm", "location"): MemberProfile.location,
}


def test_each_column_holds_what_its_form_allows(app):
    from studio.community.models import Channel, Event, Report
    from studio.connections.models import SocialLink
    from studio.library.models import MediaAsset
    from studio.portal.models import Deliverable, Thread
    from studio.sandbox.models import SandboxAccount

    columns = {**FORM_COLUMNS, ("EventForm", "title"): Event.title, ("EventForm", "meeting_url"): Event.meeting_url,
               ("ChannelForm", "name"): Channel.name, ("ChannelForm", "description"): Channel.description,
               ("ReportForm", "reason"): Report.reason, ("SocialLinkForm", "label"): SocialLink.label,
               ("SocialLinkForm", "url"): SocialLink.url, ("RenameForm", "title"): MediaAsset.title,
               ("NewThreadForm", "subject"): Thread.subject, ("DeliverableForm", "title"): Deliverable.title,
               ("ConsentForm", "handle"): SandboxAccount.handle, ("ConsentForm", "display_name"): SandboxAccount.display_name}
    limits = {(form, name): most for form, name, most in text_fields()}
    for (form, name), column in columns.items():
        column_type = column.property.columns[0].type
        assert isinstance(column_type, sa.String) and column_type.length, f"{column} has no length"
        assert limits[(form, name)] <= column_type.length, (form, name, limits[(form, name)], column_type.length)


def test_a_name_at_the_limit_still_makes_a_workspace_name_that_fits(client):
    name = "Wolfeschlegelsteinhausenbergerdorff" * 4  # one word, 140 letters: too long
    refused_beside(client.submit("/signup", {"name": name, "email": "w@example.com", "password": "plum-orbit-harbor-7"}),
                   "name", 120)
    response = client.submit("/signup", {"name": name[:120], "email": "w@example.com", "password": "plum-orbit-harbor-7"})
    assert response.status_code == 303
    workspace = db.session.execute(select(Workspace)).scalar_one()
    assert len(workspace.name) <= 120 and workspace.name.endswith("'s workspace")
