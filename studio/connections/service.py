"""The rules of connected accounts: the OAuth dance, storing and refreshing tokens, disconnecting.

Plain functions over the session; the views keep the in-progress authorization (state and PKCE
verifier) in the user's session and hand it in here."""
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import ColumnElement, ColumnExpressionArgument, Table, Text, TypeCoerce, func, select, type_coerce, update

from studio.accounts.models import Membership, User, Workspace
from studio.billing.service import Totalled, check_total
from studio.connections.models import (
    ConnectionStatus,
    PendingConnection,
    PlatformConnection,
    SocialLink,
)
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.notify.mail import MailError, send_mail
from studio.platforms import get_platform
from studio.platforms.base import Account, Connectable, Platform, Tokens
from studio.platforms.errors import (
    AuthError,
    PermanentError,
    PlatformError,
    RetryableError,
)
from studio.refusal import Refused
from studio.urls import public_base_url

try:
    import fcntl
except ImportError:  # not on Windows: refreshes there wait on a lock within the process only
    fcntl = None  # type: ignore[assignment]

FLOW_TTL_SECONDS = 15 * 60
PENDING_TTL = timedelta(minutes=15)


# ---- reading -----------------------------------------------------------------------------------


def connections_of(workspace: Workspace) -> Sequence[PlatformConnection]:
    return db.session.execute(
        select(PlatformConnection).where(PlatformConnection.workspace_id == workspace.id)
        .order_by(PlatformConnection.platform, PlatformConnection.username)
    ).scalars().all()


# ---- the authorization flow ----------------------------------------------------------------------


def start_authorization(platform_key: str, workspace: Workspace, redirect_uri: str, reconnect_id: int | None = None,
                        login_hint: str | None = None) -> tuple[str, str, dict]:
    """The platform's authorize URL and the flow record to keep until the callback. `login_hint`
    (Reconnect's account) is passed where the platform takes one, to start its sign-in there."""
    platform = get_platform(platform_key)
    if not platform.configured:
        raise Refused(f"{platform.name} is not configured on this studio yet.")
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64) if platform.uses_pkce else None
    flow = {"platform": platform_key, "workspace_id": workspace.id, "slug": workspace.slug, "verifier": verifier,
            "reconnect_id": reconnect_id, "started": int(time.time())}
    url = platform.authorization_url(redirect_uri, state, verifier)
    if login_hint and platform.login_hint_param:
        url += ("&" if "?" in url else "?") + urlencode({platform.login_hint_param: login_hint})
    return url, state, flow


def flow_is_fresh(flow: dict | None) -> bool:
    return flow is not None and time.time() - flow.get("started", 0) < FLOW_TTL_SECONDS


def complete_authorization(platform_key: str, flow: dict, params: Mapping[str, str], redirect_uri: str,
                           user: User) -> tuple[str, Any]:
    """Finish the callback: check what came back, trade the code, and store what it grants.

    Returns ("connected", [connections]) or ("pick", pending) when the user must choose accounts.
    Stores nothing when anything is wrong: Refused when the platform or the flow says no,
    RetryableError when the platform is not answering properly."""
    platform = get_platform(platform_key)
    if params.get("error"):
        if params["error"] == "access_denied":
            raise Refused(f"You declined the request on {platform.name}, so nothing was connected.")
        description = params.get("error_description") or params["error"]
        raise Refused(f"{platform.name} refused the connection: {description}")
    code = params.get("code")
    if not code:
        raise Refused(f"{platform.name} sent no authorization code back.")
    if platform.uses_pkce and not flow.get("verifier"):
        raise Refused("This sign-in lost its PKCE verifier, so it cannot be finished safely. Start again.")
    try:
        tokens = platform.exchange_code(code, redirect_uri, flow.get("verifier"))
        connectables = platform.connectables(tokens)
    except RetryableError as error:  # an outage, not a refusal: nothing to fix but waiting
        raise RetryableError(f"{platform.name} is not answering properly right now ({error}). Try again in a moment.",
                             error.status, error.payload, error.retry_after) from error
    except PlatformError as error:
        raise Refused(f"{platform.name} did not accept the sign-in: {error}")
    if flow.get("reconnect_id"):
        return "connected", [reconnect(flow, platform, connectables, user)]
    if platform.picks_accounts:
        return "pick", hold_for_picking(flow["workspace_id"], user, platform_key, connectables)
    connections = [save_connection(flow["workspace_id"], platform_key, item, user) for item in connectables]
    db.session.commit()
    return "connected", connections


