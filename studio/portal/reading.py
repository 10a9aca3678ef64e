"""Reading the inbox, for both sides of the portal: threads as light rows a page at a time (keyset:
newest message first, `before` a cursor), a thread's messages with their senders and files, the
unread counts the badges poll, and the names of a workspace's clients for the filter. Each page's
statements are built once per shape and run with their values."""
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

from studio.accounts.models import User, Workspace
from studio.database import containing
from studio.extensions import read_rows
from studio.portal.models import Client, Message, PortalFile, Thread

PAGE_SIZE = 50  # threads on a page of an inbox, and the latest messages a thread shows

Cursor = tuple[datetime, int]  # (last message time, thread id) of the last thread a page showed
Statement = Select[*tuple[Any, ...]]  # a select of any columns


class ThreadRow(NamedTuple):
    """A line of an inbox: what the list shows of a thread, and nothing more."""

    id: int
    subject: str
    state: str
    preview: str
    last_message_at: datetime
    message_count: int
    unread: bool
    client_name: str = ""


class FileRow(NamedTuple):
    id: int
    filename: str
    size_bytes: int


class MessageRow(NamedTuple):
    """A message as a conversation shows it: its sender's name and its files' links, no ORM rows."""

    id: int
    from_client: bool
    sender_name: str | None
    body: str
    created_at: datetime
    files: list[FileRow]


def unread_for_staff() -> ColumnElement[bool]:
    """A client wrote after the team last read the thread. Written exactly as the partial index
    ix_threads_staff_unread is, so the badge and the "Unread only" list read that index alone."""
    return and_(Thread.last_client_message_at.is_not(None),
                or_(Thread.staff_read_at.is_(None), Thread.last_client_message_at > Thread.staff_read_at))


def unread_for_client() -> ColumnElement[bool]:
    return and_(Thread.last_staff_message_at.is_not(None),
                or_(Thread.client_read_at.is_(None), Thread.last_staff_message_at > Thread.client_read_at))


def older_than() -> ColumnElement[bool]:
    """Threads after the cursor (before_at, before_id) in the inbox's order (newest message first,
    then the higher id): written `at <= t AND (at < t OR id < i)` so that the index on the time
    bounds the scan."""
    moment: Any = bindparam("before_at")
    thread_id: Any = bindparam("before_id")
    return and_(Thread.last_message_at <= moment, or_(Thread.last_message_at < moment, Thread.id < thread_id))


def newest_first(listing: Statement, after: bool, limit: int) -> Statement:
    """A page of threads newest first, from after the cursor when `after`, and one more to tell
    whether another page follows."""
    if after:
        listing = listing.where(older_than())
    return listing.order_by(Thread.last_message_at.desc(), Thread.id.desc()).limit(limit + 1)


def thread_page(statement: Statement, values: dict[str, Any], before: Cursor | None,
                limit: int) -> tuple[list[ThreadRow], Cursor | None]:
    """ThreadRows of one page, and the cursor of the page that follows (None when this is the last)."""
    if before:
        values["before_at"], values["before_id"] = before
    rows = read_rows(statement, values).all()
    shown = [ThreadRow(*row) for row in rows[:limit]]
    return shown, (shown[-1].last_message_at, shown[-1].id) if len(rows) > limit else None


THREAD_ROW = (Thread.id, Thread.subject, Thread.state, Thread.last_preview, Thread.last_message_at, Thread.message_count)


@cache
def inbox_statements(unread: bool, client: bool, client_name: bool, state: bool, search: bool, after: bool,
                     limit: int) -> tuple[Statement, Statement]:
    """The count and the page of one shape of the staff inbox (which filters, from where), built
    once and then run with its values: building a statement costs more than running it."""
    where = [Thread.workspace_id == bindparam("workspace_id")]
    if unread:
        where.append(unread_for_staff())
    if client:
        where.append(Thread.client_id == bindparam("client_id"))
    if client_name:
        where.append(Thread.client_id.in_(clients_named()))
    if state:
        where.append(Thread.state == bindparam("state"))
    if search:  # the pattern's own %, _ and / are escaped with /
        pattern: Any = bindparam("pattern")
        matching = select(Message.thread_id).where(Message.workspace_id == bindparam("workspace_id"),
                                                   func.lower(Message.body).like(pattern, escape="/"))
        where.append(or_(func.lower(Thread.subject).like(pattern, escape="/"), Thread.id.in_(matching)))
    counting = select(func.count()).select_from(Thread).where(*where)
    listing = select(*THREAD_ROW, unread_for_staff(), Client.name).join(Client, Client.id == Thread.client_id).where(*where)
    return counting, newest_first(listing, after, limit)


