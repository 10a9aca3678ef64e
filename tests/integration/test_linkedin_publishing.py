"""LinkedIn through the engine: version headers on every call, images and videos uploaded as
LinkedIn instructs, the post's id from x-restli-id."""
from datetime import timedelta

import pytest

from studio.database import utcnow
from studio.publishing import engine, service
from tests.factories import make_connection, make_stored_asset, make_workspace, owner_of


@pytest.fixture
def member(fake_platforms):
    workspace = make_workspace(name="Pros")
    access, _ = fake_platforms.issue("linkedin", refresh=False)
    connection = make_connection(workspace, "linkedin", account_id="782bbtaQ", username="Maya Ortiz", access_token=access,
                                 refresh_token=None, details={"author_urn": "urn:li:person:782bbtaQ"},
                                 expires_at=utcnow() + timedelta(days=60), scope="w_member_social")
    return fake_platforms, workspace, owner_of(workspace), connection


def test_a_text_post_as_the_member(member):
    fake, workspace, owner, connection = member
    post = service.create_post(workspace, owner, "Hiring a sous-chef", {}, [connection], [], "now")
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published" and delivery.platform_post_id.startswith("urn:li:share:")
    assert delivery.platform_url == f"https://www.linkedin.com/feed/update/{delivery.platform_post_id}/"
    body = fake.linkedin_posts[delivery.platform_post_id]
    assert body["author"] == "urn:li:person:782bbtaQ" and body["lifecycleState"] == "PUBLISHED"


def test_a_video_goes_up_in_linkedins_parts_and_waits_until_available(member):
    fake, workspace, owner, connection = member
    asset = make_stored_asset(workspace, "video", 9 * 1024 * 1024)
    post = service.create_post(workspace, owner, "Kitchen tour", {}, [connection], [asset], "now")
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published"
    [upload] = fake.linkedin_uploads.values()
    assert [len(p) for p in upload["parts"]] == [4 * 1024 * 1024, 4 * 1024 * 1024, 1024 * 1024]
    assert upload["status"] == "AVAILABLE" and upload["polls"] >= 2
    assert fake.linkedin_posts[delivery.platform_post_id]["content"]["media"]["id"].startswith("urn:li:video:")


def test_an_image_post(member):
    fake, workspace, owner, connection = member
    asset = make_stored_asset(workspace, "image", 20_000)
    post = service.create_post(workspace, owner, "Plating", {}, [connection], [asset], "now")
    engine.run_once()
    assert post.deliveries[0].status == "published"
    [upload] = fake.linkedin_uploads.values()
    assert len(upload["parts"][0]) == 20_000


def test_an_expired_token_fails_with_reconnect_since_linkedin_cannot_refresh(member):
    fake, workspace, owner, connection = member
    post = service.create_post(workspace, owner, "Too late", {}, [connection], [], "now")
    fake.tokens.pop(connection.access_token)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "Reconnect" in delivery.last_error
