"""Server-sent events, the one way the studio streams to a page (htmx's SSE extension listens).

The response gives its database session back before the first byte: a stream may stay open for
minutes, and a session held that long would pin a connection of the pool. It sends a comment at
once (so proxies and the browser see the stream open), another after every 15 s of silence, and
ends with a `close` event that tells the page to stop listening (`sse-close="close"`) rather than
reconnect."""
import re
import time
from collections.abc import Iterator

from flask import Response, stream_with_context

from studio.extensions import db
from studio.ops.gauges import STREAMS_OPEN

PING = b": ping\n\n"


def event(name: str, data: str, event_id: str | int | None = None) -> bytes:
    """One event; each line of `data` becomes a `data:` line (the browser joins them with newlines)."""
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    # A browser ends a line at CR, LF or CRLF: each is a line of its own here, or a CR inside the
    # text would start a field of the stream's own (an `id:` or an `event: close`).
    lines.extend(f"data: {line}" for line in re.split(r"\r\n|\r|\n", data))
    return ("\n".join(lines) + "\n\n").encode()


def event_stream(events: Iterator[bytes | None], ping_seconds: float = 15.0) -> Response:
    """A streaming response of `events` (each an encoded event, or None when the source waited and
    has nothing: a ping goes out if `ping_seconds` passed since anything was sent)."""
    db.session.remove()

    def body() -> Iterator[bytes]:
        STREAMS_OPEN.inc()
        try:
            yield PING
            sent = time.monotonic()
            for item in events:
                now = time.monotonic()
                if item is not None:
                    yield item
                    sent = now
                elif now - sent >= ping_seconds:
                    yield PING
                    sent = now
            yield event("close", "")
        finally:  # also when the browser went away mid-stream
            STREAMS_OPEN.dec()

    response = Response(stream_with_context(body()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx passes each event on as it comes
    return response
