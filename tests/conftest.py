"""Test machinery: an app per test on a temporary database, a CSRF-aware client, factories,
the outbox, a live server on loopback and Debian's Chromium through Playwright.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""
import os
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from studio import create_app
from studio.extensions import db
from tests.helpers import StudioClient

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sqlalchemy_url(url):
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def test_config(instance_path, database_url):
    return {
        "STUDIO_ENV": "test",
        "TESTING": True,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_URL": "outbox",
        "OUTBOX_DIR": str(Path(instance_path) / "outbox"),
        "SCHEDULER_ENABLED": False,
        "SERVER_NAME": None,
        "METRICS_CACHE_SECONDS": 0,
    }


def migrate_to_head(database_url, instance_path):
    """Build the schema the way production does: through the migrations."""
    from flask_migrate import upgrade

    app = create_app(test_config(instance_path, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def database_of_this_worker(url):
    """With pytest-xdist each worker process gets a PostgreSQL database of its own beside the one
    named (`studio_test_gw0`, …), made on first use; a run without workers uses the one named."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{server.url.database}_{worker}"
    with server.connect() as connection:
        if not connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar():
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    own = server.url.set(database=name).render_as_string(hide_password=False)
    server.dispose()
    return own


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Once per run: a migrated database that each test starts from."""
    folder = tmp_path_factory.mktemp("template")
    if TEST_DATABASE_URL:
        url = database_of_this_worker(sqlalchemy_url(TEST_DATABASE_URL))
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        migrate_to_head(url, folder)
        MIGRATED_ROWS.update(rows_in(url))
        return url
    path = folder / "template.db"
    migrate_to_head(f"sqlite:///{path}", folder)
    return path


# The rows the migrations themselves insert (the default plans), by table: a PostgreSQL test database
# is emptied after each test and these are put back, with the same ids, as a fresh migration has them.
MIGRATED_ROWS = {}


def rows_in(url):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = {table.name: [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*table.primary_key))]
                for table in db.metadata.sorted_tables}
    engine.dispose()
    return {name: found for name, found in rows.items() if found}


def empty_all_tables(app):
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table in db.metadata.sorted_tables:  # ids come from the restarted sequence, in the same order
            if MIGRATED_ROWS.get(table.name):
                connection.execute(table.insert(), [{name: value for name, value in row.items() if name != "id"}
                                                    for row in MIGRATED_ROWS[table.name]])


@pytest.fixture
def app(tmp_path, database_template):
    if TEST_DATABASE_URL:
        url = database_template
    else:
        path = tmp_path / "studio.db"
        shutil.copyfile(database_template, path)
        url = f"sqlite:///{path}"
    app = create_app(test_config(tmp_path / "instance", url))
    app.test_client_class = StudioClient
    with app.app_context():
        yield app
        db.session.remove()
        if TEST_DATABASE_URL:
            empty_all_tables(app)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    from tests.helpers import Outbox

    return Outbox(app.config["OUTBOX_DIR"])


# ---- a live server and a real browser ----------------------------------------------------------


@pytest.fixture
def live_server(app):
    """The test's app served on a free loopback port in a thread, for the browser to reach."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["SANDBOX_BASE_URL"] = base_url  # the studio reaches its own sandbox over HTTP
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser, request):
    """Opens pages in a fresh browser profile; each page's screenshot is kept if the test fails."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "report_call", None) and request.node.report_call.failed
    for number, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for index, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{number}-{index}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def fake_platforms(app):
    """The six platforms' fake on loopback, with the app's adapters pointed at it."""
    from tests.fakes.platforms import FakePlatformServer

    with FakePlatformServer() as fake:
        app.config.update(fake.config())
        app.config["PUBLISH_BACKOFF_SECONDS"] = 0
        app.config["PUBLISH_LOOKUP_DELAY_SECONDS"] = 0
        app.config["PUBLISH_POLL_SECONDS"] = 0
        yield fake


@pytest.fixture
def fake_model(app):
    """An OpenAI-compatible model server on loopback, streaming, with the app's coach pointed at it."""
    from tests.fakes.openai_server import FakeModelServer

    with FakeModelServer(chunk_delay=0.005) as fake:
        app.config.update(COACH_API_URL=fake.base_url, COACH_MODEL=fake.model, COACH_API_KEY="",
                          COACH_READ_TIMEOUT_SECONDS=2.0, COACH_SAVE_SECONDS=0.05, COACH_POLL_SECONDS=0.05)
        yield fake


# ---- a real SMTP server on loopback ------------------------------------------------------------


@pytest.fixture
def smtp_server(app):
    """aiosmtpd on a free loopback port, with the app sending to it; `.messages` holds what arrived."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()
