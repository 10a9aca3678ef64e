"""What the agency reads of its coach: ratings, thumbs-down reasons, conversations, hand-offs waiting
for them, and the playbook's articles (which staff also write and delete here)."""
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from studio.coach.models import CoachConversation, CoachMessage, PlaybookArticle
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification, NotificationType
from studio.portal.models import Client


@dataclass(frozen=True)
class Ratings:
    rated: int
    thumbs_up: int
    conversations: int
    waiting_for_person: int

    @property
    def share_up(self) -> float | None:
        return self.thumbs_up / self.rated if self.rated else None


def ratings_of(workspace_id: int) -> Ratings:
    rated, up = db.session.execute(select(func.count(CoachMessage.rating), func.coalesce(func.sum(CoachMessage.rating), 0))
                                   .where(CoachMessage.workspace_id == workspace_id, CoachMessage.rating.is_not(None))).one()
    conversations, waiting = db.session.execute(select(
        func.count(), func.count(CoachConversation.handed_off_at)).where(CoachConversation.workspace_id == workspace_id)).one()
    return Ratings(rated=int(rated or 0), thumbs_up=int(up or 0), conversations=int(conversations or 0),
                   waiting_for_person=int(waiting or 0))


def thumbs_down(workspace_id: int, limit: int = 30) -> Sequence[Any]:
    return db.session.execute(select(CoachMessage, Client.name).join(Client, Client.id == CoachMessage.client_id).where(
        CoachMessage.workspace_id == workspace_id, CoachMessage.rating == 0)
        .order_by(CoachMessage.id.desc()).limit(limit)).all()


def workspace_conversations(workspace_id: int, client_id: int | None = None, waiting_only: bool = False,
                            limit: int = 100) -> Sequence[Any]:
    query = select(CoachConversation, Client.name).join(Client, Client.id == CoachConversation.client_id).where(
        CoachConversation.workspace_id == workspace_id)
    if client_id:
        query = query.where(CoachConversation.client_id == client_id)
    if waiting_only:
        query = query.where(CoachConversation.handed_off_at.is_not(None))
    return db.session.execute(query.order_by(CoachConversation.last_message_at.desc(), CoachConversation.id.desc())
                              .limit(limit)).all()


def unread_handoffs(user_id: int, workspace_id: int, limit: int = 20) -> Sequence[Notification]:
    """The staff member's unread notices that a client asked for a person (reading the conversation reads them)."""
    return db.session.execute(select(Notification).where(
        Notification.user_id == user_id, Notification.workspace_id == workspace_id, Notification.read_at.is_(None),
        Notification.type == NotificationType.COACH_HANDOFF).order_by(Notification.id.desc()).limit(limit)).scalars().all()


def articles_of(workspace_id: int) -> Sequence[PlaybookArticle]:
    return db.session.execute(select(PlaybookArticle).where(PlaybookArticle.workspace_id == workspace_id).order_by(
        PlaybookArticle.program_month.is_(None), PlaybookArticle.program_month, PlaybookArticle.id)).scalars().all()


def save_article(workspace_id: int, article: PlaybookArticle | None, month: int | None, title: str, body: str) -> PlaybookArticle:
    article = article or PlaybookArticle(workspace_id=workspace_id)
    article.program_month, article.title, article.body, article.updated_at = month, title.strip(), body.strip(), utcnow()
    db.session.add(article)
    db.session.commit()
    return article


def delete_article(article: PlaybookArticle) -> None:
    db.session.delete(article)
    db.session.commit()
