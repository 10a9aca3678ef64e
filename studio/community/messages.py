"""Direct messages between two members of a community: one conversation per pair, read markers for
each side, and the unread count the community menu shows."""
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, ColumnElement, Integer, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from studio.accounts.models import User, Workspace
from studio.community.members import community_role, profile_for
from studio.community.models import Conversation, DirectMessage, MemberProfile
from studio.database import utcnow
from studio.extensions import db, read_rows
from studio.refusal import Refused
from studio.security.sanitize import render_markdown

NEVER = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def pair(user_id: int, other_id: int) -> tuple[int, int]:
    """A conversation's two ids in its row's order: the lower one is user_a."""
    return (user_id, other_id) if user_id < other_id else (other_id, user_id)


def send_dm(workspace: Workspace, sender: User, recipient: User, body: str) -> tuple[Conversation, DirectMessage]:
    if recipient.id == sender.id:
        raise Refused("You cannot message yourself.", "body")
    if community_role(workspace, recipient) is None:
        raise Refused("That person is not in this community.")
    profile = profile_for(workspace, recipient)
    if not profile.allow_dms:
        raise Refused(f"@{profile.username} does not accept direct messages.", "body")
    conversation = conversation_between(workspace, sender, recipient)
    if conversation is None:
        a, b = pair(sender.id, recipient.id)
        conversation = Conversation(workspace_id=workspace.id, user_a_id=a, user_b_id=b)
        db.session.add(conversation)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:  # the other side's first message made it a moment ago
            conversation = db.session.execute(the_conversation(workspace, sender, recipient)).scalar_one()
    now = utcnow()
    message = DirectMessage(conversation_id=conversation.id, sender_id=sender.id, body=body,
                            body_html=render_markdown(body), created_at=now)
    db.session.add(message)
    conversation.last_message_at = now
    mark_conversation_read(conversation, sender, commit=False)
    db.session.commit()
    return conversation, message


def the_conversation(workspace: Workspace, user: User, other: User) -> Select[Conversation]:
    a, b = pair(user.id, other.id)
    return select(Conversation).where(Conversation.workspace_id == workspace.id, Conversation.user_a_id == a,
                                      Conversation.user_b_id == b)


def conversation_between(workspace: Workspace, user: User, other: User) -> Conversation | None:
    return db.session.execute(the_conversation(workspace, user, other)).scalar_one_or_none()


def mark_conversation_read(conversation: Conversation, user: User, commit: bool = True) -> None:
    if conversation.user_a_id == user.id:
        conversation.a_read_at = utcnow()
    else:
        conversation.b_read_at = utcnow()
    if commit:
        db.session.commit()


Id = int | BindParameter[int]  # a row's id, or a parameter that will hold it


def of_member(workspace_id: Id, user_id: Id) -> ColumnElement[bool]:
    """The member's own conversations in this community."""
    return and_(Conversation.workspace_id == workspace_id,
                or_(Conversation.user_a_id == user_id, Conversation.user_b_id == user_id))


def unread_by(user_id: Id) -> ColumnElement[bool]:
    """Messages of a conversation that came from the other side after this member last read it."""
    read_at = func.coalesce(case((Conversation.user_a_id == user_id, Conversation.a_read_at), else_=Conversation.b_read_at),
                            NEVER)
    return and_(DirectMessage.sender_id != user_id, DirectMessage.created_at > read_at)


def conversations(workspace: Workspace, user: User) -> list[tuple[Conversation, User, int, str | None]]:
    """[(conversation, other user, unread count, their username)] newest first, in one query."""
    other = aliased(User)
    unread = (select(func.count()).select_from(DirectMessage).where(
        DirectMessage.conversation_id == Conversation.id, unread_by(user.id)).correlate(Conversation).scalar_subquery())
    rows = db.session.execute(
        select(Conversation, other, unread, MemberProfile.username)
        .join(other, other.id == case((Conversation.user_a_id == user.id, Conversation.user_b_id), else_=Conversation.user_a_id))
        .outerjoin(MemberProfile, and_(MemberProfile.user_id == other.id, MemberProfile.workspace_id == workspace.id))
        .where(of_member(workspace.id, user.id))
        .order_by(Conversation.last_message_at.desc()).limit(100))
    return [(conversation, person, count, username) for conversation, person, count, username in rows]


def unread_dm_count(workspace: Workspace, user: User, except_conversation_id: int | None = None) -> int:
    """Messages from others this member has not read yet, in one query. The conversation open on
    the member's page (`except_conversation_id`) reads its messages as they arrive: not counted."""
    return read_rows(unread_count_statement(), {"workspace_id": workspace.id, "user_id": user.id,
                                                "except_id": except_conversation_id or 0}).scalar_one()


def profile_and_unread_count(workspace: Workspace, user: User) -> tuple[MemberProfile, int]:
    """The member's profile and their unread direct messages, in one query: every whole page of the
    community shows both (the menu's username and its badge)."""
    row = db.session.execute(profile_and_unread_statement(), {"workspace_id": workspace.id, "user_id": user.id,
                                                              "except_id": 0}).one_or_none()
    if row is None:  # a first visit: the profile is made now
        return profile_for(workspace, user), unread_dm_count(workspace, user)
    return row[0], row[1]


@cache
def profile_and_unread_statement() -> Select:
    return (select(MemberProfile, unread_count_statement().scalar_subquery())
            .where(MemberProfile.workspace_id == bindparam("workspace_id", type_=Integer()),
                   MemberProfile.user_id == bindparam("user_id", type_=Integer())))


@cache
def unread_count_statement() -> Select:
    """unread_dm_count's query, made once: the community menu counts on every page."""
    user_id = bindparam("user_id", type_=Integer())
    return (select(func.count()).select_from(DirectMessage).join(Conversation, Conversation.id == DirectMessage.conversation_id)
            .where(of_member(bindparam("workspace_id", type_=Integer()), user_id), unread_by(user_id),
                   Conversation.id != bindparam("except_id")))


def conversation_of(workspace: Workspace, user: User, conversation_id: int) -> Conversation | None:
    """One of the member's own conversations in this community, or None."""
    return db.session.execute(select(Conversation).where(
        Conversation.id == conversation_id, of_member(workspace.id, user.id))).scalar_one_or_none()


def conversation_messages(conversation: Conversation, limit: int = 200, after_id: int | None = None) -> list[DirectMessage]:
    """The latest `limit` messages, oldest first; with `after_id`, the first `limit` that came after it."""
    query = select(DirectMessage).where(DirectMessage.conversation_id == conversation.id).options(
        joinedload(DirectMessage.sender))
    if after_id is not None:
        return list(db.session.execute(query.where(DirectMessage.id > after_id).order_by(DirectMessage.id)
                                       .limit(limit)).scalars())
    rows = db.session.execute(query.order_by(DirectMessage.id.desc()).limit(limit)).scalars().all()
    return list(reversed(rows))
