"""The portal's rules: clients, invitations, threads and messages, deliverables, and the e-mails
that tell the other side what is new (batched, and only as each person's preferences allow)."""
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from studio.accounts import links
from studio.accounts.models import Invitation, InvitationKind, Membership, User, Workspace
from studio.accounts.service import normalize_email
from studio.connections.models import PlatformConnection
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.library.attachments import CheckedUpload, check_uploads, store_upload
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.notify.models import NotificationType
from studio.portal import reading
from studio.portal.models import Client, ClientStatus, Deliverable, Message, PortalFile, Thread, ThreadState
from studio.refusal import Refused
from studio.urls import external_url, path_for

PAGE_SIZE = 50
STAFF_ROLES = ("owner", "admin", "editor")
EMAIL_PREFERENCES = {"new_message": True, "new_deliverable": True, "milestone_reminder": True, "weekly_summary": False}


def wants_email(user: User, kind: str) -> bool:
    """Whether `user` wants e-mail about `kind` (new_message, new_deliverable, …)."""
    return bool({**EMAIL_PREFERENCES, **(user.notification_prefs or {})}.get(kind))


def email_preferences(user: User) -> dict[str, bool]:
    return {**EMAIL_PREFERENCES, **(user.notification_prefs or {})}


def set_email_preferences(user: User, values: dict[str, Any]) -> None:
    user.notification_prefs = {**(user.notification_prefs or {}), **{k: bool(values.get(k)) for k in EMAIL_PREFERENCES}}
    db.session.commit()


# ---- clients -----------------------------------------------------------------------------------


def create_client(workspace: Workspace, name: str, email: str, niche: str | None = "", program_start: date | None = None,
                  current_month: int | None = 1) -> Client:
    email = normalize_email(email)
    exists = db.session.execute(select(Client.id).where(Client.workspace_id == workspace.id, Client.email == email)).first()
    if exists:
        raise Refused("A client with this e-mail already exists in this workspace.", field="email")
    client = Client(workspace_id=workspace.id, name=name.strip(), email=email, niche=(niche or "").strip(),
                    program_start=program_start, current_month=current_month or 1, status="invited")
    db.session.add(client)
    db.session.commit()
    return client


def update_client(client: Client, name: str, niche: str | None, program_start: date | None, current_month: int,
                  status: str) -> None:
    client.name, client.niche, client.program_start = name.strip(), (niche or "").strip(), program_start
    client.current_month, client.status = current_month, ClientStatus(status)
    db.session.commit()


def clients_query(workspace: Workspace, q: str = "", status: str = "", niche: str = "") -> Any:
    query = select(Client).where(Client.workspace_id == workspace.id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Client.name).like(like), Client.email.like(like)))
    if status:
        query = query.where(Client.status == status)
    if niche:
        query = query.where(Client.niche == niche)
    return query


