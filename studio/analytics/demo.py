"""The analytics demo: 90 days of Northwind Kitchen's audience (a steady climb, then a surge in the
last week that carries it past 10,000 followers) and of its posts' numbers, written and checked for
alerts through the same functions the sync job uses, day by day."""
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Integer, cast, select

from studio.analytics import alerts, history
from studio.connections.models import PlatformConnection
from studio.database import utcnow
from studio.extensions import db
from studio.publishing.models import PublishedPost
from studio.sandbox import service as sandbox
from studio.sandbox.models import SandboxAccount, SandboxPost
from studio.urls import public_base_url

DAYS = 90
# Posts of the three months before the demo's recent ones: (days ago, caption).
EARLIER_POSTS = ((86, "Pantry staples we restock every week"), (80, "How we make stock from scraps"),
                 (74, "Knife skills, part 1: the claw grip"), (67, "Saturday market tour"),
                 (61, "Fresh pasta without a machine"), (55, "Knife skills, part 2: the julienne"),
                 (48, "Three sauces from one tomato base"), (41, "Behind the pass on a Friday night"),
                 (34, "Sourdough starter, day one"), (27, "Five-minute pickles"),
                 (20, "What a line cook eats after service"), (13, "Autumn squash, four ways"))


def followers_on(days_ago: int) -> int:
    """A climb of about 18 a day with a weekly wobble, then about 90 a day for the last week."""
    steady = 8_200 + (DAYS - 1 - min(days_ago, DAYS - 1)) * 18 + (days_ago % 7) * 6
    return steady if days_ago >= 8 else followers_on(8) + (8 - days_ago) * 92


def add_earlier_posts(workspace, kitchen: PlatformConnection) -> None:
    """Posts that really are on the sandbox account, published before the demo's month of activity."""
    for days_ago, caption in EARLIER_POSTS:
        when = datetime.combine(utcnow().date() - timedelta(days=days_ago), time(17), UTC)
        remote = SandboxPost(account_id=int(kitchen.account_id), text=caption, created_at=when)
        db.session.add(remote)
        db.session.flush()
        db.session.add(PublishedPost(workspace_id=workspace.id, connection_id=kitchen.id, platform="sandbox",
                                     platform_post_id=str(remote.id), url=f"{public_base_url()}/sandbox/p/{remote.id}",
                                     caption=caption, published_at=when))
    db.session.commit()


def seed_analytics(workspace) -> None:
    kitchen = db.session.execute(select(PlatformConnection).where(
        PlatformConnection.workspace_id == workspace.id, PlatformConnection.username == "northwind_kitchen")).scalar_one()
    add_earlier_posts(workspace, kitchen)
    posts = db.session.execute(select(PublishedPost, SandboxPost).join(
        SandboxPost, SandboxPost.id == cast(PublishedPost.platform_post_id, Integer)).where(
        PublishedPost.connection_id == kitchen.id)).all()
    today = utcnow().date()
    for days_ago in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=days_ago)
        moment = datetime.combine(day, time(20), UTC) if days_ago else utcnow()
        followers = followers_on(days_ago)
        history.record_account_stats(kitchen, {"followers": followers, "following": 310, "posts": 120 + (DAYS - days_ago) // 3,
                                               "reach": followers * 3, "impressions": followers * 5}, now=moment)
        for post, remote in posts:
            if post.published_at <= moment:  # what the sandbox answered that evening
                history.record_post_numbers(post, sandbox.post_metrics(remote, at=moment), now=moment)
        db.session.commit()
        alerts.check_account(kitchen, today=day)
    for post, _ in posts:
        history.schedule_next(post)  # from here on the sync job carries on where the demo stops
    # The account came to the sandbox with its audience: from now its own figures carry on the series.
    account = db.session.get_one(SandboxAccount, int(kitchen.account_id))
    account.starting_followers = followers_on(0) - int(sandbox.account_stats(account)["followers"])
    db.session.commit()
