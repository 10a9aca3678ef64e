"""Followers, following and posts from each platform's documented endpoint, kept on the
connection by the metrics job and shown on the Connections page."""
from datetime import timedelta

from studio.analytics import sync as metrics
from studio.database import utcnow
from studio.extensions import db
from tests.factories import make_connection, make_workspace, owner_of

EXPECTED = {
    "tiktok": {"followers": 48200, "following": 310, "posts": 221},
    "instagram": {"followers": 9100, "following": 240, "posts": 388},
    "youtube": {"followers": 4200, "posts": 35},
    "facebook": {"followers": 12800},
    "x": {"followers": 1520, "following": 80, "posts": 3021},
}


def test_each_platforms_account_numbers_are_fetched_and_shown(fake_platforms, app):
    workspace = make_workspace(name="Everywhere")
    connections = {}
    for platform in EXPECTED:
        access, refresh = fake_platforms.issue("facebook-page" if platform == "facebook" else platform)
        connections[platform] = make_connection(workspace, platform, **({"account_id": "101"} if platform == "facebook" else {}),
                                                access_token=access, refresh_token=refresh,
                                                expires_at=utcnow() + timedelta(hours=1))
    assert metrics.sync_account_stats() == len(EXPECTED)
    for platform, numbers in EXPECTED.items():
        db.session.refresh(connections[platform])
        assert connections[platform].details["stats"] == numbers, platform
    html = app.test_client().log_in_as(owner_of(workspace)).text(f"/w/{workspace.slug}/connections")
    assert "<strong>48,200</strong> followers" in html and "<strong>3,021</strong> posts" in html


def test_linkedin_members_have_no_audience_numbers_for_this_app(fake_platforms):
    workspace = make_workspace()
    access, _ = fake_platforms.issue("linkedin", refresh=False)
    make_connection(workspace, "linkedin", access_token=access, refresh_token=None, expires_at=utcnow() + timedelta(days=9))
    assert metrics.sync_account_stats() == 0