def clients_page(workspace: Workspace, q: str = "", status: str = "", niche: str = "",
                 page: int = 1) -> tuple[Sequence[Client], int]:
    query = clients_query(workspace, q, status, niche)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(Client.name, Client.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()
    return rows, total


def niches(workspace: Workspace) -> list[str]:
    return [n for (n,) in db.session.execute(
        select(Client.niche).where(Client.workspace_id == workspace.id, Client.niche != "").distinct().order_by(Client.niche))]


def clients_of_user(user: User) -> Sequence[Client]:
    """The portals a person may open: every client record their log-in is linked to."""
    return db.session.execute(
        select(Client).where(Client.user_id == user.id, Client.status != "archived")
        .options(joinedload(Client.workspace)).order_by(Client.id)
    ).scalars().all()


# ---- invitations (the links themselves: studio.accounts.links) ---------------------------------


def invite_client(client: Client, inviter: User) -> tuple[Invitation, str, bool]:
    """A fresh portal invitation and its token; any earlier pending link for this client is
    withdrawn (the third value says whether there was one)."""
    if client.user_id:
        raise Refused(f"{client.name} already has a portal log-in.")
    replaced = links.withdraw(Invitation.client_id == client.id)  # committed with the new one
    invite, token = links.issue(InvitationKind.CLIENT, client.workspace_id, client.email, inviter,
                                timedelta(days=current_app.config["PORTAL_INVITE_DAYS"]), client_id=client.id)
    return invite, token, replaced > 0


def latest_invite(client: Client) -> Invitation | None:
    return db.session.execute(select(Invitation).where(Invitation.client_id == client.id)
                              .order_by(Invitation.id.desc()).limit(1)).scalar_one_or_none()


def revoke_invite(client: Client) -> int:
    withdrawn = links.withdraw(Invitation.client_id == client.id)
    db.session.commit()
    return withdrawn


def accept_invite(invite: Invitation, user: User) -> Client:
    """Link the client to `user`, whose e-mail the link has just proved."""
    links.redeem(invite, user)
    client = db.session.get_one(Client, invite.client_id)
    client.user_id, client.status = user.id, ClientStatus.ACTIVE
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return client


# ---- files -------------------------------------------------------------------------------------


def store_attachments(client: Client, checked: list[CheckedUpload], message: Message | None = None,
                      deliverable: Deliverable | None = None) -> None:
    """Keep already checked uploads and attach them to a message or a deliverable."""
    db.session.add_all([
        PortalFile(workspace_id=client.workspace_id, client_id=client.id,
                   storage_key=store_upload(client.workspace_id, "portal", upload), filename=upload.filename,
                   content_type=upload.content_type, size_bytes=upload.size, message_id=message.id if message else None,
                   deliverable_id=deliverable.id if deliverable else None)
        for upload in checked])


# ---- threads and messages ----------------------------------------------------------------------


def start_thread(client: Client, author: User, from_client: bool, subject: str, body: str, uploads: Iterable[Any] = (),
                 deliverable: Deliverable | None = None) -> Thread:
    checked = check_uploads(uploads)  # a refused file leaves nothing behind, not even the thread
    thread = Thread(workspace_id=client.workspace_id, client_id=client.id, subject=subject.strip()[:200],
                    deliverable_id=deliverable.id if deliverable else None, state="open")
    db.session.add(thread)
    db.session.flush()
    write_message(thread, author, from_client, body, checked)
    return thread


def add_message(thread: Thread, author: User, from_client: bool, body: str, uploads: Iterable[Any] = ()) -> Message:
    """A message in `thread`; files are checked before anything is written."""
    return write_message(thread, author, from_client, body, check_uploads(uploads))


def write_message(thread: Thread, author: User, from_client: bool, body: str, checked: list[CheckedUpload]) -> Message:
    client = thread.client
    now = utcnow()
    message = Message(workspace_id=thread.workspace_id, thread_id=thread.id, sender_id=author.id, from_client=from_client,
                      body=body.strip(), created_at=now)
    db.session.add(message)
    db.session.flush()
    store_attachments(client, checked, message=message)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(message_count=Thread.message_count + 1))
    thread.last_message_at, thread.last_from_client = now, from_client
    thread.last_preview = " ".join(body.split())[:200] or "(attachment)"
    if from_client:
        thread.last_client_message_at, thread.client_read_at = now, now
        thread.state = ThreadState.OPEN  # a client writing again reopens the conversation
    else:
        thread.last_staff_message_at, thread.staff_read_at = now, now
        if client.user_id:
            notify.notify(client.user_id, NotificationType.NEW_MESSAGE, f"New message: {thread.subject}", thread.last_preview,
                          path_for("portal.thread", client_id=client.id, thread_id=thread.id),
                          workspace_id=thread.workspace_id, client_id=client.id)
    db.session.commit()
    return message


def mark_read(thread: Thread, by_client: bool) -> bool:
    """Read receipts: the side's last-seen time moves to now, if the other side wrote since it last
    read (so "Seen" tells when the latest message was first seen, and opening a thread with
    nothing new writes nothing). Returns whether there was something to read."""
    if not (thread.unread_for_client if by_client else thread.unread_for_staff):
        return False
    if by_client:
        thread.client_read_at = utcnow()
    else:
        thread.staff_read_at = utcnow()
    db.session.commit()
    return True


def set_state(thread: Thread, state: str) -> None:
    thread.state = ThreadState(state)
    db.session.commit()


# ---- deliverables ------------------------------------------------------------------------------


