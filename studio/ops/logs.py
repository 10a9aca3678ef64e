"""Structured logs: with LOG_FORMAT=json each line is one JSON object (time, level, logger, message,
and the request's id, method, path, status and duration where there is a request). Every request
carries an id: the proxy's X-Request-ID when it sent a sane one, else a new one; the response
returns it, so a user's report and the logs meet."""
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

from studio.ops.gauges import PAGE_SECONDS

SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
access = logging.getLogger("studio.access")


class RequestContext(logging.Filter):
    """Adds the current request's id, method and path to every record logged while it is answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
            record.method, record.path = request.method, request.path
        return True


class JsonFormatter(logging.Formatter):
    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "endpoint")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


JsonFormatter.converter = time.gmtime  # the "Z" above: times are UTC


class ExpectedSkips(logging.Filter):
    """The publishing job runs for up to 50 s on a 2 s interval: APScheduler's note that a run was
    skipped because the last is still going is how it is meant to work, not a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def init_logging(app: Flask) -> None:
    """Request ids, the access log and page timings for every request; JSON lines when asked."""
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(existing, ExpectedSkips) for existing in scheduler_log.filters):
        scheduler_log.addFilter(ExpectedSkips())
    if app.config["LOG_FORMAT"] == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestContext())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # two lines per job run, every 2 s
        app.logger.handlers.clear()  # Flask's own handler would print each line a second time
        app.logger.propagate = True
    else:
        for existing in [*logging.getLogger().handlers, *app.logger.handlers]:
            if not any(isinstance(known, RequestContext) for known in existing.filters):
                existing.addFilter(RequestContext())

    @app.before_request
    def start_request():
        # A proxy's id joins its logs to ours; from anyone else it could pass for another request's.
        sent = request.headers.get("X-Request-ID", "") if app.config["TRUSTED_PROXIES"] else ""
        g.request_id = sent if SANE_ID.fullmatch(sent) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        if "request_started" not in g:
            return response
        response.headers["X-Request-ID"] = g.request_id
        seconds = time.perf_counter() - g.request_started
        endpoint = request.endpoint or "unmatched"
        method = request.method if request.method in METHODS else "OTHER"  # a client may send any word
        PAGE_SECONDS.labels(method, endpoint, f"{response.status_code // 100}xx").observe(seconds)
        access.info("%s %s %s", request.method, request.path, response.status_code,
                    extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 1), "endpoint": endpoint})
        return response
