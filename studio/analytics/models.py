from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.database import enum_type, one_of, timestamp, workspace_fk
from studio.extensions import Model

# The numbers a post's aggregate keeps (each platform reports the ones it has; the rest stay 0).
POST_NUMBERS = ("views", "likes", "comments", "shares", "saves", "clicks", "impressions", "reach")


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO week, starting on its Monday


class MetricEvent(Model):
    """Numbers exactly as a platform gave them, with when: what a sync fetched or a webhook pushed."""

    __tablename__ = "metric_events"
    __table_args__ = (Index("ix_metric_events_workspace_id_recorded_at", "workspace_id", "recorded_at"),)

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("platform_connections.id", ondelete="SET NULL"))
    published_post_id: Mapped[int | None] = mapped_column(ForeignKey("published_posts.id", ondelete="SET NULL"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10), default="sync")  # "sync" or "webhook"
    metrics: Mapped[dict] = mapped_column(default=dict)
    recorded_at: Mapped[timestamp]


class MetricAggregate(Model):
    """A post's lifetime totals as they stood at the last fetch within a day or an ISO week. Written
    with the database's upsert (the fetched totals replace the row's), so fetching the same numbers
    again changes nothing and nothing is ever counted twice."""

    __tablename__ = "metric_aggregates"
    __table_args__ = (
        UniqueConstraint("published_post_id", "period", "period_start"),
        Index("ix_metric_aggregates_workspace_id_period_start", "workspace_id", "period", "period_start"),
        one_of("period", Period),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("platform_connections.id", ondelete="SET NULL"), index=True)
    published_post_id: Mapped[int] = mapped_column(ForeignKey("published_posts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    period: Mapped[Period] = mapped_column(enum_type(Period, 5))
    period_start: Mapped[date] = mapped_column(Date)
    views: Mapped[int] = mapped_column(default=0)
    likes: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    shares: Mapped[int] = mapped_column(default=0)
    saves: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    impressions: Mapped[int] = mapped_column(default=0)
    reach: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[timestamp]


class MetricGain(Model):
    """What an account's posts gained in one day (UTC), summed: each fetch adds the difference between
    the totals it found and the post's totals before it (so fetching the same totals again adds 0).
    The dashboard's ranges and charts read these rows alone."""

    __tablename__ = "metric_gains"
    __table_args__ = (UniqueConstraint("connection_id", "day"),
                      Index("ix_metric_gains_workspace_id_day", "workspace_id", "day"))

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    connection_id: Mapped[int] = mapped_column(ForeignKey("platform_connections.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    views: Mapped[int] = mapped_column(default=0)
    likes: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    shares: Mapped[int] = mapped_column(default=0)
    saves: Mapped[int] = mapped_column(default=0)


class AccountSnapshot(Model):
    """An account's audience on one day (UTC): the last figures fetched that day."""

    __tablename__ = "account_snapshots"
    __table_args__ = (UniqueConstraint("connection_id", "day"),)

    workspace_id: Mapped[workspace_fk]
    connection_id: Mapped[int] = mapped_column(ForeignKey("platform_connections.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    followers: Mapped[int] = mapped_column(default=0)
    following: Mapped[int | None]
    posts: Mapped[int | None]
    engagement_rate: Mapped[float | None]
    reach: Mapped[int | None]
    impressions: Mapped[int | None]
    metrics: Mapped[dict] = mapped_column(default=dict)
    taken_at: Mapped[timestamp]


class AlertKind(StrEnum):
    MILESTONE = "milestone"
    GROWTH_SURGE = "growth_surge"
    GROWTH_DECLINE = "growth_decline"
    LOW_ENGAGEMENT = "low_engagement"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(Model):
    """Something an account's numbers did that staff should know. `key` names the crossing (a
    milestone's mark, a week's surge): one alert per key and account, however often the job runs."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("connection_id", "key"),
        Index("ix_alerts_workspace_id_created_at", "workspace_id", "created_at"),
        one_of("kind", AlertKind),
        one_of("severity", Severity),
    )

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    connection_id: Mapped[int] = mapped_column(ForeignKey("platform_connections.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    kind: Mapped[AlertKind] = mapped_column(enum_type(AlertKind, 20))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, 10))
    key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(default=dict)  # the figures, and the posts a surge or decline names
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    created_at: Mapped[timestamp]
