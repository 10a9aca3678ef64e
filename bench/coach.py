"""The coach under load: 50 clients stream answers at once while other pages keep being served.

One agency workspace with 50 clients (each with a portal log-in) and a few playbook articles, on a
fresh SQLite database. A fake OpenAI-compatible model (tests/fakes/openai_server.py, 100 words at
20 ms a word, so about 2 s an answer) stands in for the provider. Studio runs as ONE gunicorn
process with 128 threads, configured as in production. Each of the 50 clients, in a thread of its
own, asks a question through the real form, opens the conversation page and reads the answer's
server-sent events to the end; meanwhile another thread loads other pages (a client's inbox and
deliverables, the log-in page) in a loop. Measured: each stream's first byte (from just before the
ask to its first `delta` event) and the other pages' latency. The goal: other pages' p99 <= 250 ms
while the streams run.

    .venv/bin/python bench/coach.py

The last line reads:
    streams=50 first_byte_p99_ms=N other_page_p99_ms=N
"""
import contextlib
import html
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages_vs_anchor import PASSWORD, free_port  # noqa: E402
from bench.timing import bench_app  # noqa: E402
from studio.accounts.models import User  # noqa: E402
from studio.accounts.passwords import hash_password  # noqa: E402
from studio.accounts.service import create_workspace  # noqa: E402
from studio.coach.models import PlaybookArticle  # noqa: E402
from studio.extensions import db  # noqa: E402
from studio.portal.service import create_client  # noqa: E402

CLIENTS = 50
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SSE_URL = re.compile(r'sse-connect="([^"]+)"')


