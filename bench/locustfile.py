"""The mixed load bench/load.py runs (locust, headless): makers open the calendar and compose, and
schedule posts for the next minutes or publish them now; clients read their inbox, write to the
agency and ask the coach; community members read topics and reply. Every write carries a marker
of its own, and each one the studio acknowledged is written to LOAD_ACKED (one JSON line each), so
bench/load.py can check afterwards that none was lost.

Accounts and ids come from LOAD_ACCOUNTS (written by bench/load.py)."""
import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import cycle
from threading import Lock

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read())
PASSWORD = ACCOUNTS["password"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_acked, _lock = open(os.environ["LOAD_ACKED"], "a"), Lock()
_people = {kind: cycle(ACCOUNTS[kind]) for kind in ("makers", "clients", "members")}


def acknowledged(kind, marker):
    with _lock:
        _acked.write(json.dumps({"kind": kind, "marker": marker}) + "\n")
        _acked.flush()


@events.quitting.add_listener
def close_log(environment, **kwargs):
    _acked.close()


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    kind = ""

    def on_start(self):
        self.me = next(_people[self.kind])
        page = self.client.get("/login", name="/login")
        answer = self.client.post("/login", name="/login", allow_redirects=False,
                                  data={"csrf_token": self.token(page.text), "email": self.me["email"], "password": PASSWORD})
        if answer.status_code != 303:
            raise RuntimeError(f"log-in failed for {self.me['email']}: {answer.status_code}")

    @staticmethod
    def token(html):
        found = CSRF.search(html)
        return found.group(1) if found else ""

    def write(self, kind, url, name, page_url, fields):
        """Post a form of `page_url` (with its token); each value of `fields` may hold `{marker}`, a
        marker of this write's own. A 303 is an acknowledged write, noted for bench/load.py."""
        marker = f"load-{uuid.uuid4().hex[:12]}"
        page = self.client.get(page_url, name=name + " [page]")
        data = {"csrf_token": self.token(page.text), **{key: value.format(marker=marker) for key, value in fields.items()}}
        with self.client.post(url, name=name, data=data, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 303:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
        acknowledged(kind, marker)


class Maker(Person):
    kind = "makers"
    weight = 3

    @task(3)
    def calendar(self):
        self.client.get(f"/w/{self.me['slug']}/calendar", name="/w/[ws]/calendar")

    @task(1)
    def posts(self):
        self.client.get(f"/w/{self.me['slug']}/posts", name="/w/[ws]/posts")

    @task(2)
    def schedule(self):
        when = datetime.now(UTC) + timedelta(minutes=1, seconds=30)
        self.compose("/w/[ws]/posts/new", {"message": "Scheduled by the load test {marker}", "when": "schedule",
                                           "date": when.strftime("%Y-%m-%d"), "time": when.strftime("%H:%M")})

    @task(1)
    def publish_now(self):
        self.compose("/w/[ws]/posts/new (now)", {"message": "Out now from the load test {marker}", "when": "now"})

    def compose(self, name, fields):
        composer = f"/w/{self.me['slug']}/posts/new"
        self.write("post", composer, name, composer, {"connections": self.me["connection"], **fields})


class Client(Person):
    kind = "clients"
    weight = 2

    @task(3)
    def inbox(self):
        self.client.get(f"/portal/c/{self.me['client']}/inbox", name="/portal/c/[id]/inbox")

    @task(2)
    def message(self):
        thread = f"/portal/c/{self.me['client']}/threads/{self.me['thread']}"
        self.write("message", thread + "/reply", "/portal/c/[id]/threads/[id]/reply", thread, {"body": "A question {marker}"})

    @task(1)
    def coach(self):
        coach = f"/portal/c/{self.me['client']}/coach"
        self.write("question", coach + "/ask", "/portal/c/[id]/coach/ask", coach,
                   {"question": "What should I post this week? {marker}"})


class Member(Person):
    kind = "members"
    weight = 2
    wait_time = between(2, 5)

    @task(3)
    def read(self):
        self.client.get(f"/community/{self.me['space']}/", name="/community/[space]/")
        self.client.get(f"/community/{self.me['space']}/t/{self.me['topic']}", name="/community/[space]/t/[id]")

    @task(1)
    def reply(self):
        topic = f"/community/{self.me['space']}/t/{self.me['topic']}"
        self.write("reply", topic + "/reply", "/community/[space]/t/[id]/reply", topic, {"body": "Agreed, and one more idea {marker}"})
