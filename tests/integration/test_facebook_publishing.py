"""Facebook Pages through the engine: feed, photo and video posts with the Page's own token, and
Meta's error codes read for what they mean (4 is a rate limit, 190 an expired token)."""
from datetime import timedelta

import pytest

from studio.database import utcnow
from studio.extensions import db
from studio.publishing import engine
from tests.factories import add_fake_account, make_post, make_stored_asset, make_studio


@pytest.fixture
def page(fake_platforms):
    studio = make_studio(name="Pages", fake=fake_platforms)
    add_fake_account(studio, "facebook", issued_as="facebook-page", refresh=False, lasts=None, account_id="101",
                     username="Northwind Kitchen", scope="pages_manage_posts")
    return studio


def test_a_text_post_goes_to_the_pages_feed(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Open late on Friday")
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published" and delivery.platform_post_id.startswith("101_")
    assert fake.facebook_posts[delivery.platform_post_id] == {"message": "Open late on Friday"}
    assert delivery.platform_url == f"https://www.facebook.com/{delivery.platform_post_id}"


def test_a_photo_post_uploads_the_file_with_its_caption(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    asset = make_stored_asset(workspace, "image", 3000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Today's special", media=[asset])
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published"
    assert fake.facebook_posts[delivery.platform_post_id] == {"caption": "Today's special", "bytes": 3000}


def test_a_video_post_goes_to_the_video_host(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    asset = make_stored_asset(workspace, "video", 50_000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Behind the pass", media=[asset])
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published" and delivery.platform_url.endswith(f"/101/videos/{delivery.platform_post_id}")
    assert fake.calls_to("/fb-video/v21.0/101/videos")


def test_meta_code_4_is_a_rate_limit_and_is_retried(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Busy")
    fake.failures["meta-rate-limit"] = True
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "pending" and "code 4" in delivery.last_error
    delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    engine.run_once()
    assert delivery.status == "published"


def test_meta_code_190_asks_for_reconnecting(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Stale")
    fake.tokens.pop(connection.access_token)
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "code 190" in delivery.last_error and "Reconnect" in delivery.last_error
    assert connection.status == "expired"


def test_a_reel_goes_through_start_upload_and_finish_then_waits_until_published(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    asset = make_stored_asset(workspace, "video", 120_000)
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Plating in 20 seconds",
                     media=[asset], options={str(connection.id): {"format": "reel"}})
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "published", delivery.last_error
    reel = fake.facebook_posts[delivery.platform_post_id]
    assert reel["bytes"] == 120_000 and reel["description"] == "Plating in 20 seconds" and reel["polls"] >= 2
    assert delivery.platform_url == f"https://www.facebook.com/reel/{delivery.platform_post_id}"


def test_a_validation_error_fails_with_metas_message(page):
    workspace, owner, connection = page.workspace, page.owner, page.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="")
    engine.run_once()
    [delivery] = post.deliveries
    assert delivery.status == "failed" and "(#100) Param message must be non-empty" in delivery.last_error
    assert delivery.attempt_count == 1


def test_a_server_error_from_the_create_call_stops_unconfirmed_instead_of_posting_twice(page):
    """Facebook keeps no idempotency key and offers no look-up: after a 5xx the post may exist, so the
    engine never sends a second create; a person checks the account, then retries or cancels."""
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Again")
    fake.fail("/fb-graph/v21.0/101/feed", 500)
    engine.run_until_idle()
    [delivery] = post.deliveries
    assert delivery.status == "unconfirmed" and [a.outcome for a in delivery.attempts] == ["unconfirmed"]
    assert "cannot tell whether the post was made" in delivery.last_error
    assert len(fake.calls_to("/fb-graph/v21.0/101/feed")) == 1


def test_numbers_come_from_the_post_object(page, app):
    from studio.analytics import sync as metrics
    from studio.publishing.models import PublishedPost

    workspace, owner, connection = page.workspace, page.owner, page.connection
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Count")
    engine.run_once()
    assert metrics.sync_recent() == 1
    live = db.session.execute(db.select(PublishedPost)).scalar_one()
    assert live.metrics == {"likes": 57, "comments": 4, "shares": 3}
    html = app.test_client().log_in_as(owner).text(f"/w/{workspace.slug}/posts/{post.id}")
    assert "<dt>Likes</dt><dd>57</dd>" in html


def test_usage_over_90_percent_holds_the_next_post(page):
    fake, workspace, owner, connection = page.fake, page.workspace, page.owner, page.connection
    fake.load_headers["/fb-graph/v21.0/101/feed"] = {
        "X-Business-Use-Case-Usage": '{"101": [{"type": "pages", "call_count": 93, "total_cputime": 20, "total_time": 30, '
                                     '"estimated_time_to_regain_access": 7}]}'}
    first = make_post(workspace=workspace, author=owner, connections=[connection], message="Busy page")
    engine.run_once()
    assert first.deliveries[0].status == "published"
    second = make_post(workspace=workspace, author=owner, connections=[connection], message="Later please")
    engine.run_once()
    [delivery] = second.deliveries
    assert delivery.status == "pending" and "93% of its rate limit used" in delivery.last_error
    assert timedelta(minutes=6) < delivery.next_attempt_at - utcnow() <= timedelta(minutes=7)
    assert len(fake.calls_to("/fb-graph/v21.0/101/feed")) == 1