def build(folder):
    """The database, migrated, with the agency, its clients and its playbook: the clients' ids and e-mails."""
    app = bench_app(f"sqlite:///{Path(folder) / 'coach.db'}", folder)
    with app.app_context():
        password_hash = hash_password(PASSWORD)  # slow on purpose: once, shared by every log-in
        owner = User(email="owner@agency.example", name="Agency Owner", password_hash=password_hash)
        db.session.add(owner)
        workspace = create_workspace(owner, "Agency")
        db.session.add_all([PlaybookArticle(workspace_id=workspace.id, program_month=month, title=title, body=body)
                            for month, title, body in [
                                (1, "Your first month: hooks", "Open with the payoff in the first two seconds."),
                                (2, "Posting rhythm", "Three posts a week, at the hour your audience is active."),
                                (None, "Pricing a brand deal", "Price by deliverable and usage rights, not followers.")]])
        clients = []
        for number in range(CLIENTS):
            client = create_client(workspace, f"Client {number}", f"client{number}@client.example")
            user = User(email=client.email, name=client.name, password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            client.user_id, client.status = user.id, "active"
            clients.append((client.id, client.email))
        db.session.commit()
    return clients


class Browser:
    """One person's requests. Production cookies are Secure, which a cookie jar keeps off plain
    http: they are carried by hand, updated from every answer."""

    def __init__(self, base):
        self.base, self.http, self.cookies = base, requests.Session(), {}

    def send(self, method, path, **options):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        answer = self.http.request(method, self.base + path, headers=headers, allow_redirects=False, timeout=60,
                                   **options)
        self.cookies.update({cookie.name: cookie.value for cookie in answer.cookies})
        return answer

    def log_in(self, email):
        token = TOKEN.search(self.send("GET", "/login").text).group(1)
        answer = self.send("POST", "/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert answer.status_code in (302, 303), (email, answer.status_code)
        return self


def serve(port, environment):
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--worker-class", "gthread", "--workers", "1", "--threads", "128",
         "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning", "app:app"],
        env={**os.environ, **environment}, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return process
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def stream_one(browser, client_id, start):
    """Ask, open the page, read the answer's events to the end: milliseconds to the first delta, of
    the ask and of the page."""
    coach = f"/portal/c/{client_id}/coach"
    token = TOKEN.search(browser.send("GET", coach).text).group(1)
    with contextlib.suppress(threading.BrokenBarrierError):  # another client failed before the start
        start.wait(timeout=120)
    began = time.perf_counter()
    asked = browser.send("POST", f"{coach}/ask", data={"question": "How often should I post reels?",
                                                       "csrf_token": token})
    assert asked.status_code == 303, f"ask answered {asked.status_code}"
    ask_ms = (time.perf_counter() - began) * 1000
    page = browser.send("GET", asked.headers["Location"].split("#")[0])
    page_ms = (time.perf_counter() - began) * 1000 - ask_ms
    found = SSE_URL.search(page.text)
    assert found, f"no sse-connect on the page (status {page.status_code})"
    first_byte, finished = None, False
    with browser.send("GET", html.unescape(found.group(1)), stream=True) as events:
        assert events.status_code == 200, f"stream answered {events.status_code}"
        for line in events.iter_lines(decode_unicode=True):
            if line == "event: delta" and first_byte is None:
                first_byte = (time.perf_counter() - began) * 1000
            elif line in ("event: done", "event: close"):
                finished = line == "event: done" or finished
                break
    assert first_byte is not None, "no delta event"
    assert finished, "the stream closed before its done event"
    return first_byte, ask_ms, page_ms


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main():
    servers = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            clients = build(folder)
            model = subprocess.Popen([sys.executable, "-m", "tests.fakes.openai_server", "--delay", "0.02",
                                      "--words", "100"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
            servers.append(model)
            base_url = next(line for line in model.stdout if line.startswith("base_url=")).strip().split("=", 1)[1]
            port = free_port()
            servers.append(serve(port, {
                "STUDIO_ENV": "production", "DATABASE_URL": f"sqlite:///{Path(folder) / 'coach.db'}",
                "STUDIO_INSTANCE_PATH": folder, "SECRET_KEY": "bench" * 10, "PUBLIC_URL": "http://127.0.0.1",
                "SCHEDULER_ENABLED": "false", "TOKEN_KEYS": Path(folder, "token_keys").read_text().strip(),
                "PYTHONPATH": str(ROOT), "COACH_API_URL": base_url, "COACH_MODEL": "fake-coach-1",
                "COACH_MAX_STREAMS": "64"}))
            base = f"http://127.0.0.1:{port}"
            with ThreadPoolExecutor(8) as pool:
                browsers = list(pool.map(lambda c: Browser(base).log_in(c[1]), clients))
            watcher, stranger = Browser(base).log_in(clients[0][1]), Browser(base)
            others = [(watcher, f"/portal/c/{clients[0][0]}/inbox"),
                      (watcher, f"/portal/c/{clients[0][0]}/deliverables"), (stranger, "/login")]
            for who, path in others:  # warm up
                who.send("GET", path)

            start, done = threading.Barrier(CLIENTS + 1), threading.Event()
            results, errors, latencies = [], [], []

            def streamer(browser, client_id):
                try:
                    results.append(stream_one(browser, client_id, start))
                except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                    errors.append(f"client {client_id}: {error!r}")
                    start.abort()  # a client that cannot start must not leave the others waiting

            threads = [threading.Thread(target=streamer, args=(b, c[0])) for b, c in zip(browsers, clients, strict=True)]
            for thread in threads:
                thread.start()
            with contextlib.suppress(threading.BrokenBarrierError):  # a client failed: the errors say which
                start.wait(timeout=120)
            began = time.perf_counter()
            number = 0
            while not done.is_set():
                who, path = others[number % len(others)]
                number += 1
                moment = time.perf_counter()
                status = who.send("GET", path).status_code
                latencies.append((time.perf_counter() - moment) * 1000)
                if status != 200:
                    errors.append(f"{path} answered {status}")
                if not any(thread.is_alive() for thread in threads):
                    done.set()
            elapsed = time.perf_counter() - began
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    print(f"pid {server.pid} still running 10 s after SIGTERM: killed", file=sys.stderr)
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()
    first_bytes = [first for first, _, _ in results]
    for error in errors[:10]:
        print("error:", error)
    print(f"streams completed: {len(first_bytes)} of {CLIENTS} in {elapsed:.1f} s, errors: {len(errors)}")
    print(f"ask (POST to its 303): p50 {percentile([r[1] for r in results], 0.5):.0f} ms, "
          f"conversation page: p50 {percentile([r[2] for r in results], 0.5):.0f} ms")
    print(f"first byte: p50 {percentile(first_bytes, 0.5):.0f} ms, p99 {percentile(first_bytes, 0.99):.0f} ms")
    print(f"other pages: {len(latencies)} loads, p50 {percentile(latencies, 0.5):.0f} ms, "
          f"p99 {percentile(latencies, 0.99):.0f} ms (goal: p99 <= 250 ms)")
    print(f"streams={len(first_bytes)} first_byte_p99_ms={percentile(first_bytes, 0.99):.0f} "
          f"other_page_p99_ms={percentile(latencies, 0.99):.0f}")
    if errors or len(first_bytes) != CLIENTS:
        sys.exit(1)


if __name__ == "__main__":
    main()
