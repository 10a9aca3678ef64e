"""In-app notifications: made by the features that have news, listed, read one by one or all."""
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update

from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.notify.models import Notification

PAGE_SIZE = 50


def notify(user_id: int, kind: str, title: str, message: str = "", action_url: str | None = None,
           workspace_id: int | None = None, client_id: int | None = None) -> Notification:
    notification = Notification(user_id=user_id, type=kind, title=title[:200], message=message, action_url=action_url,
                                workspace_id=workspace_id, client_id=client_id)
    db.session.add(notification)
    db.session.commit()
    return notification


def _scope(user_id: int, client_id: int | None, workspace_id: int | None = None) -> tuple[Any, ...]:
    """A person's notifications in a client's portal, or (client_id None) on the team's side,
    of one workspace when it is named."""
    where = (Notification.user_id == user_id, Notification.client_id == client_id)
    return where + ((Notification.workspace_id == workspace_id,) if workspace_id is not None else ())


def notifications_for(user_id: int, client_id: int | None, unread_only: bool = False, page: int = 1,
                      workspace_id: int | None = None) -> Sequence[Notification]:
    query = select(Notification).where(*_scope(user_id, client_id, workspace_id))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return db.session.execute(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()


def unread_count(user_id: int, client_id: int | None, except_about: str | None = None,
                 workspace_id: int | None = None) -> int:
    """Unread notifications; those about `except_about` (the page the person has open, which reads
    them as it shows what they are about) are not counted."""
    query = select(func.count()).select_from(Notification).where(*_scope(user_id, client_id, workspace_id),
                                                                 Notification.read_at.is_(None))
    if except_about:
        query = query.where(or_(Notification.action_url.is_(None), Notification.action_url != except_about))
    return db.session.execute(query).scalar_one()


def open_notification(user_id: int, notification_id: int, **scope: int | None) -> Notification | None:
    """One of the person's notifications within `scope` (a client's portal, a community), marked
    read; None when it is not theirs there."""
    notification = db.session.execute(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id,
        *(getattr(Notification, name) == value for name, value in scope.items()))).scalar_one_or_none()
    if notification is not None:
        mark_read(notification)
    return notification


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()


def mark_all_read(user_id: int, client_id: int | None, workspace_id: int | None = None) -> int:
    changed = changed_rows(db.session.execute(update(Notification).where(*_scope(user_id, client_id, workspace_id),
                                                                         Notification.read_at.is_(None))
                                 .values(read_at=utcnow())))
    db.session.commit()
    return changed


def mark_read_about(user_id: int, client_id: int | None, action_url: str) -> None:
    """Reading the thing itself reads the notifications that point at it."""
    db.session.execute(update(Notification).where(*_scope(user_id, client_id), Notification.read_at.is_(None),
                                                  Notification.action_url == action_url).values(read_at=utcnow()))
    db.session.commit()
