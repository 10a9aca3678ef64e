"""Small helpers the tests share: a client that sends CSRF tokens like a browser, and the outbox."""
import email
import email.policy
import re
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from flask.testing import FlaskClient

from studio.extensions import db

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://\S+")


class StudioClient(FlaskClient):
    """A test client that posts forms the way the browser does: with the page's CSRF token.

    Each request runs in an application context of its own, as in production, so nothing on `g`
    (the logged-in user, the workspace) or in the request's database session leaks between
    requests or into the test's own session. Afterwards the test's session is expired so the
    test reads what the request committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if not (db.session.new or db.session.dirty or db.session.deleted):
            db.session.expire_all()
        return response

    def csrf_token(self):
        page = self.get("/login" if not self._logged_in() else "/account/profile")
        match = CSRF_INPUT.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on the page: {page.status_code} {page.get_data(as_text=True)[:2000]}"
        return match.group(1)

    def _logged_in(self):
        with self.session_transaction() as session:
            return "_user_id" in session

    def submit(self, url, data=None, htmx=False, headers=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        headers = dict(headers or {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data, headers=headers, **kwargs)

    def htmx_get(self, url, **headers):
        return self.get(url, headers={"HX-Request": "true", **headers})

    def log_in_as(self, user):
        """Skip the log-in form (the browser tests cover it): start a session for the user."""
        with self.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return self

    def text(self, url):
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


class Outbox:
    """The e-mails the app wrote to its outbox folder, oldest first."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def messages(self):
        if not self.folder.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address):
        return [message for message in self.messages() if message["To"] == address]

    def last_link_to(self, address):
        messages = self.to(address)
        assert messages, f"no e-mail to {address}"
        return link_in(messages[-1])


def link_in(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(text)
    assert match, "no link in the e-mail"
    return match.group(0)


def errors_next_to(html, field_id):
    """The error messages drawn beside a form field."""
    return re.findall(rf'<p class="field-error" id="{field_id}-error">([^<]+)</p>', html)


class HttpBrowser:
    """A browser made of `requests`, for flows that cross real HTTP (the app calling itself or a
    fake platform): it keeps cookies, follows redirects and sends forms with their CSRF token."""

    def __init__(self, base_url):
        import requests

        self.base_url = base_url
        self.http = requests.Session()

    def url(self, path):
        return path if path.startswith("http") else self.base_url + path

    def get(self, path, **kwargs):
        return self.http.get(self.url(path), timeout=15, **kwargs)

    def submit(self, page, data=None, action=None, **kwargs):
        """Post a form of `page` (a response) with that page's CSRF token."""
        match = CSRF_INPUT.search(page.text)
        assert match, f"no form with a CSRF token on {page.url}"
        return self.http.post(self.url(action) if action else page.url, data={"csrf_token": match.group(1), **(data or {})},
                              timeout=15, **kwargs)

    def log_in(self, email, password):
        page = self.get("/login")
        response = self.submit(page, {"email": email, "password": password})
        assert response.status_code == 200 and "/w/" in response.url, response.text[:500]
        return response


def wait_in_page(page, script, timeout=10.0):
    """Poll a JavaScript expression until it is truthy. (Playwright's wait_for_function polls by
    eval, which the studio's Content-Security-Policy rightly forbids.)"""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {script}")
        time.sleep(0.05)


def publish_now(workspace, owner, connection, text, media, **options):
    """Create a post due now for one account with its platform options, and run the engine until
    it has nothing left to do; returns the delivery."""
    from studio.publishing import engine
    from tests.factories import make_post

    post = make_post(workspace=workspace, author=owner, connections=[connection], message=text, media=media,
                     options={str(connection.id): options})
    engine.run_until_idle()
    [delivery] = post.deliveries
    return delivery


def frozen_at(moment):
    """Run a test as if it were `moment` ("2026-10-01 09:00", UTC), the clock ticking on from there.

    A test that names calendar dates takes its "today" from here, so it reads the same next week and
    next year. Use it as a decorator, or as a context manager whose `.shift(timedelta)` moves time on."""
    return time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=UTC), tick=True)


def at_once(*calls, seconds=10):
    """Run each of `calls` in a thread of its own, all at the same time, and wait for them to end
    (the way two workers or two browser tabs meet the same row)."""
    import threading

    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)
