"""Alerts that explain themselves: an account passing a follower mark, growing much faster than its
own recent pace, or losing followers, or engagement falling low. Each crossing raises exactly one
alert (the database refuses a second with the same key for the account, however many jobs run at
once); it is put in front of the workspace's staff in the app and by e-mail. A surge or a decline
names the posts published in its window and their numbers."""
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from studio.analytics.models import AccountSnapshot, Alert, AlertKind, Severity
from studio.connections.models import PlatformConnection
from studio.database import utcnow
from studio.extensions import db, insert_in_dialect
from studio.journey.service import celebrate
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.notify.models import NotificationType
from studio.portal.models import Client
from studio.publishing.models import PublishedPost
from studio.urls import external_url, path_for

WINDOW = timedelta(days=7)
BASELINE_WEEKS = 4  # the pace a window is set against: the four weeks before it


def check_account(connection: PlatformConnection, today: date | None = None) -> list[Alert]:
    """Look at the account's recent snapshots and raise what they show; returns the alerts raised now."""
    today = today or utcnow().date()
    since = today - WINDOW * (BASELINE_WEEKS + 1) - timedelta(days=3)
    snapshots = db.session.execute(select(AccountSnapshot).where(
        AccountSnapshot.connection_id == connection.id, AccountSnapshot.day >= since, AccountSnapshot.day <= today)
        .order_by(AccountSnapshot.day)).scalars().all()
    if len(snapshots) < 2:
        return []  # a first snapshot is where the account stood, not something it did
    at = datetime.combine(today, time(9), UTC) if today != utcnow().date() else None  # a look back (the demo's history)
    raised = [milestone(connection, snapshots[-2], snapshots[-1], at), growth(connection, snapshots, at),
              low_engagement(connection, snapshots[-1], at)]
    return [alert for alert in raised if alert is not None]


def milestone(connection: PlatformConnection, before: AccountSnapshot, now: AccountSnapshot,
              at: datetime | None = None) -> Alert | None:
    crossed = [mark for mark in current_app.config["ANALYTICS_MILESTONES"] if before.followers < mark <= now.followers]
    if not crossed:
        return None
    mark = max(crossed)
    return raise_alert(connection, AlertKind.MILESTONE, Severity.INFO, f"milestone:{mark}",
                       f"@{connection.username} passed {mark:,} followers",
                       f"@{connection.username} on {connection.platform} has {now.followers:,} followers "
                       f"(from {before.followers:,} on {before.day:%-d %b}).",
                       {"mark": mark, "followers": now.followers, "day": now.day.isoformat()}, at)


def on_or_before(snapshots: Sequence[AccountSnapshot], day: date, slack: int = 3) -> AccountSnapshot | None:
    """The snapshot of `day`, or the closest in the `slack` days before it."""
    found = [s for s in snapshots if day - timedelta(days=slack) <= s.day <= day]
    return found[-1] if found else None


def growth(connection: PlatformConnection, snapshots: Sequence[AccountSnapshot], at: datetime | None = None) -> Alert | None:
    """The week's follower change against the four weeks before it: a surge when it is many times
    that pace, a decline when the account lost a share of its followers."""
    latest = snapshots[-1]
    start = on_or_before(snapshots, latest.day - WINDOW)
    base = on_or_before(snapshots, latest.day - WINDOW * (BASELINE_WEEKS + 1))
    if start is None or base is None:
        return None
    config = current_app.config
    change = latest.followers - start.followers
    pace = (start.followers - base.followers) / BASELINE_WEEKS
    year, week, _ = latest.day.isocalendar()
    figures = {"change": change, "weekly_pace": round(pace), "followers": latest.followers, "from": start.day.isoformat(),
               "to": latest.day.isoformat()}
    if change > 0 and change >= max(pace * config["ANALYTICS_SURGE_FACTOR"], start.followers * 0.01, 20):
        kind, severity, what = AlertKind.GROWTH_SURGE, Severity.INFO, f"gained {change:,} followers in a week"
        why = f"about {change / pace:.1f}× its usual pace of {round(pace):,} a week" if pace > 0 else "against no growth before"
    elif change < 0 and -change >= start.followers * config["ANALYTICS_DECLINE_PERCENT"] / 100:
        share = -change / start.followers * 100
        severity = Severity.CRITICAL if share >= 2 * config["ANALYTICS_DECLINE_PERCENT"] else Severity.WARNING
        kind, what, why = AlertKind.GROWTH_DECLINE, f"lost {-change:,} followers in a week", f"{share:.1f}% of its audience"
    else:
        return None
    if raised_within(connection, kind, latest.day - WINDOW):
        return None  # the same surge or decline running on into the next week is not news
    posts = posts_in(connection, start.day, latest.day)
    listed = "".join(f"\n- “{p['caption']}” ({p['published']}): {p['views']:,} views, {p['likes']:,} likes" for p in posts)
    message = (f"@{connection.username} {what} ({start.followers:,} → {latest.followers:,}), {why}. "
               + (f"Posts published in that week:{listed}" if posts else "No posts were published in that week."))
    return raise_alert(connection, kind, severity, f"{kind.value}:{year}-W{week:02d}",
                       f"@{connection.username} {what}", message, {**figures, "posts": posts}, at)


