"""Factories: the smallest calls that build what a test needs (users, workspaces, members, accounts,
media, posts, clients, threads, deliverables, channels, topics, events), each through the app's own
models or services, as the app would build it."""
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from flask import current_app

from studio.accounts import service
from studio.accounts.models import Membership, User, Workspace
from studio.accounts.passwords import hash_password
from studio.extensions import db

PASSWORD = "correct-horse-battery-42"
_numbers = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash():
    # Hashing is slow on purpose; compute the shared test password's hash once per run.
    return hash_password(PASSWORD)


def make_user(name=None, email=None, timezone="UTC"):
    number = next(_numbers)
    user = User(
        name=name or f"Person {number}",
        email=(email or f"person{number}@example.com").lower(),
        password_hash=_password_hash(),
        timezone=timezone,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_workspace(owner=None, name=None):
    owner = owner or make_user()
    workspace = service.create_workspace(owner, name or f"Workspace {next(_numbers)}")
    db.session.commit()
    return workspace


def add_member(workspace, role, user=None):
    user = user or make_user()
    db.session.add(Membership(workspace=workspace, user=user, role=role))
    db.session.commit()
    return user


def owner_of(workspace):
    return next(m.user for m in workspace.memberships if m.role == "owner")


@dataclass
class Studio:
    """The one shape a test's setup hands over: a workspace, its owner, the owner logged in (`browser`:
    a test client, or an HttpBrowser across real HTTP), the accounts it publishes to, and the fake
    platforms when the test publishes to them."""

    workspace: Workspace
    owner: User
    browser: Any
    connections: list[Any] = field(default_factory=list)
    fake: Any = None

    @property
    def connection(self):
        """The account, for a studio that publishes to one."""
        [connection] = self.connections
        return connection


def make_studio(*, name=None, sandbox_accounts=(), fake=None):
    """A workspace and its owner, logged in through a test client, with a working sandbox account
    for each handle in `sandbox_accounts`."""
    workspace = make_workspace(name=name)
    owner = owner_of(workspace)
    connections = [make_sandbox_connection(workspace, handle) for handle in sandbox_accounts]
    return Studio(workspace, owner, current_app.test_client().log_in_as(owner), connections, fake)


def make_connection(workspace, platform="sandbox", username=None, **fields):
    from studio.connections.models import PlatformConnection
    from studio.database import utcnow

    number = next(_numbers)
    values = dict(account_id=f"acct-{number}", username=username or f"account{number}", display_name=f"Account {number}",
                  access_token=f"access-{number}-secret", refresh_token=f"refresh-{number}-secret",
                  expires_at=utcnow() + timedelta(hours=1), scope="profile publish metrics")
    values.update(fields)
    connection = PlatformConnection(workspace_id=workspace.id, platform=platform, **values)
    db.session.add(connection)
    db.session.commit()
    return connection


def add_fake_account(studio, platform, *, issued_as=None, refresh=True, lasts=timedelta(hours=2), **fields):
    """Connect `studio` to an account on the fake platforms (`studio.fake`) with tokens the fake issued:
    a refresh token unless refresh=False, an access token that lasts `lasts` (None: for good)."""
    from studio.database import utcnow

    access, refresh_token = studio.fake.issue(issued_as or platform, refresh=refresh)
    connection = make_connection(studio.workspace, platform, access_token=access, refresh_token=refresh_token,
                                 expires_at=utcnow() + lasts if lasts else None, **fields)
    studio.connections.append(connection)
    return connection


def make_asset(workspace, kind="video", title=None, **fields):
    """A library row without a file: for lists, filters and access checks."""
    from studio.library.models import MediaAsset

    number = next(_numbers)
    defaults = dict(kind=kind, title=title or f"Clip {number}", content_type="video/mp4" if kind == "video" else "image/jpeg",
                    storage_key=f"{workspace.id}/none-{number}", size_bytes=1000 * number, sha256=f"{number:064d}",
                    status="ready", width=1080, height=1920, aspect_ratio="9:16", orientation="vertical",
                    duration_seconds=12.0 if kind == "video" else None)
    defaults.update(fields)
    asset = MediaAsset(workspace_id=workspace.id, **defaults)
    db.session.add(asset)
    db.session.commit()
    return asset


def make_sandbox_connection(workspace, handle=None):
    """A connection to a real sandbox account with working tokens (the app serves the sandbox)."""
    from studio.connections.models import PlatformConnection
    from studio.database import utcnow
    from studio.platforms import get_platform
    from studio.sandbox.models import SandboxAccount
    from studio.sandbox.service import issue_tokens

    handle = handle or f"sandbox_{next(_numbers)}"
    account = SandboxAccount(handle=handle, display_name=handle.replace("_", " ").title())
    db.session.add(account)
    db.session.flush()
    access, refresh = issue_tokens(account, timedelta(hours=1), get_platform("sandbox").client_id)
    connection = PlatformConnection(workspace_id=workspace.id, platform="sandbox", account_id=str(account.id),
                                    username=handle, display_name=account.display_name, access_token=access,
                                    refresh_token=refresh, expires_at=utcnow() + timedelta(hours=1),
                                    scope="profile publish metrics")
    db.session.add(connection)
    db.session.commit()
    return connection


def make_stored_asset(workspace, kind, size, content_type=None):
    """A library asset whose file really is in storage (`size` bytes), for publishing tests."""
    import io

    from studio.library.storage import storage

    content_type = content_type or ("video/mp4" if kind == "video" else "image/jpeg")
    asset = make_asset(workspace, kind=kind, content_type=content_type, size_bytes=size)
    storage().save(asset.storage_key, io.BytesIO(bytes(range(256)) * (size // 256) + b"\x00" * (size % 256)))
    return asset


def make_post(*, workspace, author, connections=(), message="Fresh bread at 7", status="scheduled",
              scheduled_at=None, timezone="UTC", media=(), overrides=None, options=None, repeat=None):
    """A post made by the composer's service, with a delivery for each of `connections`.

    status="scheduled" (the default) makes it due now, or at `scheduled_at` (a wall-clock time in
    `timezone`) when given; status="draft" makes a draft (dated `scheduled_at` if given). `options`
    holds each account's platform choices by connection id; `repeat` makes a scheduled post the
    first of a series (see publishing.service.create_post)."""
    from studio.publishing.service import create_post

    if status == "draft":
        when = "draft"
    elif status == "scheduled":
        when = "schedule" if scheduled_at else "now"
    else:
        raise ValueError(f"make_post makes drafts and scheduled posts, not {status!r} ones")
    return create_post(workspace, author, message, overrides or {}, list(connections), list(media), when,
                       scheduled_local=scheduled_at, timezone=timezone, repeat=repeat, options=options)


def make_client(workspace, name=None, with_login=True, **fields):
    """A client of `workspace`; with a portal log-in (a User linked to it) unless told otherwise."""
    from studio.portal.service import create_client

    number = next(_numbers)
    client = create_client(workspace, name or f"Client {number}", f"client{number}@example.com", **fields)
    if with_login:
        user = make_user(name=client.name, email=client.email)
        client.user_id, client.status = user.id, "active"
        db.session.commit()
    return client


def make_thread(*, client, author, subject=None, body="Hello", uploads=(), deliverable=None):
    """A portal thread of `client` with its first message, by the client's own log-in (`client.user`)
    or, by anyone else, from the team's side."""
    from studio.portal.service import start_thread

    return start_thread(client, author, author.id == client.user_id, subject or f"Thread {next(_numbers)}", body,
                        uploads, deliverable=deliverable)


def make_deliverable(*, client, author, title=None, program_month=1, body="", uploads=(), publish=True):
    """A deliverable for `client`, published to them (notified and e-mailed) unless told otherwise."""
    from studio.portal.service import create_deliverable

    return create_deliverable(client, author, title or f"Deliverable {next(_numbers)}", program_month, body, uploads,
                              publish=publish)


def upload(content, filename):
    """A file for a multipart form field."""
    import io

    return (io.BytesIO(content), filename)


def make_channel(workspace, name="General", type_="general", archived=False):
    from studio.community.posting import create_channel

    channel = create_channel(workspace, name, type_)
    if archived:
        channel.is_archived = True
        db.session.commit()
    return channel


def make_topic(*, channel, author, title=None, body="Hello, everyone.", type_="text", role=None, uploads=()):
    """A topic in `channel` by `author`, posted through the community's rules with the author's own
    community role unless `role` is given."""
    from studio.community.members import community_role
    from studio.community.posting import create_topic

    workspace = db.session.get(Workspace, channel.workspace_id)
    role = role or community_role(workspace, author)
    return create_topic(workspace, author, role, channel, type_, title or f"Topic {next(_numbers)}", body, uploads)


def make_event(*, workspace, author, starts_at, ends_at=None, title=None, type_="meetup", description="",
               timezone="UTC", meeting_url="", capacity=None):
    """A community event; `starts_at` and `ends_at` (an hour later unless given) are wall-clock times
    in `timezone`, and must be still to come."""
    from studio.community.events import create_event

    return create_event(workspace, author, title or f"Event {next(_numbers)}", description, type_, starts_at,
                        ends_at or starts_at + timedelta(hours=1), timezone, meeting_url, capacity)


class Community(NamedTuple):
    workspace: Workspace
    owner: User
    general: Any  # its General channel
    alice: User
    bob: User


def make_community(name="Creators Club"):
    """A workspace's community with a General channel, its owner and two members (clients) who
    each have a profile: a Community (workspace, owner, general, alice, bob)."""
    from studio.community.members import profile_for

    workspace = make_workspace(name=name)
    owner = owner_of(workspace)
    general = make_channel(workspace, "General")
    alice, bob = make_client(workspace, name="Alice Moon"), make_client(workspace, name="Bob Stone")
    for person in (owner, alice.user, bob.user):
        profile_for(workspace, person)
    return Community(workspace, owner, general, alice.user, bob.user)


def make_article(workspace, title, body, month=None):
    """A page of the workspace's program playbook (what the coach quotes)."""
    from studio.coach.models import PlaybookArticle

    article = PlaybookArticle(workspace_id=workspace.id, program_month=month, title=title, body=body)
    db.session.add(article)
    db.session.commit()
    return article


def wait_for_answer(message_id, seconds=10):
    """Block until the coach's answer `message_id` is no longer arriving; returns it fresh."""
    import time

    from studio.coach import streams
    from studio.coach.models import AnswerState, CoachMessage

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        live = streams.live_answer(message_id)
        if live is not None:
            live.wait_past(10**9, 0.05)
        db.session.rollback()  # a new read: with SQLite's WAL an open one keeps seeing the past
        message = db.session.get(CoachMessage, message_id)
        if message.state != AnswerState.STREAMING:
            return message
        time.sleep(0.02)
    raise AssertionError(f"answer {message_id} still arriving after {seconds} s")


def require_approval(workspace, mode="internal"):
    """Make the workspace approve its posts ("internal": the team; "client": the team, then the client)."""
    from studio.content.approvals import set_mode

    set_mode(workspace, mode)
    return workspace


def make_request(workspace, creator, title="Spring menu launch", client=None, **fields):
    from studio.content.requests import create_request

    return create_request(workspace, creator, title, fields.pop("brief", "Three new pastries, launching Friday."),
                          client=client, **fields)


def make_version(request, author, text="Our spring menu lands Friday: three new pastries.", **fields):
    from studio.content.requests import add_version

    return add_version(request, author, text, **fields)


def make_step(workspace, month=1, day_offset=0, kind="reminder", title="Hello {first_name}", body="Month {month}.", hour=9):
    from studio.journey.service import save_step

    return save_step(workspace, None, month, day_offset, hour, kind, title, body)


def make_storefront(workspace, published=True, **fields):
    from studio.database import utcnow
    from studio.storefront.models import Storefront

    storefront = Storefront(workspace_id=workspace.id, display_name=fields.pop("display_name", workspace.name),
                            published_at=utcnow() if published else None, **fields)
    db.session.add(storefront)
    db.session.commit()
    return storefront


def make_service(workspace, title="Recipe development", price_cents=45_000, currency="EUR", type_="artisan", active=True):
    from studio.storefront.models import Service

    service = Service(workspace_id=workspace.id, title=title, description="Three tested recipes.", price_cents=price_cents,
                      currency=currency, type=type_, active=active)
    db.session.add(service)
    db.session.commit()
    return service


def make_update(workspace, author, body="The autumn menu is out."):
    from studio.storefront.models import StorefrontUpdate

    update = StorefrontUpdate(workspace_id=workspace.id, author_id=author.id, body=body)
    db.session.add(update)
    db.session.commit()
    return update


def make_showcase_video(workspace, connection=None, views=1200, likes=80, **fields):
    """A published post that carried a video, shown in the storefront's showcase."""
    from studio.publishing.models import PublishedPost

    number = next(_numbers)
    video = make_asset(workspace, "video", title=fields.pop("title", f"Video {number}"))
    published = PublishedPost(workspace_id=workspace.id, connection_id=connection.id if connection else None,
                              platform="sandbox", platform_post_id=f"showcase-{number}", url=f"https://example.com/p/{number}",
                              caption="A video", media_id=video.id, in_showcase=True, showcase_kind="short",
                              metrics={"views": views, "likes": likes}, **fields)
    db.session.add(published)
    db.session.commit()
    return published
