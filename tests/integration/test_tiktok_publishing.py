"""TikTok through the engine: creator info first, then init, the chunks in order with their
Content-Range, and the publish status polled until TikTok says it is live (or in the inbox)."""

import pytest

from studio.analytics import sync as metrics
from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine
from studio.publishing.models import PublishedPost
from tests.factories import add_fake_account, make_post, make_stored_asset, make_studio
from tests.helpers import publish_now

MB = 1024 * 1024


@pytest.fixture
def creator(fake_platforms, app):
    app.config["TIKTOK_CHUNK_BYTES"] = 5 * MB
    studio = make_studio(name="Cooks", fake=fake_platforms)
    add_fake_account(studio, "tiktok", account_id="723f24d7", username="mayacooks", scope="video.publish")
    return studio


def test_a_video_is_posted_directly_in_ordered_chunks(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 12 * MB + 4321)
    delivery = publish_now(workspace, owner, connection, "Three-minute ramen #dinner", [asset],
                           privacy_level="PUBLIC_TO_EVERYONE")
    assert delivery.status == "published"
    [upload] = fake.tiktok_publishes.values()
    # Two chunks: TikTok's count is size // chunk, and the last chunk takes the remainder.
    assert upload["source"] == {"source": "FILE_UPLOAD", "video_size": 12 * MB + 4321, "chunk_size": 5 * MB,
                                "total_chunk_count": 2}
    assert upload["chunks"] == [5 * MB, 7 * MB + 4321]
    assert upload["post_info"]["title"] == "Three-minute ramen #dinner"
    assert upload["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert upload["post_info"]["disable_stitch"] is True, "the creator's own settings are respected"
    assert delivery.platform_post_id == upload["video_id"]
    assert delivery.platform_url == f"https://www.tiktok.com/@mayacooks/video/{upload['video_id']}"
    assert fake.calls_to("/tiktok/v2/post/publish/creator_info/query/"), "creator info is asked before init"
    assert len(fake.calls_to("/tiktok/v2/post/publish/status/fetch/")) == 2, "polled until PUBLISH_COMPLETE"


def test_a_small_video_goes_whole_as_a_draft_to_the_creators_inbox(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    delivery = publish_now(workspace, owner, connection, "Finish me in the app", [asset], mode="draft")
    assert delivery.status == "published" and delivery.platform_url == ""
    [upload] = fake.tiktok_publishes.values()
    assert upload["draft"] and upload["chunks"] == [300_000]
    assert fake.calls_to("/tiktok/v2/post/publish/inbox/video/init/")


def test_a_privacy_level_the_creator_may_not_use_fails_with_a_reason(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    delivery = publish_now(workspace, owner, connection, "Followers only", [asset], privacy_level="FOLLOWER_OF_CREATOR")
    assert delivery.status == "failed" and "cannot post to “Followers”" in delivery.last_error
    assert not fake.tiktok_publishes


def test_tiktoks_rate_limit_code_waits_and_retries(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Later", media=[asset])
    fake.fail("/tiktok/v2/post/publish/video/init/", 429, body={
        "data": {}, "error": {"code": "rate_limit_exceeded", "message": "API rate limit was exceeded.", "log_id": "1"}})
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "rate_limit_exceeded" in delivery.last_error
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    engine.run_until_idle()
    assert delivery.status == "published" and len(fake.tiktok_publishes) == 1


def test_an_invalid_token_is_refreshed_once_and_the_video_goes_out(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    fake.tokens.pop(connection.access_token)
    delivery = publish_now(workspace, owner, connection, "New token", [asset])
    assert delivery.status == "published"
    assert len(fake.calls_to("/tiktok/v2/oauth/token/")) == 1


def test_a_validation_error_fails_at_once_with_tiktoks_message(creator):
    workspace, owner, connection = creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    delivery = publish_now(workspace, owner, connection, "x" * 2300, [asset])
    assert delivery.status == "failed" and "longer than 2200 characters. (invalid_params)" in delivery.last_error
    assert delivery.attempt_count == 1


def test_a_server_error_is_retried(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    fake.fail("/tiktok/v2/post/publish/creator_info/query/", 503)
    delivery = publish_now(workspace, owner, connection, "Again", [asset])
    assert delivery.status == "published"
    assert [a.outcome for a in delivery.attempts] == ["retryable", "published"]


def test_after_a_timeout_the_publish_in_flight_is_asked_about_not_repeated(creator):
    fake, workspace, owner, connection = creator.fake, creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Did it go?", media=[asset])
    fake.fail("/tiktok/v2/post/publish/status/fetch/", 504, times=40)  # TikTok stops answering mid-way
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and delivery.progress["publish_id"]
    fake.failures.clear()
    assert delivery.needs_lookup, "the engine knows a publish may be in flight"
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    engine.run_until_idle()
    assert delivery.status == "published" and len(fake.tiktok_publishes) == 1
    assert delivery.attempts[-1].outcome == "recovered"


def test_numbers_come_from_the_video_query(creator, app):
    workspace, owner, connection = creator.workspace, creator.owner, creator.connection
    asset = make_stored_asset(workspace, "video", 300_000)
    delivery = publish_now(workspace, owner, connection, "Count me", [asset], privacy_level="PUBLIC_TO_EVERYONE")
    assert metrics.sync_recent() == 1
    live = db.session.execute(db.select(PublishedPost)).scalar_one()
    assert live.metrics == {"views": 5400, "likes": 320, "comments": 18, "shares": 12}
    page = app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/posts/{delivery.post_id}")
    assert "<dt>Views</dt><dd>5,400</dd>" in page
