"""/metrics in Prometheus's text format. What every process shares is read from the database at each
scrape (so any web process answers for all of them): publish attempts by outcome, the queue of due
deliveries and its oldest, publish lag, live workers. What only a process knows (page latency, open
streams) comes from studio.ops.gauges."""
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from studio.database import utcnow
from studio.extensions import db
from studio.ops.health import alive_workers
from studio.publishing.models import Delivery, DeliveryStatus, Post, PublishAttempt

LAG_SAMPLE = 1000  # the most recent publications the lag is worked out from


class DatabaseCollector(Collector):
    """Figures the database holds, read when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        attempts = CounterMetricFamily("studio_publish_attempts", "Publish attempts by outcome.", labels=["outcome"])
        for outcome, count in db.session.execute(select(PublishAttempt.outcome, func.count()).group_by(PublishAttempt.outcome)):
            attempts.add_metric([str(outcome)], count)
        yield attempts
        due = (Delivery.status == DeliveryStatus.PENDING) & (Delivery.next_attempt_at <= now)
        depth, oldest = db.session.execute(select(func.count(), func.min(Delivery.next_attempt_at)).where(due)).one()
        yield GaugeMetricFamily("studio_publish_queue_depth", "Deliveries due now and not yet claimed.", value=depth)
        yield GaugeMetricFamily("studio_publish_oldest_due_seconds", "How long the longest-waiting due delivery has waited.",
                                value=(now - oldest).total_seconds() if oldest else 0)
        lags = [(published - scheduled).total_seconds() for published, scheduled in db.session.execute(  # type: ignore[operator]
            select(Delivery.published_at, Post.scheduled_at).join(Post, Post.id == Delivery.post_id)
            .where(Delivery.published_at > now - timedelta(hours=1), Post.scheduled_at.is_not(None))
            .order_by(Delivery.published_at.desc()).limit(LAG_SAMPLE))]
        lag = GaugeMetricFamily("studio_publish_lag_seconds", "From a post's time to its publication, over the last hour.",
                                labels=["quantile"])
        for name, value in (("0.5", statistics.median(lags) if lags else 0),
                            ("0.99", sorted(lags)[int(0.99 * (len(lags) - 1))] if lags else 0)):
            lag.add_metric([name], max(value, 0))
        yield lag
        yield GaugeMetricFamily("studio_workers_alive", "Workers whose heartbeat is recent enough for /readyz.",
                                value=alive_workers(now))


_shared: dict[str, tuple[float, bytes]] = {}


def exposition(multiprocess_dir: str | None, cache_seconds: float = 15) -> bytes:
    """The database's figures (read at most every `cache_seconds` in this process: they count whole
    tables), then this process's (or, under gunicorn, every process's)."""
    remembered = _shared.get("last")
    if remembered and time.monotonic() - remembered[0] < cache_seconds:
        shared_text = remembered[1]
    else:
        shared = CollectorRegistry()
        shared.register(DatabaseCollector())
        shared_text = generate_latest(shared)
        _shared["last"] = (time.monotonic(), shared_text)
    local = REGISTRY
    if multiprocess_dir:
        local = CollectorRegistry()
        MultiProcessCollector(local, path=multiprocess_dir)
    return shared_text + generate_latest(local)