def staff_inbox(workspace: Workspace, unread: bool = False, client_id: int | None = None, client_name: str = "",
                state: str = "", q: str = "", before: Cursor | None = None,
                count: bool = True) -> tuple[list[ThreadRow], int | None, Cursor | None]:
    """Threads across every client (or one, or those whose name holds `client_name`), newest first,
    a page at a time: the page's rows (with each client's name), how many threads match (None with
    `count=False`), and the cursor of the next page. Two queries whatever the workspace holds (one
    without the count)."""
    counting, listing = inbox_statements(unread, bool(client_id), bool(client_name), bool(state), bool(q), bool(before),
                                         PAGE_SIZE)
    values: dict[str, Any] = {"workspace_id": workspace.id, "client_id": client_id, "state": state,
                              "pattern": containing(q), "client_pattern": containing(client_name)}
    total = read_rows(counting, values).scalar_one() if count else None
    rows, after = thread_page(listing, values, before, PAGE_SIZE)
    return rows, total, after


@cache
def client_threads_statement(side: str, after: bool, limit: int) -> Statement:
    unread = unread_for_client() if side == "client" else unread_for_staff()
    return newest_first(select(*THREAD_ROW, unread).where(Thread.client_id == bindparam("client_id")), after, limit)


def client_threads(client: Client, side: str = "client", before: Cursor | None = None,
                   limit: int | None = None) -> tuple[list[ThreadRow], Cursor | None]:
    """A client's threads, newest first, a page at a time (PAGE_SIZE unless `limit` says); unread
    as `side` ("client" or "staff") sees them."""
    limit = limit or PAGE_SIZE
    return thread_page(client_threads_statement(side, bool(before), limit), {"client_id": client.id}, before, limit)


@cache
def messages_statement(after: bool, limit: int) -> Statement:
    """A thread's latest messages (or the first ones after `after_id`) with their senders' names and
    their files, a row per file (or one without), oldest first."""
    latest = select(Message.id).where(Message.thread_id == bindparam("thread_id"))
    if after:
        latest = latest.where(Message.id > bindparam("after_id")).order_by(Message.id)
    else:
        latest = latest.order_by(Message.id.desc())
    shown = latest.limit(limit).subquery()
    return (select(Message.id, Message.from_client, User.name, Message.body, Message.created_at,
                   PortalFile.id, PortalFile.filename, PortalFile.size_bytes)
            .join(shown, shown.c.id == Message.id)
            .outerjoin(User, User.id == Message.sender_id)
            .outerjoin(PortalFile, PortalFile.message_id == Message.id)
            .order_by(Message.id, PortalFile.id))


def thread_messages(thread: Thread, after_id: int | None = None, limit: int | None = None) -> list[MessageRow]:
    """The latest messages of a thread, oldest first (or the first ones after `after_id`, for live
    updates), each with its sender's name and its files: one query."""
    rows = read_rows(messages_statement(bool(after_id), limit or PAGE_SIZE),
                     {"thread_id": thread.id, "after_id": after_id}).all()
    messages: list[MessageRow] = []
    for message_id, from_client, sender_name, body, created_at, file_id, filename, size_bytes in rows:
        if not messages or messages[-1].id != message_id:
            messages.append(MessageRow(message_id, from_client, sender_name, body, created_at, []))
        if file_id is not None:
            messages[-1].files.append(FileRow(file_id, filename, size_bytes))
    return messages


@cache
def unread_count_statement(side: str) -> Statement:
    if side == "staff":
        owner, unread = Thread.workspace_id == bindparam("owner_id"), unread_for_staff()
    else:
        owner, unread = Thread.client_id == bindparam("owner_id"), unread_for_client()
    return select(func.count()).select_from(Thread).where(owner, unread, Thread.id != bindparam("except_id"))


def staff_unread_count(workspace: Workspace, except_thread_id: int | None = None) -> int:
    """Threads with news for the team; the thread open on the page asking (`except_thread_id`)
    is read there as its messages arrive, so it is not counted."""
    return read_rows(unread_count_statement("staff"),
                     {"owner_id": workspace.id, "except_id": except_thread_id or 0}).scalar_one()


def client_unread_count(client: Client, except_thread_id: int | None = None) -> int:
    return read_rows(unread_count_statement("client"),
                     {"owner_id": client.id, "except_id": except_thread_id or 0}).scalar_one()


def clients_named() -> Select[int]:
    """The ids of the workspace's clients whose name holds the pattern `client_pattern`."""
    return select(Client.id).where(Client.workspace_id == bindparam("workspace_id"),
                                   func.lower(Client.name).like(bindparam("client_pattern"), escape="/"))


@cache
def client_names_statement() -> Select[str]:
    return (select(Client.name).where(Client.workspace_id == bindparam("workspace_id"),
                                      func.lower(Client.name).like(bindparam("client_pattern"), escape="/"))
            .order_by(Client.name).limit(bindparam("limit")))


def client_names(workspace: Workspace, text: str, limit: int = 20) -> list[str]:
    """Names of the workspace's clients that hold `text`, for the inbox filter's suggestions: an
    agency may have hundreds of clients, and a menu of every one costs each view of the inbox."""
    return list(read_rows(client_names_statement(), {"workspace_id": workspace.id, "client_pattern": containing(text),
                                                     "limit": limit}).scalars())


def client_name(workspace: Workspace, client_id: int) -> str | None:
    return read_rows(select(Client.name).where(Client.workspace_id == bindparam("workspace_id"),
                                                Client.id == bindparam("client_id")),
                     {"workspace_id": workspace.id, "client_id": client_id}).scalar_one_or_none()
