"""Instagram through the engine: the live publishing limit first, then a container (an image that
Instagram fetches from our signed link, a reel sent to the resumable upload host, or a carousel of
children), polled until FINISHED, then published; Meta's error codes read for what they mean."""
from datetime import timedelta

import pytest

from studio.analytics import sync as metrics
from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine
from studio.publishing.models import PublishedPost
from tests.factories import add_fake_account, make_post, make_stored_asset, make_studio
from tests.helpers import publish_now


@pytest.fixture
def account(fake_platforms, live_server, app):
    app.config["PUBLIC_URL"] = live_server  # Instagram fetches images from the studio's signed links
    studio = make_studio(name="Grams", fake=fake_platforms)
    add_fake_account(studio, "instagram", refresh=False, lasts=timedelta(days=50), account_id="17841400008460056",
                     username="northwind.cooks", scope="instagram_business_content_publish")
    return studio


def test_an_image_is_fetched_by_instagram_from_a_signed_link_then_published(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    asset = make_stored_asset(workspace, "image", 4000)
    delivery = publish_now(workspace, owner, connection, "Sunday brunch #eggs", [asset])
    assert delivery.status == "published", delivery.last_error
    [container] = fake.instagram_containers.values()
    assert container["kind"] == "IMAGE" and container["bytes"] == 4000 and container["caption"] == "Sunday brunch #eggs"
    assert delivery.platform_url == fake.instagram_media[delivery.platform_post_id]["permalink"]
    assert fake.calls_to("/ig-graph/v21.0/17841400008460056/content_publishing_limit")


def test_a_reel_is_uploaded_to_the_resumable_host_and_waited_on(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    asset = make_stored_asset(workspace, "video", 200_000)
    delivery = publish_now(workspace, owner, connection, "Reel time", [asset], share_to_feed=False)
    assert delivery.status == "published", delivery.last_error
    [container] = fake.instagram_containers.values()
    assert container["kind"] == "REELS" and container["bytes"] == 200_000 and container["share_to_feed"] == "false"
    assert container["polls"] >= 2, "the container was polled until FINISHED"
    assert "/reel/" in delivery.platform_url


def test_several_images_make_a_carousel_of_children(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    images = [make_stored_asset(workspace, "image", 3000 + n) for n in range(3)]
    delivery = publish_now(workspace, owner, connection, "Three courses", images)
    assert delivery.status == "published"
    parents = [c for c in fake.instagram_containers.values() if c["kind"] == "CAROUSEL"]
    assert len(parents) == 1 and len(parents[0]["children"]) == 3 and parents[0]["caption"] == "Three courses"
    assert fake.instagram_quota_usage == 1, "a carousel counts once"


def test_a_full_publishing_limit_waits_for_room(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    fake.instagram_quota_usage = 100
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Too many today",
                     media=[make_stored_asset(workspace, "image", 3000)])
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "limit of 100 posts in 24 hours" in delivery.last_error
    assert not fake.instagram_containers


def test_meta_code_4_waits_and_retries(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    fake.fail("/ig-graph/v21.0/17841400008460056/media", 403, body={"error": {
        "message": "(#4) Application request limit reached", "type": "OAuthException", "is_transient": True, "code": 4}})
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Later",
                     media=[make_stored_asset(workspace, "image", 3000)])
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "code 4" in delivery.last_error


def test_an_expired_token_is_tried_once_with_a_refresh_then_the_account_asks_for_reconnecting(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    # Instagram refreshes a long-lived token with itself, so a token it calls expired (code 190)
    # cannot be refreshed: one refresh is tried, then the account is marked expired.
    fake.tokens.pop(connection.access_token)
    delivery = publish_now(workspace, owner, connection, "Fresh", [make_stored_asset(workspace, "image", 3000)])
    assert delivery.status == "failed" and "Reconnect the account" in delivery.last_error
    assert len(fake.calls_to("/ig-graph/refresh_access_token")) == 1
    assert connection.status == "expired"


def test_a_validation_error_fails_with_instagrams_message(account):
    workspace, owner, connection = account.workspace, account.owner, account.connection
    delivery = publish_now(workspace, owner, connection, "x" * 2300, [make_stored_asset(workspace, "image", 3000)])
    assert delivery.status == "failed" and "(#100) The caption is too long." in delivery.last_error
    assert delivery.attempt_count == 1


def test_a_server_error_is_retried(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    fake.fail("/ig-graph/v21.0/17841400008460056/media_publish", 500)
    delivery = publish_now(workspace, owner, connection, "Again", [make_stored_asset(workspace, "image", 3000)])
    assert delivery.status == "published" and len(fake.instagram_media) == 1
    assert len(fake.instagram_containers) == 1, "the retry published the container it had already made"


def test_numbers_come_from_media_insights(account, app):
    workspace, owner, connection = account.workspace, account.owner, account.connection
    delivery = publish_now(workspace, owner, connection, "Count", [make_stored_asset(workspace, "image", 3000)])
    assert metrics.sync_recent() == 1
    live = db.session.execute(db.select(PublishedPost)).scalar_one()
    assert live.metrics == {"views": 2300, "likes": 150, "comments": 9, "shares": 7, "saves": 21}
    page = app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/posts/{delivery.post_id}")
    assert "<dt>Saves</dt><dd>21</dd>" in page


def test_a_publish_whose_answer_was_lost_is_found_not_repeated(account):
    fake, workspace, owner, connection = account.fake, account.workspace, account.owner, account.connection
    fake.failures["ig-publish-then-fail"] = True
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Did it go out?",
                     media=[make_stored_asset(workspace, "image", 3000)])
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and delivery.needs_lookup, "a lost answer is uncertain, not a failure"
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    engine.run_until_idle()
    assert delivery.status == "published" and delivery.attempts[-1].outcome == "recovered"
    assert len(fake.instagram_media) == 1 and delivery.platform_post_id in fake.instagram_media
    assert len(fake.calls_to("/ig-graph/v21.0/17841400008460056/media_publish")) == 1, "never published twice"