def reconnect(flow: dict, platform: Platform, connectables: Sequence[Connectable], user: User) -> PlatformConnection:
    """Renew one existing card: only the account it belongs to may take its place."""
    connection = db.session.execute(
        select(PlatformConnection).where(PlatformConnection.id == flow["reconnect_id"],
                                         PlatformConnection.workspace_id == flow["workspace_id"])
    ).scalar_one_or_none()
    if connection is None:
        raise Refused("The account to reconnect is no longer connected here. Connect it again instead.")
    match = next((item for item in connectables if item.account.id == connection.account_id), None)
    if match is None:
        names = ", ".join(f"@{item.account.username}" for item in connectables)
        raise Refused(f"You signed in to {platform.name} as {names}, but this card is @{connection.username}. "
                           f"Sign in as @{connection.username} to reconnect it; nothing was changed.")
    save_connection(flow["workspace_id"], platform.key, match, user)
    db.session.commit()
    return connection


def save_connection(workspace_id: int, platform_key: str, connectable: Connectable, user: User) -> PlatformConnection:
    """Create or update the connection for this account; a missing refresh token keeps the old one."""
    account, tokens = connectable.account, connectable.tokens
    connection = db.session.execute(
        select(PlatformConnection).where(
            PlatformConnection.workspace_id == workspace_id,
            PlatformConnection.platform == platform_key,
            PlatformConnection.account_id == account.id,
        )
    ).scalar_one_or_none()
    if connection is None:  # a new account takes one of the plan's; reconnecting one does not
        count = db.session.scalar(select(func.count()).where(PlatformConnection.workspace_id == workspace_id)) or 0
        check_total(db.session.get_one(Workspace, workspace_id), Totalled.CONNECTED_ACCOUNTS, count)
        connection = PlatformConnection(workspace_id=workspace_id, platform=platform_key, account_id=account.id,
                                        connected_by_id=user.id)
        db.session.add(connection)
    connection.username = account.username
    connection.display_name = account.display_name
    connection.avatar_url = account.avatar_url
    connection.details = {**(connection.details or {}), **account.extra}
    apply_tokens(connection, tokens)
    return connection


def apply_tokens(connection: PlatformConnection, tokens: Tokens) -> None:
    for name, value in token_values(tokens).items():
        setattr(connection, name, value)


def token_values(tokens: Tokens) -> dict[str, Any]:
    """The columns new tokens set, and the connection is active again."""
    values = {"access_token": tokens.access_token, "expires_at": tokens.expires_at, "status": "active",
              "last_error": None, "last_refreshed_at": utcnow()}
    if tokens.refresh_token:  # an empty value must never overwrite a working refresh token
        values["refresh_token"] = tokens.refresh_token
    if tokens.refresh_expires_at:
        values["refresh_expires_at"] = tokens.refresh_expires_at
    if tokens.scope:
        values["scope"] = tokens.scope
    return values


# ---- choosing accounts (Facebook Pages) ----------------------------------------------------------


def hold_for_picking(workspace_id: int, user: User, platform_key: str,
                     connectables: Sequence[Connectable]) -> PendingConnection:
    payload = [{"account": vars(item.account), "tokens": {**vars(item.tokens), "expires_at": None,
                                                         "refresh_expires_at": None}} for item in connectables]
    pending = PendingConnection(workspace_id=workspace_id, user_id=user.id, platform=platform_key,
                                payload=json.dumps(payload), expires_at=utcnow() + PENDING_TTL)
    db.session.add(pending)
    db.session.commit()
    return pending


