"""X through the engine: chunked media upload in order, processing polled until ready, the post,
its numbers, and X's errors leading to the right engine behaviour."""

import pytest

from studio.analytics import sync as metrics
from studio.extensions import db
from studio.publishing import engine
from studio.publishing.models import PublishedPost
from tests.factories import (
    add_fake_account,
    make_asset,
    make_post,
    make_stored_asset,
    make_studio,
)


@pytest.fixture
def x_account(fake_platforms):
    studio = make_studio(name="Tweeters", fake=fake_platforms)
    add_fake_account(studio, "x", account_id="2244994945", username="northwind", scope="tweet.write")
    return studio


def test_a_video_post_uploads_in_ordered_segments_waits_for_processing_then_posts(x_account):
    fake, workspace, owner, connection = x_account.fake, x_account.workspace, x_account.owner, x_account.connection
    asset = make_stored_asset(workspace, "video", 9 * 1024 * 1024 + 256 * 4)  # three segments: 4 MB, 4 MB, the rest
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="New reel is up", media=[asset])
    assert engine.run_once() == 1
    [delivery] = post.deliveries
    assert delivery.status == "published" and delivery.platform_url == f"https://x.com/i/web/status/{delivery.platform_post_id}"
    [upload] = fake.media.values()
    assert [len(c) for c in upload["segments"]] == [4 * 1024 * 1024, 4 * 1024 * 1024, 1024 * 1024 + 1024]
    assert upload["category"] == "tweet_video" and upload["polls"] == 2, "STATUS polled until succeeded"
    [call] = fake.calls_to("/x-api/2/tweets")
    assert call["headers"]["Authorization"] == f"Bearer {connection.access_token}"
    assert fake.tweets[delivery.platform_post_id]["media_ids"] == list(fake.media)


def test_rate_limits_wait_and_retry(x_account):
    fake, workspace, owner, connection = x_account.fake, x_account.workspace, x_account.owner, x_account.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Busy day")
    fake.fail("/x-api/2/tweets", 429)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "429" in delivery.last_error
    engine.run_until_idle()
    assert delivery.status == "published" and len(fake.tweets) == 1


def test_an_expired_token_is_refreshed_once_and_the_post_goes_out(x_account):
    fake, workspace, owner, connection = x_account.fake, x_account.workspace, x_account.owner, x_account.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Fresh token please")
    fake.tokens.pop(connection.access_token)  # X no longer knows the access token
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published" and connection.access_token in fake.tokens
    assert len(fake.calls_to("/x-api/2/oauth2/token")) == 1


def test_a_validation_error_fails_at_once_with_xs_message(x_account):
    workspace, owner, connection = x_account.workspace, x_account.owner, x_account.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="x" * 300)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "Your Tweet text is too long." in delivery.last_error
    assert delivery.attempt_count == 1


def test_a_server_error_from_the_create_call_stops_unconfirmed_instead_of_posting_twice(x_account):
    """X keeps no idempotency key and offers no look-up: after a 5xx the post may exist, so the
    engine never sends a second create; a person checks the account, then retries or cancels."""
    fake, workspace, owner, connection = x_account.fake, x_account.workspace, x_account.owner, x_account.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Second time lucky")
    fake.fail("/x-api/2/tweets", 503)
    engine.run_until_idle()
    [delivery] = post.deliveries
    assert delivery.status == "unconfirmed" and [a.outcome for a in delivery.attempts] == ["unconfirmed"]
    assert "cannot tell whether the post was made" in delivery.last_error
    assert len(fake.calls_to("/x-api/2/tweets")) == 1


def test_numbers_come_back_and_show_on_the_posts_page(x_account, app):
    workspace, owner, connection = x_account.workspace, x_account.owner, x_account.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Count me")
    engine.run_once()
    assert metrics.sync_recent() == 1
    live = db.session.execute(db.select(PublishedPost)).scalar_one()
    assert live.metrics == {"views": 1200, "likes": 41, "comments": 2, "shares": 4, "saves": 5}
    page = app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/posts/{post.id}")
    assert "<dt>Views</dt><dd>1,200</dd>" in page and "<dt>Likes</dt><dd>41</dd>" in page


def test_the_composer_refuses_a_fifth_image_on_x(x_account, app):
    workspace, owner, connection = x_account.workspace, x_account.owner, x_account.connection
    images = [make_asset(workspace, kind="image") for _ in range(5)]
    client = app.test_client().log_in_as(owner)
    response = client.submit(f"/w/{workspace.slug}/posts/new", {
        "connections": [connection.id], "message": "Five", "media": [i.id for i in images], "when": "now"})
    assert response.status_code == 422 and "5 images; X takes at most 4" in response.get_data(as_text=True)


def test_an_exhausted_rate_window_holds_the_next_post_until_it_resets(x_account):
    import time

    fake, workspace, owner, connection = x_account.fake, x_account.workspace, x_account.owner, x_account.connection
    reset = int(time.time()) + 600
    fake.load_headers["/x-api/2/tweets"] = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                                           "x-rate-limit-reset": str(reset)}
    first = make_post(workspace=workspace, author=owner, connections=[connection], message="Last call in this window")
    engine.run_once()
    assert first.deliveries[0].status == "published"
    second = make_post(workspace=workspace, author=owner, connections=[connection], message="Too soon")
    engine.run_once()
    [delivery] = second.deliveries
    assert delivery.status == "pending" and "rate limit for this account is used up" in delivery.last_error
    assert abs(delivery.next_attempt_at.timestamp() - reset) < 5 and delivery.attempt_count == 0
    assert len(fake.tweets) == 1, "X was not asked again before the window reset"