def create_deliverable(client: Client, author: User, title: str, program_month: int, body: str,
                       uploads: Iterable[Any] = (), publish: bool = True) -> Deliverable:
    checked = check_uploads(uploads)
    deliverable = Deliverable(workspace_id=client.workspace_id, client_id=client.id, created_by_id=author.id,
                              title=title.strip(), program_month=program_month, body=body.strip())
    db.session.add(deliverable)
    db.session.flush()
    store_attachments(client, checked, deliverable=deliverable)
    db.session.commit()
    if publish:
        publish_deliverable(deliverable)
    return deliverable


def publish_deliverable(deliverable: Deliverable) -> None:
    """The client sees it, gets a notification, and an e-mail if they want one."""

    # Conditional, so two runs at once (a program step taken over) publish and notify once.
    if deliverable.published_at or changed_rows(db.session.execute(
            update(Deliverable).where(Deliverable.id == deliverable.id, Deliverable.published_at.is_(None))
            .values(published_at=utcnow()))) != 1:
        return
    db.session.commit()
    db.session.refresh(deliverable)
    client = deliverable.client
    if client.user is None:
        return
    link = path_for("portal.deliverable", client_id=client.id, deliverable_id=deliverable.id)
    notification = notify.notify(client.user.id, NotificationType.NEW_DELIVERABLE, f"New deliverable: {deliverable.title}",
                                 f"Month {deliverable.program_month}", link, workspace_id=client.workspace_id,
                                 client_id=client.id)
    if wants_email(client.user, "new_deliverable"):
        try:
            send_mail(client.email, f"New from {client.workspace.name}: {deliverable.title}", "portal_deliverable",
                      client=client, deliverable=deliverable,
                      link=external_url("portal.deliverable", client_id=client.id, deliverable_id=deliverable.id))
            notification.emailed_at = utcnow()
            db.session.commit()
        except MailError as error:
            current_app.logger.warning("deliverable e-mail to client %s failed: %s", client.id, error)


def client_deliverables(client: Client, published_only: bool = True) -> Sequence[Deliverable]:
    query = select(Deliverable).where(Deliverable.client_id == client.id).options(selectinload(Deliverable.files))
    if published_only:
        query = query.where(Deliverable.published_at.is_not(None))
    return db.session.execute(query.order_by(Deliverable.program_month.desc(), Deliverable.id.desc())).scalars().all()


def mark_opened(deliverable: Deliverable) -> None:
    if deliverable.opened_at is None:
        deliverable.opened_at = utcnow()
        db.session.commit()


def mark_reviewed(deliverable: Deliverable) -> None:
    deliverable.opened_at = deliverable.opened_at or utcnow()
    deliverable.reviewed_at = deliverable.reviewed_at or utcnow()
    db.session.commit()


# ---- e-mail about new messages -----------------------------------------------------------------


def staff_recipients(workspace_id: int) -> Sequence[User]:
    return db.session.execute(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.workspace_id == workspace_id, Membership.role.in_(STAFF_ROLES))).scalars().all()


