"""A fake OpenAI-compatible chat-completions server, served on loopback for the tests and the benchmark.

It answers `POST /v1/chat/completions` (plain or streamed as server-sent events) and `GET /v1/models`
with the shapes the OpenAI API uses. A "token" here is a whitespace-separated word, so counts are easy
to predict. Fields on the dataclass switch on faults: an API key to demand, an HTTP status to fail
with, a stream that drops its connection or stalls part-way. Every request is recorded.

Standalone, for the benchmark:

    python -m tests.fakes.openai_server --delay 0.02 [--port N] [--words N]

prints `base_url=http://127.0.0.1:PORT/v1` and serves until killed."""
import argparse
import itertools
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

DEFAULT_REPLY = (
    "**Focus on hooks.** Open with the payoff in the first two seconds, then cut anything that delays it.\n\n"
    "- Post at 6 pm, when your audience is most active.\n"
    "- End with a question to invite more comments and replies."
)
HANG_SECONDS = 60.0
WORD = re.compile(r"\s*\S+\s*")  # a word with its trailing whitespace (the first also keeps any leading)


def split_words(text):
    """The reply's stream chunks: one per word, each keeping the whitespace that follows it."""
    return WORD.findall(text or "")


def count_words(content):
    """Words in a message's content: a string, or a list of parts of which the text ones count."""
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, list):
        return sum(len(str(part.get("text", "")).split()) for part in content
                   if isinstance(part, dict) and part.get("type") == "text")
    return 0


def reply_with_words(count, base=DEFAULT_REPLY):
    """A reply exactly `count` words long, cycling through the words of `base`."""
    words = [chunk if chunk[-1].isspace() else chunk + " " for chunk in split_words(base)]
    return "".join(itertools.islice(itertools.cycle(words), count)).rstrip()


def error_body(message, kind, code=None, param=None):
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class QuietStreamingHandler(WSGIRequestHandler):
    """Send each event at once (no Nagle delay between small writes) and skip per-request log lines."""

    disable_nagle_algorithm = True

    def log_request(self, code="-", size="-"):
        pass


