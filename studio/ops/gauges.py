"""This process's own measurements (the rest of /metrics is read from the database at each scrape).
With PROMETHEUS_MULTIPROC_DIR set (several gunicorn processes), prometheus_client keeps them in
files there and /metrics adds up every process's."""
import os

from prometheus_client import Gauge, Histogram

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # prometheus_client writes there from the first metric on
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

PAGE_SECONDS = Histogram("studio_http_request_duration_seconds", "Time to answer a request, by route and status class.",
                         ["method", "endpoint", "status"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
STREAMS_OPEN = Gauge("studio_sse_streams_open", "Server-sent event streams open now (the coach's answers).",
                     multiprocess_mode="livesum")