def send_message_emails(now: datetime | None = None) -> int:
    """Tell the other side about new messages, one e-mail per thread and direction for everything
    sent within the batching window (two minutes from the first unsent message). Returns e-mails sent."""

    now = now or utcnow()
    window = timedelta(seconds=current_app.config["MESSAGE_EMAIL_BATCH_SECONDS"])
    ripe = db.session.execute(
        select(Message.thread_id, Message.from_client).where(Message.emailed_at.is_(None))
        .group_by(Message.thread_id, Message.from_client).having(func.min(Message.created_at) <= now - window)
    ).all()
    sent = 0
    for thread_id, from_client in ripe:
        batch = db.session.execute(select(Message).where(
            Message.thread_id == thread_id, Message.from_client == from_client, Message.emailed_at.is_(None),
            Message.created_at <= now).order_by(Message.id)).scalars().all()
        # Claim the batch with a mark of this run's own: a second worker running at once finds
        # nothing left to send, and each sends exactly what it claimed.
        mark, ids = utcnow(), [m.id for m in batch]
        db.session.execute(update(Message).where(Message.id.in_(ids), Message.emailed_at.is_(None)).values(emailed_at=mark))
        db.session.commit()
        batch = db.session.execute(select(Message).where(Message.id.in_(ids), Message.emailed_at == mark)
                                   .order_by(Message.id)).scalars().all()
        if not batch:
            continue
        thread = db.session.get_one(Thread, thread_id)
        client = thread.client
        if from_client:
            recipients = [user for user in staff_recipients(thread.workspace_id)
                          if user.id not in {m.sender_id for m in batch}]
            read_at = thread.staff_read_at
            link = external_url("inbox.thread", ws=client.workspace.slug, thread_id=thread.id)
        else:
            recipients = [client.user] if client.user is not None else []
            read_at = thread.client_read_at
            link = external_url("portal.thread", client_id=client.id, thread_id=thread.id)
        if read_at and read_at >= batch[-1].created_at:
            continue  # they have already read it all
        failed = False
        for user in recipients:
            if not wants_email(user, "new_message"):
                continue
            try:
                send_mail(user.email, f"{len(batch)} new message{'s' if len(batch) > 1 else ''}: {thread.subject}",
                          "portal_messages", thread=thread, client=client, messages=batch, link=link, recipient=user)
                sent += 1
            except MailError as error:
                current_app.logger.warning("message e-mail to %s failed: %s", user.email, error)
                failed = True
        if failed:  # the mail server is down: the next run tries the batch again
            db.session.execute(update(Message).where(Message.id.in_([m.id for m in batch])).values(emailed_at=None))
            db.session.commit()
    return sent


def send_weekly_summaries(now: datetime | None = None) -> int:
    """Monday's e-mail for clients who asked for it: unread threads, new deliverables, notifications."""

    now = now or utcnow()
    since = now - timedelta(days=7)
    sent = 0
    for client in db.session.execute(select(Client).where(Client.user_id.is_not(None), Client.status == "active")
                                     .options(joinedload(Client.user), joinedload(Client.workspace))).scalars():
        if client.user is None or not wants_email(client.user, "weekly_summary"):
            continue
        deliverables = db.session.execute(select(Deliverable).where(
            Deliverable.client_id == client.id, Deliverable.published_at >= since)).scalars().all()
        unread = reading.client_unread_count(client)
        notifications = notify.unread_count(client.user.id, client.id)
        try:
            send_mail(client.email, f"Your week with {client.workspace.name}", "portal_weekly", client=client,
                      deliverables=deliverables, unread=unread, notifications=notifications,
                      link=external_url("portal.inbox", client_id=client.id))
            sent += 1
        except MailError as error:
            current_app.logger.warning("weekly summary to client %s failed: %s", client.id, error)
    return sent


# ---- the client's own accounts -----------------------------------------------------------------


def client_accounts(client: Client) -> Sequence[PlatformConnection]:
    """The connected accounts that are the client's own (their coach reads these accounts' numbers)."""
    return db.session.execute(select(PlatformConnection).where(PlatformConnection.client_id == client.id)
                              .order_by(PlatformConnection.platform, PlatformConnection.username)).scalars().all()


def unassigned_accounts(client: Client) -> Sequence[PlatformConnection]:
    return db.session.execute(select(PlatformConnection).where(PlatformConnection.workspace_id == client.workspace_id,
                                                               PlatformConnection.client_id.is_(None))
                              .order_by(PlatformConnection.platform, PlatformConnection.username)).scalars().all()


def link_account(client: Client, connection_id: int) -> PlatformConnection:
    connection = db.session.execute(select(PlatformConnection).where(
        PlatformConnection.id == connection_id, PlatformConnection.workspace_id == client.workspace_id)).scalar_one_or_none()
    if connection is None:
        raise Refused("Choose one of this workspace's connected accounts.", "connection")
    if connection.client_id not in (None, client.id):
        raise Refused(f"@{connection.username} is already another client's account. Unlink it there first.", "connection")
    connection.client_id = client.id
    db.session.commit()
    return connection


def unlink_account(client: Client, connection_id: int) -> PlatformConnection | None:
    connection = db.session.execute(select(PlatformConnection).where(
        PlatformConnection.id == connection_id, PlatformConnection.client_id == client.id)).scalar_one_or_none()
    if connection is not None:
        connection.client_id = None
        db.session.commit()
    return connection