@dataclass
class FakeModelServer:
    model: str = "fake-coach-1"
    api_key: str | None = None
    reply: str = DEFAULT_REPLY
    chunk_delay: float = 0.05
    report_usage: bool = True
    fail_status: int | None = None
    cut_after: int | None = None  # content chunks sent before the connection is dropped
    hang_after: int | None = None  # content chunks sent before the stream stalls for HANG_SECONDS
    requests: list = field(default_factory=list)
    base_url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False, compare=False)
    _server: object = field(default=None, init=False, repr=False, compare=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False, compare=False)

    def start(self, port=0):
        """Serve on 127.0.0.1 (`port` 0 picks a free one) from a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = make_server("127.0.0.1", port, create_app(self), threaded=True,
                                   request_handler=QuietStreamingHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        # A short poll interval keeps stop() quick; shutdown() waits for the loop's next poll.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop accepting requests and release any stream that is stalled on purpose."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def record(self, entry):
        with self._lock:
            self.requests.append(entry)

    def completions(self):
        """The JSON bodies of the chat-completion requests received so far, oldest first."""
        with self._lock:
            return [entry["json"] for entry in self.requests if entry["path"] == "/v1/chat/completions"]


def create_app(state):
    app = Flask("fake_openai")

    @app.before_request
    def record_and_authenticate():
        state.record({"path": request.path, "json": request.get_json(silent=True),
                      "authorization": request.headers.get("Authorization")})
        if state.api_key is None:
            return None
        header = request.headers.get("Authorization", "")
        if header == f"Bearer {state.api_key}":
            return None
        if not header:
            message = ("You didn't provide an API key. You need to provide your API key in an Authorization "
                       "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        else:
            given = header.removeprefix("Bearer ")
            message = f"Incorrect API key provided: {given[:3]}***{given[-4:]}."
        return jsonify(error_body(message, "invalid_request_error", "invalid_api_key")), 401

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unknown_route(error):
        message = f"Invalid URL ({request.method} {request.path})"
        return jsonify(error_body(message, "invalid_request_error")), error.code

    @app.get("/v1/models")
    def models():
        return jsonify({"object": "list", "data": [
            {"id": state.model, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}]})

    @app.post("/v1/chat/completions")
    def chat_completions():
        if state.fail_status is not None:
            headers = {"Retry-After": "0"} if state.fail_status == 429 else {}
            body = error_body(f"The server had an error while processing your request (injected {state.fail_status}).",
                              "server_error")
            return jsonify(body), state.fail_status, headers
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error_body("We could not parse the JSON body of your request.", "invalid_request_error")), 400
        if not body.get("model"):
            return jsonify(error_body("You must provide a model parameter.", "invalid_request_error", param="model")), 400
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return jsonify(error_body("'messages' must be a non-empty array.", "invalid_request_error",
                                      param="messages")), 400
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            return jsonify(error_body("max_tokens must be a positive integer.", "invalid_request_error",
                                      param="max_tokens")), 400

        words = split_words(state.reply)
        finish_reason = "stop"
        if limit is not None and limit < len(words):
            words, finish_reason = words[:limit], "length"
        prompt_tokens = sum(count_words(message.get("content")) for message in messages if isinstance(message, dict))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                 "total_tokens": prompt_tokens + len(words)}
        answer = {"id": "chatcmpl-" + secrets.token_hex(12), "created": int(time.time()), "model": body["model"]}

        if not body.get("stream"):
            completion = {**answer, "object": "chat.completion", "choices": [{
                "index": 0, "message": {"role": "assistant", "content": "".join(words)},
                "logprobs": None, "finish_reason": finish_reason}]}
            if state.report_usage:
                completion["usage"] = usage
            return jsonify(completion)

        include_usage = bool((body.get("stream_options") or {}).get("include_usage")) and state.report_usage
        events = stream_events(state, answer, words, finish_reason, usage if include_usage else None,
                               request.environ.get("werkzeug.socket"))
        return Response(events, mimetype="text/event-stream", direct_passthrough=True,
                        headers={"Cache-Control": "no-cache"})

    return app


def stream_events(state, answer, words, finish_reason, usage, connection):
    """Yield the answer as server-sent events, one word per chunk, with the configured faults.

    The settings are read once here so a test changing them mid-stream does not affect this stream."""
    delay, cut_after, hang_after = state.chunk_delay, state.cut_after, state.hang_after

    def event(choices, **extra):
        chunk = {**answer, "object": "chat.completion.chunk", "choices": choices}
        if usage is not None:
            chunk["usage"] = None  # OpenAI sends an explicit null until the closing usage chunk
        chunk.update(extra)
        return f"data: {json.dumps(chunk)}\n\n".encode()

    def choice(delta, reason=None):
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}]

    def drop_connection():
        # Half-close both ways: the client sees the body end mid-chunk, with no finish_reason or [DONE].
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    yield event(choice({"role": "assistant", "content": ""}))
    for sent, word in enumerate(words):
        if cut_after is not None and sent >= cut_after:
            drop_connection()
            return
        if hang_after is not None and sent == hang_after:
            state._stopping.wait(HANG_SECONDS)
        if delay:
            time.sleep(delay)
        yield event(choice({"content": word}))
    if cut_after is not None:  # the cut point lies at or past the last word: drop before finishing
        drop_connection()
        return
    if hang_after is not None and hang_after >= len(words):
        state._stopping.wait(HANG_SECONDS)
    yield event(choice({}, finish_reason))
    if usage is not None:
        yield event([], usage=usage)
    yield b"data: [DONE]\n\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a fake OpenAI-compatible chat-completions API on loopback.")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between streamed chunks")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 picks a free one)")
    parser.add_argument("--words", type=int, default=None, help="make the reply this many words long")
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    args = parser.parse_args(argv)
    reply = reply_with_words(args.words) if args.words else DEFAULT_REPLY
    server = FakeModelServer(chunk_delay=args.delay, reply=reply, api_key=args.api_key).start(port=args.port)
    print(f"base_url={server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
