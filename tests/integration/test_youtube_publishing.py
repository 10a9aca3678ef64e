"""YouTube through the engine: a resumable upload session with the video's metadata, bytes in
256 KiB multiples, a resume from the byte the session reports after a dropped connection, and the
day's quota charged once per upload."""
from datetime import timedelta

import pytest

from studio.analytics import sync as metrics
from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine, quota
from studio.publishing.models import PublishedPost
from tests.factories import add_fake_account, make_post, make_stored_asset, make_studio
from tests.helpers import publish_now

KIB = 256 * 1024  # one upload unit


@pytest.fixture
def channel(fake_platforms, app):
    app.config["YOUTUBE_CHUNK_BYTES"] = 4 * KIB
    studio = make_studio(name="Kitchen channel", fake=fake_platforms)
    add_fake_account(studio, "youtube", lasts=timedelta(hours=1), account_id="UC_x5XG1OV2P6uZZ5FSM9Ttw",
                     username="@northwindkitchen", scope="https://www.googleapis.com/auth/youtube.upload")
    return studio


def units_spent_today():
    day = utcnow().astimezone(quota.ZoneInfo("America/Los_Angeles")).date().isoformat()
    return quota.used("youtube", day)


def test_a_video_uploads_in_256_kib_multiples_with_its_title_privacy_and_tags(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 10 * KIB + 1000)
    delivery = publish_now(workspace, owner, connection, "Knife skills, part 1\nHow we dice onions fast.", [asset],
                           title="Knife skills 101", privacy="unlisted", made_for_kids=False, tags="knife, #cooking")
    assert delivery.status == "published"
    [upload] = fake.youtube_uploads.values()
    assert delivery.platform_post_id == upload["video_id"]
    assert delivery.platform_url == f"https://www.youtube.com/watch?v={upload['video_id']}"
    assert upload["metadata"]["snippet"]["title"] == "Knife skills 101"
    assert upload["metadata"]["snippet"]["tags"] == ["knife", "cooking"]
    assert upload["metadata"]["status"]["privacyStatus"] == "unlisted"
    assert upload["metadata"]["status"]["selfDeclaredMadeForKids"] is False
    assert upload["puts"] == [(0, 4 * KIB), (4 * KIB, 4 * KIB), (8 * KIB, 2 * KIB + 1000)]
    assert bytes(upload["data"]) == asset.open().read()
    assert units_spent_today() == 1600


def test_a_connection_broken_mid_file_resumes_from_the_byte_the_session_reports(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 10 * KIB + 1000)
    fake.youtube_breaks.append(5 * KIB + 100)  # the line drops 1 KIB and 100 bytes into the second chunk
    delivery = publish_now(workspace, owner, connection, "Stock from scraps", [asset])
    assert delivery.status == "published" and len(delivery.attempts) == 1
    [upload] = fake.youtube_uploads.values()
    # The session kept whole units (5 of them); we asked, and went on from byte 5 * 256 KiB.
    assert upload["puts"] == [(0, 4 * KIB), (4 * KIB, "broken"), (5 * KIB, 4 * KIB), (9 * KIB, KIB + 1000)]
    assert upload["status_queries"] == 1
    assert bytes(upload["data"]) == asset.open().read(), "every byte arrived once, in order"
    assert units_spent_today() == 1600, "the quota ledger counts the upload once"


def test_an_upload_that_keeps_breaking_resumes_the_same_session_on_the_next_attempt(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 10 * KIB + 1000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Patience", media=[asset])
    fake.youtube_breaks.extend([5 * KIB] * 7)  # more breaks than one attempt will sit through
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and delivery.progress["upload_url"]
    fake.youtube_breaks.clear()
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    engine.run_until_idle()
    assert delivery.status == "published" and len(fake.youtube_uploads) == 1, "one session, one video"
    [upload] = fake.youtube_uploads.values()
    assert bytes(upload["data"]) == asset.open().read()
    assert units_spent_today() == 1600


def test_quota_exceeded_waits_and_retries(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 2 * KIB)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Tomorrow then", media=[asset])
    fake.fail("/google-api/upload/youtube/v3/videos", 403, body={"error": {
        "code": 403, "message": "The request cannot be completed because you have exceeded your quota.",
        "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}})
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "exceeded your quota" in delivery.last_error
    assert delivery.next_attempt_at > utcnow() + timedelta(minutes=30)


def test_an_expired_token_is_refreshed_once(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 2 * KIB)
    fake.tokens.pop(connection.access_token)
    delivery = publish_now(workspace, owner, connection, "Fresh", [asset])
    assert delivery.status == "published" and len(fake.calls_to("/google-token/token")) == 1


def test_invalid_metadata_fails_with_youtubes_message(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 2 * KIB)
    delivery = publish_now(workspace, owner, connection, "Title?", [asset], privacy="scheduled")
    assert delivery.status == "published", "an unknown privacy falls back to public"
    fake.fail("/google-api/upload/youtube/v3/videos", 400, body={"error": {
        "code": 400, "message": "The request metadata specifies an invalid video title.",
        "errors": [{"reason": "invalidTitle", "domain": "youtube.video"}]}})
    again = publish_now(workspace, owner, connection, "Another", [make_stored_asset(workspace, "video", 2 * KIB)])
    assert again.status == "failed" and "invalid video title" in again.last_error and again.attempt_count == 1


def test_server_errors_are_retried(channel):
    fake, workspace, owner, connection = channel.fake, channel.workspace, channel.owner, channel.connection
    asset = make_stored_asset(workspace, "video", 2 * KIB)
    fake.fail("/google-api/upload/youtube/v3/videos", 503)
    delivery = publish_now(workspace, owner, connection, "Again", [asset])
    assert delivery.status == "published" and [a.outcome for a in delivery.attempts] == ["retryable", "published"]


def test_numbers_come_from_videos_list(channel, app):
    workspace, owner, connection = channel.workspace, channel.owner, channel.connection
    delivery = publish_now(workspace, owner, connection, "Count", [make_stored_asset(workspace, "video", 2 * KIB)])
    assert metrics.sync_recent() == 1
    live = db.session.execute(db.select(PublishedPost)).scalar_one()
    assert live.metrics == {"views": 8800, "likes": 410, "comments": 37, "saves": 0}
    page = app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/posts/{delivery.post_id}")
    assert "<dt>Views</dt><dd>8,800</dd>" in page and "<dt>Comments</dt><dd>37</dd>" in page