def pending_choices(pending: PendingConnection) -> list[Connectable]:
    return [Connectable(Account(**item["account"]), Tokens(**item["tokens"])) for item in json.loads(pending.payload)]


def find_pending(workspace: Workspace, user: User, pending_id: int) -> PendingConnection | None:
    pending = db.session.get(PendingConnection, pending_id)
    if pending is None or pending.workspace_id != workspace.id or pending.user_id != user.id:
        return None
    if pending.expires_at < utcnow():
        db.session.delete(pending)
        db.session.commit()
        return None
    return pending


def connect_chosen(pending: PendingConnection, chosen_ids: Sequence[str], user: User) -> list[PlatformConnection]:
    chosen = [item for item in pending_choices(pending) if item.account.id in set(chosen_ids)]
    connections = [save_connection(pending.workspace_id, pending.platform, item, user) for item in chosen]
    db.session.delete(pending)
    db.session.commit()
    return connections


# ---- keeping tokens fresh ----------------------------------------------------------------------


class CannotRefresh(Exception):
    pass


# How long a refresh waits for another refresh of the same connection before giving up for now.
REFRESH_WAIT_SECONDS = 120


def refresh_connection(connection: PlatformConnection,
                       needed: Callable[[PlatformConnection], bool] | None = None) -> PlatformConnection:
    """Refresh the connection's tokens, one refresh at a time per connection, across threads and
    worker processes: PostgreSQL locks the connection's row; SQLite has no row locks, so a lock
    file per connection makes the others wait and the new tokens are stored by a compare-and-swap
    on the sealed token columns. Whoever waited re-reads the row: when another refresh stored new
    tokens meanwhile, it uses them without calling the platform.

    `needed(connection)`, asked of the row as it stands once this caller's turn comes, says whether
    a refresh is still wanted (a nearly expired token); without it the refresh happens unless
    another one ran meanwhile. The refresh job, the manual Refresh, `fresh_access_token` and the
    engine all come through here.

    A refusal marks the connection expired (and tells the workspace) only if the token it sent is
    still the stored one; an outage leaves it as it is and raises RetryableError; a platform with
    no way to refresh these tokens raises CannotRefresh and changes nothing."""
    platform = get_platform(connection.platform)
    if not platform.can_refresh_connection(connection):
        raise CannotRefresh(f"{platform.name} offers no refresh for this account; reconnect it before the token runs out.")
    known = (connection.access_token, connection.refresh_token)  # the tokens the caller has been using
    db.session.commit()  # wait holding nothing of the caller's
    try:
        with refresh_turn(connection):
            sent = reread_connection(connection)  # under the row lock on PostgreSQL
            refreshed_meanwhile = (connection.access_token, connection.refresh_token) != known
            if needed is not None:
                if connection.status != "active":
                    raise AuthError(f"The {connection.platform} account @{connection.username} needs reconnecting.")
                if not needed(connection):
                    db.session.commit()
                    return connection
            elif refreshed_meanwhile and connection.status == "active":
                db.session.commit()
                return connection
            try:
                tokens = platform.refresh(connection.access_token, connection.refresh_token)
            except RetryableError as error:
                connection.last_error = str(error)
                db.session.commit()
                raise
            except (AuthError, PermanentError) as error:
                if expire_if_unchanged(connection, sent, str(error)):
                    raise AuthError(str(error)) from error
                return connection  # another refresh stored new tokens while ours was refused: they stand
            store_if_unchanged(connection, sent, tokens)  # else another refresh's newer tokens stand
            return connection
    except BaseException:
        db.session.rollback()  # never keep the row locked past this call
        raise


