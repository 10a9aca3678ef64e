"""LinkedIn through the engine: version headers on every call, images and videos uploaded as
LinkedIn instructs, the post's id from x-restli-id."""
from datetime import timedelta

import pytest

from studio.analytics import sync as metrics
from studio.extensions import db
from studio.publishing import engine
from studio.publishing.models import PublishedPost
from tests.factories import add_fake_account, make_post, make_stored_asset, make_studio


@pytest.fixture
def member(fake_platforms):
    studio = make_studio(name="Pros", fake=fake_platforms)
    add_fake_account(studio, "linkedin", refresh=False, lasts=timedelta(days=60), account_id="782bbtaQ",
                     username="Maya Ortiz", scope="w_member_social",
                     details={"organizations": [{"urn": "urn:li:organization:5515715", "name": "Northwind Kitchens"}]})
    return studio


def test_a_text_post_as_the_member(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Hiring a sous-chef")
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published" and delivery.platform_post_id.startswith("urn:li:share:")
    assert delivery.platform_url == f"https://www.linkedin.com/feed/update/{delivery.platform_post_id}/"
    body = fake.linkedin_posts[delivery.platform_post_id]
    assert body["author"] == "urn:li:person:782bbtaQ" and body["lifecycleState"] == "PUBLISHED"


def test_a_video_goes_up_in_linkedins_parts_and_waits_until_available(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    asset = make_stored_asset(workspace, "video", 9 * 1024 * 1024)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Kitchen tour", media=[asset])
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published"
    [upload] = fake.linkedin_uploads.values()
    assert [len(p) for p in upload["parts"]] == [4 * 1024 * 1024, 4 * 1024 * 1024, 1024 * 1024]
    assert upload["status"] == "AVAILABLE" and upload["polls"] >= 2
    assert fake.linkedin_posts[delivery.platform_post_id]["content"]["media"]["id"].startswith("urn:li:video:")


def test_an_image_post(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    asset = make_stored_asset(workspace, "image", 20_000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Plating", media=[asset])
    engine.run_once()
    assert post.deliveries[0].status == "published"
    [upload] = fake.linkedin_uploads.values()
    assert len(upload["parts"][0]) == 20_000


def test_an_expired_token_fails_with_reconnect_since_linkedin_cannot_refresh(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Too late")
    fake.tokens.pop(connection.access_token)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "Reconnect" in delivery.last_error


def test_a_post_as_an_organisation_page_the_member_administers(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="We are hiring",
                     options={str(connection.id): {"author": "urn:li:organization:5515715"}})
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published"
    assert fake.linkedin_posts[delivery.platform_post_id]["author"] == "urn:li:organization:5515715"


def test_an_author_the_connection_does_not_hold_fails_without_calling_linkedin(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Not ours",
                     options={str(connection.id): {"author": "urn:li:organization:1"}})
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "cannot post as that author" in delivery.last_error
    assert not fake.calls_to("/linkedin-api/rest/posts")


def test_connecting_with_page_access_lists_the_pages_administered(member, app):
    connection = member.connection
    app.config["LINKEDIN_ORGANIZATION_PAGES"] = "1"
    from studio.platforms import get_platform

    platform = get_platform("linkedin")
    assert "w_organization_social" in platform.scopes
    account = platform.fetch_account(connection.access_token)
    assert account.extra["organizations"] == [{"urn": "urn:li:organization:5515715", "name": "Northwind Kitchens"}]


def test_rate_limits_wait_and_retry(member):
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Busy")
    fake.fail("/linkedin-api/rest/posts", 429)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "429" in delivery.last_error
    engine.run_until_idle()
    assert delivery.status == "published" and len(fake.linkedin_posts) == 1


def test_a_validation_error_fails_with_linkedins_message(member):
    workspace, owner, connection = member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="x" * 3100)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "commentary is too long" in delivery.last_error and delivery.attempt_count == 1


def test_a_server_error_from_the_create_call_stops_unconfirmed_instead_of_posting_twice(member):
    """LinkedIn keeps no idempotency key and offers no look-up: after a 5xx the post may exist, so the
    engine never sends a second create; a person checks the account, then retries or cancels."""
    fake, workspace, owner, connection = member.fake, member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Again")
    fake.fail("/linkedin-api/rest/posts", 500)
    engine.run_until_idle()
    [delivery] = post.deliveries
    assert delivery.status == "unconfirmed" and [a.outcome for a in delivery.attempts] == ["unconfirmed"]
    assert "cannot tell whether the post was made" in delivery.last_error
    assert len(fake.calls_to("/linkedin-api/rest/posts")) == 1


def test_numbers_come_from_social_actions(member, app):
    workspace, owner, connection = member.workspace, member.owner, member.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Count")
    engine.run_once()
    assert metrics.sync_recent() == 1
    live = db.session.execute(db.select(PublishedPost)).scalar_one()
    assert live.metrics == {"likes": 64, "comments": 6}
    page = app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/posts/{post.id}")
    assert "<dt>Likes</dt><dd>64</dd>" in page