def raised_within(connection: PlatformConnection, kind: AlertKind, since: date) -> bool:
    return db.session.execute(select(Alert.id).where(
        Alert.connection_id == connection.id, Alert.kind == kind,
        Alert.created_at > datetime.combine(since, time.min, UTC)).limit(1)).first() is not None


def posts_in(connection: PlatformConnection, first: date, last: date, limit: int = 5) -> list[dict[str, Any]]:
    """The account's posts published between two days, most viewed first, with their numbers."""
    rows = db.session.execute(select(PublishedPost).where(
        PublishedPost.connection_id == connection.id, PublishedPost.published_at >= datetime.combine(first, time.min, UTC),
        PublishedPost.published_at < datetime.combine(last + timedelta(days=1), time.min, UTC))).scalars().all()
    ranked = sorted(rows, key=lambda p: -int((p.metrics or {}).get("views", 0)))[:limit]
    return [{"id": p.id, "caption": " ".join(p.caption.split())[:80] or "(no caption)", "url": p.url,
             "published": f"{p.published_at:%-d %b}", "views": int((p.metrics or {}).get("views", 0)),
             "likes": int((p.metrics or {}).get("likes", 0))} for p in ranked]


def low_engagement(connection: PlatformConnection, latest: AccountSnapshot, at: datetime | None = None) -> Alert | None:
    floor = current_app.config["ANALYTICS_LOW_ENGAGEMENT_PERCENT"]
    if latest.engagement_rate is None or latest.engagement_rate >= floor:
        return None
    year, week, _ = latest.day.isocalendar()
    return raise_alert(connection, AlertKind.LOW_ENGAGEMENT, Severity.WARNING, f"low_engagement:{year}-W{week:02d}",
                       f"@{connection.username}'s engagement fell to {latest.engagement_rate:.1f}%",
                       f"Under {floor:g}% of its audience engaged with @{connection.username} this week.",
                       {"engagement_rate": latest.engagement_rate}, at)


def raise_alert(connection: PlatformConnection, kind: AlertKind, severity: Severity, key: str, title: str, message: str,
                details: dict[str, Any], at: datetime | None = None) -> Alert | None:
    """Insert the alert unless this account already has one with `key` (ON CONFLICT DO NOTHING: of
    two jobs at once, one inserts and tells staff, the other does nothing); the alert, or None."""
    # RETURNING says whether the row went in (psycopg reports no row count for an INSERT … ON CONFLICT).
    inserted = db.session.execute(insert_in_dialect(Alert).values(
        workspace_id=connection.workspace_id, connection_id=connection.id, client_id=connection.client_id, kind=kind.value,
        severity=severity.value, key=key, title=title[:200], message=message, details=details, created_at=at or utcnow())
        .on_conflict_do_nothing(index_elements=["connection_id", "key"]).returning(Alert.id)).first() is not None
    db.session.commit()
    if not inserted:
        return None
    alert = db.session.execute(select(Alert).where(Alert.connection_id == connection.id, Alert.key == key)).scalar_one()
    tell_staff(alert, connection)
    if kind == AlertKind.MILESTONE and connection.client_id:
        celebrate_with_client(connection, alert)
    return alert


def celebrate_with_client(connection: PlatformConnection, alert: Alert) -> None:
    """A client's own account crossed a mark: her program celebrates it with her (once: the alert
    is raised once per crossing)."""
    client = db.session.get(Client, connection.client_id)
    if client is not None:
        celebrate(client, f"Congratulations, {client.name.split()[0] if client.name else ''}: {alert.title}", alert.message)


def tell_staff(alert: Alert, connection: PlatformConnection) -> None:
    from studio.portal.service import staff_recipients

    slug = connection_workspace_slug(connection)
    link = path_for("workspaces.dashboard", ws=slug) + "#alerts"
    for member in staff_recipients(alert.workspace_id):
        notify.notify(member.id, NotificationType.ANALYTICS_ALERT, alert.title, alert.message[:500], link,
                      workspace_id=alert.workspace_id)
        try:
            send_mail(member.email, alert.title, "analytics_alert", member=member, alert=alert,
                      link=external_url("workspaces.dashboard", ws=slug))
        except MailError as error:
            current_app.logger.warning("alert e-mail to %s failed: %s", member.email, error)
    alert.emailed_at = utcnow()
    db.session.commit()


def connection_workspace_slug(connection: PlatformConnection) -> str:
    from studio.accounts.models import Workspace

    return db.session.execute(select(Workspace.slug).where(Workspace.id == connection.workspace_id)).scalar_one()


def recent_alerts(workspace_id: int, limit: int = 8) -> Sequence[Alert]:
    return db.session.execute(select(Alert).where(Alert.workspace_id == workspace_id)
                              .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)).scalars().all()