@contextmanager
def refresh_turn(connection: PlatformConnection) -> Iterator[None]:
    """This connection's turn to refresh. On PostgreSQL the turn is the row lock that
    `reread_connection` takes (SELECT … FOR UPDATE), held until the transaction ends; SQLite
    has no row locks, so a lock file per connection (flock: threads and processes alike) waits."""
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    database = db.session.get_bind().engine.url.database
    if not database or database == ":memory:" or fcntl is None:
        with _process_lock(connection.id):
            yield
        return
    folder = Path(f"{database}-locks")
    folder.mkdir(exist_ok=True)
    with open(folder / f"connection-{connection.id}.lock", "a+b") as lock_file:
        waited_until = time.monotonic() + REFRESH_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > waited_until:
                    raise RetryableError(f"Another refresh of @{connection.username} is taking long; trying again later.")
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(connection_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(connection_id, threading.Lock())


def sealed(column: ColumnExpressionArgument[str | None]) -> TypeCoerce[str]:
    """The stored (sealed) text of a token column, not the plaintext: AES-GCM seals the same token
    differently each time, so only the stored text tells whether a row still holds what was read."""
    return type_coerce(column, Text)


def reread_connection(connection: PlatformConnection) -> tuple[str | None, str | None]:
    """Load the connection's row as it stands now (locked on PostgreSQL) and return its
    sealed tokens, what a compare-and-swap compares against."""
    row = db.session.execute(
        select(PlatformConnection, sealed(PlatformConnection.access_token).label("sealed_access_token"),
               sealed(PlatformConnection.refresh_token).label("sealed_refresh_token"))
        .where(PlatformConnection.id == connection.id).with_for_update(key_share=True)  # NO KEY UPDATE: rows that
        # merely point at the account (a delivery's published post) are not held up by a refresh
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise AuthError(f"The {connection.platform} account @{connection.username} is no longer connected.")
    return row[1], row[2]


def connections_table() -> Table:
    """The table behind PlatformConnection, which the compare-and-swap statements below update."""
    return cast(Table, PlatformConnection.__table__)


def still_holding(sent: tuple[str | None, str | None]) -> list[ColumnElement[bool]]:
    """WHERE the connection's row still holds the sealed tokens `sent` (access, refresh)."""
    table = connections_table()
    return [sealed(column).is_(None) if value is None else sealed(column) == value
            for column, value in zip((table.c.access_token, table.c.refresh_token), sent, strict=True)]


def store_if_unchanged(connection: PlatformConnection, sent: tuple[str | None, str | None], tokens: Tokens) -> bool:
    """Store new tokens unless the row no longer holds those the refresh was made with."""
    table = connections_table()
    stored = changed_rows(db.session.execute(
        update(table).where(table.c.id == connection.id, *still_holding(sent)).values(**token_values(tokens))
    ))
    db.session.commit()
    db.session.refresh(connection)
    return stored == 1


def expire_if_unchanged(connection: PlatformConnection, sent: tuple[str | None, str | None], reason: str) -> bool:
    """Mark the connection expired (and tell the workspace once) if its row still holds the token
    the platform refused. Returns False when another refresh stored new tokens meanwhile."""
    table = connections_table()
    was = connection.status
    expired = changed_rows(db.session.execute(
        update(table).where(table.c.id == connection.id, *still_holding(sent)).values(status="expired", last_error=reason)
    ))
    db.session.commit()
    db.session.refresh(connection)
    if expired and was != "expired":
        tell_workspace_to_reconnect(connection)
    return expired == 1


LAST_USED_PRECISION = timedelta(minutes=5)


def fresh_access_token(connection: PlatformConnection, ahead: timedelta = timedelta(seconds=60)) -> str | None:
    """The access token to call the platform with, refreshed first when it is (nearly) expired.
    When several workers find it nearly expired at once, one refreshes and the others use its token."""
    def nearly_expired(row: PlatformConnection) -> bool:
        return row.expires_at is not None and row.expires_at - ahead < utcnow()

    if connection.status != "active":
        raise AuthError(f"The {connection.platform} account @{connection.username} needs reconnecting.")
    if nearly_expired(connection):
        try:
            refresh_connection(connection, needed=nearly_expired)
        except CannotRefresh:
            if connection.expires_at is not None and connection.expires_at < utcnow():
                mark_expired(connection, "The token ran out and the platform offers no refresh.")
                raise AuthError(f"The {connection.platform} account @{connection.username} needs reconnecting.")
    if connection.last_used_at is None or connection.last_used_at < utcnow() - LAST_USED_PRECISION:
        # Noted once in a while, not on every publish: a write (and a commit that makes everything
        # loaded reload) per call would cost a busy worker more than the figure is worth.
        connection.last_used_at = utcnow()
        db.session.commit()
    return connection.access_token


def mark_expired(connection: PlatformConnection, reason: str) -> None:
    already = connection.status == "expired"
    connection.status = ConnectionStatus.EXPIRED
    connection.last_error = reason
    db.session.commit()
    if not already:
        tell_workspace_to_reconnect(connection)


def tell_workspace_to_reconnect(connection: PlatformConnection) -> None:
    platform = get_platform(connection.platform)
    admins = db.session.execute(
        select(User).join(Membership).where(Membership.workspace_id == connection.workspace_id,
                                            Membership.role.in_(("owner", "admin")))
    ).scalars().all()
    workspace = db.session.get_one(Workspace, connection.workspace_id)
    link = public_base_url() + f"/w/{workspace.slug}/connections"
    for admin in admins:
        try:
            send_mail(admin.email, f"Reconnect {platform.name} account @{connection.username}", "connection_expired",
                      user=admin, connection=connection, platform=platform, link=link)
        except MailError as error:  # the card still says "expired"; the e-mail is a courtesy
            current_app.logger.warning("could not e-mail %s about an expired connection: %s", admin.email, error)


def refresh_due_connections() -> dict[str, int]:
    """The job: refresh tokens that expire soon; expire those that cannot be refreshed."""
    ahead = timedelta(minutes=current_app.config["CONNECTION_REFRESH_AHEAD_MINUTES"])
    due = db.session.execute(
        select(PlatformConnection).where(PlatformConnection.status == "active",
                                         PlatformConnection.expires_at.is_not(None),
                                         PlatformConnection.expires_at < utcnow() + ahead)
    ).scalars().all()
    outcome = {"refreshed": 0, "expired": 0, "failed": 0}

    def still_due(row: PlatformConnection) -> bool:  # a worker may have refreshed it while the job waited its turn
        return row.expires_at is not None and row.expires_at < utcnow() + ahead

    for connection in due:
        platform = get_platform(connection.platform)
        if not platform.can_refresh_connection(connection):
            if connection.expires_at is not None and connection.expires_at < utcnow():
                mark_expired(connection, f"The {platform.name} token ran out and {platform.name} offers no refresh.")
                outcome["expired"] += 1
            continue
        try:
            refresh_connection(connection, needed=still_due)
            outcome["refreshed"] += 1
        except AuthError:
            outcome["expired"] += 1
        except RetryableError:
            outcome["failed"] += 1
    return outcome


# ---- disconnecting -----------------------------------------------------------------------------


def disconnect(connection: PlatformConnection) -> str | None:
    """Ask the platform to revoke the tokens (where it can), then forget them and the connection.
    Returns the platform's complaint, if any; the connection is removed either way."""
    platform = get_platform(connection.platform)
    problem = None
    if connection.access_token or connection.refresh_token:
        try:
            platform.revoke(connection.access_token, connection.refresh_token)
        except PlatformError as error:
            problem = str(error)
    db.session.delete(connection)
    db.session.commit()
    return problem


# ---- profile links -----------------------------------------------------------------------------


def social_links(workspace: Workspace) -> Sequence[SocialLink]:
    return db.session.execute(
        select(SocialLink).where(SocialLink.workspace_id == workspace.id).order_by(SocialLink.position, SocialLink.id)
    ).scalars().all()


def add_social_link(workspace: Workspace, label: str, url: str) -> SocialLink:
    position = len(social_links(workspace))
    link = SocialLink(workspace_id=workspace.id, label=label, url=url, position=position)
    db.session.add(link)
    db.session.commit()
    return link


def remove_social_link(link: SocialLink) -> None:
    db.session.delete(link)
    db.session.commit()
