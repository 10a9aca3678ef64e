"""Numbers for published posts and accounts: fetched from each platform's documented endpoint, kept
on the PublishedPost and the connection (so pages read them without calling out), and into the
history analytics reads (studio.analytics.history), then checked for alerts."""
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from studio.analytics import alerts, history
from studio.connections.models import PlatformConnection
from studio.connections.service import fresh_access_token
from studio.database import utcnow
from studio.extensions import db
from studio.platforms import get_platform
from studio.platforms.errors import PlatformError
from studio.publishing.models import PublishedPost


def sync(published_posts: Iterable[PublishedPost]) -> int:
    """Refresh the metrics of these posts, one call per account; returns how many were updated."""
    by_connection: dict[int | None, list[PublishedPost]] = {}
    for item in published_posts:
        by_connection.setdefault(item.connection_id, []).append(item)
    updated = 0
    for connection_id, items in by_connection.items():
        connection = db.session.get(PlatformConnection, connection_id) if connection_id else None
        if connection is None or connection.status != "active":
            continue
        try:
            numbers = get_platform(connection.platform).fetch_post_metrics(
                fresh_access_token(connection), [item.platform_post_id for item in items])
        except PlatformError as error:
            current_app.logger.warning("metrics for connection %s failed: %s", connection_id, error)
            for item in items:  # try again in an hour, not at once
                item.next_sync_at = utcnow() + timedelta(hours=1)
            continue
        for item in items:
            if item.platform_post_id in numbers:
                history.record_post_numbers(item, numbers[item.platform_post_id])
                updated += 1
            history.schedule_next(item)
    db.session.commit()
    return updated


def sync_account_stats(connections: Iterable[PlatformConnection] | None = None) -> int:
    """Followers, following and posts for each active account, kept on the connection."""
    if connections is None:
        connections = db.session.execute(
            select(PlatformConnection).where(PlatformConnection.status == "active")).scalars().all()
    updated = 0
    for connection in connections:
        try:
            stats = get_platform(connection.platform).fetch_account_stats(fresh_access_token(connection), connection)
        except PlatformError as error:
            current_app.logger.warning("account stats for connection %s failed: %s", connection.id, error)
            continue
        if stats is not None:
            connection.details = {**(connection.details or {}), "stats": stats, "stats_at": utcnow().isoformat()}
            history.record_account_stats(connection, stats)
            db.session.commit()
            alerts.check_account(connection)
            updated += 1
    db.session.commit()
    return updated


def sync_recent(limit: int = 500) -> int:
    """The job: the posts whose numbers are due (young posts often, old ones rarely: see
    history.next_sync), the longest due first."""
    items = db.session.execute(
        select(PublishedPost).where(PublishedPost.next_sync_at <= utcnow())
        .order_by(PublishedPost.next_sync_at).limit(limit)
    ).scalars().all()
    return sync(items)
