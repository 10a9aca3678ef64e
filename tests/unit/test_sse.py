"""The event-stream helper: a ping at once, pings through silence, each line of data its own
`data:` line, and a closing event that tells the page to stop listening."""
import time

from studio.sse import event, event_stream


def test_an_event_puts_each_line_of_its_data_on_a_data_line_with_its_id():
    assert event("delta", "one\ntwo", 7) == b"event: delta\nid: 7\ndata: one\ndata: two\n\n"


def test_a_stream_pings_at_once_and_through_silence_then_closes(app):
    def source():
        yield None  # waited: nothing new, but not yet 15 s
        time.sleep(0.06)
        yield None  # waited past ping_seconds: a ping goes out
        yield event("delta", "Hello")

    with app.test_request_context():
        response = event_stream(source(), ping_seconds=0.05)
        body = b"".join(response.response)
    assert response.mimetype == "text/event-stream" and response.headers["Cache-Control"] == "no-cache"
    assert body == b": ping\n\n: ping\n\nevent: delta\ndata: Hello\n\nevent: close\ndata: \n\n"


def test_a_carriage_return_in_the_data_cannot_start_a_field_of_its_own():
    assert event("delta", "one\rid: 0\revent: close\r\ntwo") == \
        b"event: delta\ndata: one\ndata: id: 0\ndata: event: close\ndata: two\n\n"
