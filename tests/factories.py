"""Factories: the smallest calls that build users, workspaces and members for a test."""
import itertools
from functools import lru_cache

from studio.accounts import service
from studio.accounts.models import Membership, User
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


def make_connection(workspace, platform="sandbox", username=None, **fields):
    from datetime import timedelta

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
    from datetime import timedelta

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


def upload(content, filename):
    """A file for a multipart form field."""
    import io

    return (io.BytesIO(content), filename)


def make_channel(workspace, name="General", type_="GENERAL", archived=False):
    from studio.community.service import create_channel

    channel = create_channel(workspace, name, type_)
    if archived:
        channel.is_archived = True
        db.session.commit()
    return channel


def make_community(name="Creators Club"):
    """A workspace's community with a General channel, its owner and two members (clients) who
    each have a profile: (workspace, owner, general, alice, bob)."""
    from studio.community import service as community

    workspace = make_workspace(name=name)
    owner = owner_of(workspace)
    general = make_channel(workspace, "General")
    alice, bob = make_client(workspace, name="Alice Moon"), make_client(workspace, name="Bob Stone")
    for person in (owner, alice.user, bob.user):
        community.profile_for(workspace, person)
    return workspace, owner, general, alice.user, bob.user
