"""Reading the community: what a member may see, a channel's feed page by page, unread markers,
a topic's thread as a tree, and bookmarks."""
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from studio.accounts.models import User, Workspace
from studio.community.models import Bookmark, Channel, CommunityFile, Like, MemberProfile, Reply, Topic, TopicRead
from studio.database import changed_rows, utcnow
from studio.extensions import db

FEED_PAGE = 25
UNREAD_WINDOW_DAYS = 7

Cursor = tuple[bool, datetime, int]  # (among the pinned, last activity, topic id) of a feed page's last topic
FeedRow = tuple[Topic, datetime | None, str | None]  # a topic, when this member last read it, its author's username


def visible(model: type[Topic] | type[Reply], user: User, role: str) -> ColumnElement[bool]:
    """Hidden posts stay visible to their author and to moderators."""
    if role == "moderator":
        return true()
    return or_(model.is_hidden.is_(False), model.author_id == user.id)


def feed(channel: Channel, user: User, role: str, before: Cursor | None = None) -> tuple[list[FeedRow], bool]:
    """A page of a channel's topics, pinned first, newest activity first, with each topic's author
    name and whether it is new to this member: one query whatever the channel holds. Returns the
    page's rows and whether more come after them."""
    read = aliased(TopicRead)
    query = (select(Topic, read.read_at, MemberProfile.username)
             .outerjoin(read, and_(read.topic_id == Topic.id, read.user_id == user.id))
             .outerjoin(MemberProfile, and_(MemberProfile.user_id == Topic.author_id,
                                            MemberProfile.workspace_id == Topic.workspace_id))
             .where(Topic.channel_id == channel.id, visible(Topic, user, role)))
    if before:
        pinned, moment, topic_id = before
        older = or_(Topic.last_activity_at < moment, and_(Topic.last_activity_at == moment, Topic.id < topic_id))
        if pinned:  # still among the pinned ones: the rest of them, then every unpinned topic
            query = query.where(or_(Topic.is_pinned.is_(False), and_(Topic.is_pinned.is_(True), older)))
        else:
            query = query.where(Topic.is_pinned.is_(False), older)
    rows: list[FeedRow] = [(topic, read_at, username) for topic, read_at, username in db.session.execute(
        query.order_by(Topic.is_pinned.desc(), Topic.last_activity_at.desc(), Topic.id.desc()).limit(FEED_PAGE + 1))]
    return rows[:FEED_PAGE], len(rows) > FEED_PAGE


def unread_by_channel(workspace: Workspace, user: User, role: str, days: int = UNREAD_WINDOW_DAYS) -> dict[int, int]:
    """{channel id: topics with activity in the last `days` this member has not read}. Like
    Discourse's "new", the window keeps this a short index range however old the community."""
    read = aliased(TopicRead)
    rows = db.session.execute(
        select(Topic.channel_id, func.count()).outerjoin(read, and_(read.topic_id == Topic.id, read.user_id == user.id))
        .where(Topic.workspace_id == workspace.id, Topic.last_activity_at > utcnow() - timedelta(days=days),
               visible(Topic, user, role), or_(read.read_at.is_(None), Topic.last_activity_at > read.read_at))
        .group_by(Topic.channel_id)).all()
    return {channel_id: count for channel_id, count in rows}


def mark_topic_read(topic: Topic, user: User) -> None:
    now = utcnow()
    changed = changed_rows(db.session.execute(update(TopicRead).where(TopicRead.topic_id == topic.id, TopicRead.user_id == user.id)
                                 .values(read_at=now)))
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(TopicRead(topic_id=topic.id, user_id=user.id, read_at=now))
        except IntegrityError:
            pass


def open_topic(topic: Topic, user: User) -> datetime | None:
    """Count the view and note what this member has read; returns when they last read it."""
    previous = db.session.execute(select(TopicRead.read_at).where(TopicRead.topic_id == topic.id,
                                                                  TopicRead.user_id == user.id)).scalar_one_or_none()
    db.session.execute(update(Topic).where(Topic.id == topic.id).values(view_count=Topic.view_count + 1))
    mark_topic_read(topic, user)
    db.session.commit()
    return previous


def thread(topic: Topic, user: User, role: str) -> tuple[list[Reply], set[int], bool]:
    """Every visible reply of a topic as a tree (each with its author's `username`, its `depth` and
    its `children`), the ids of the replies this member liked, and whether they liked the topic:
    three queries however long the thread."""
    rows = db.session.execute(
        select(Reply, MemberProfile.username)
        .outerjoin(MemberProfile, and_(MemberProfile.user_id == Reply.author_id, MemberProfile.workspace_id == Reply.workspace_id))
        .where(Reply.topic_id == topic.id, visible(Reply, user, role)).order_by(Reply.id).limit(1000)).all()
    liked_replies = set(db.session.execute(select(Like.reply_id).join(Reply, Reply.id == Like.reply_id).where(
        Like.user_id == user.id, Reply.topic_id == topic.id)).scalars())
    liked_topic = db.session.execute(select(Like.id).where(Like.user_id == user.id, Like.topic_id == topic.id)).first() is not None
    by_parent: dict[int | None, list[Reply]] = {}
    for reply, username in rows:
        reply.username = username
        by_parent.setdefault(reply.parent_id, []).append(reply)
    shown = {reply.id for reply, _ in rows}

    def children(parent_id: int | None, depth: int) -> Iterator[Reply]:
        for reply in by_parent.get(parent_id, []):
            reply.depth = min(depth, 5)
            reply.children = list(children(reply.id, depth + 1))
            yield reply

    # A reply whose parent is hidden from this member still shows, at the top level.
    orphans = [reply for parent_id, replies in by_parent.items() if parent_id is not None and parent_id not in shown
               for reply in replies]
    for reply in orphans:
        reply.depth = 0
        reply.children = list(children(reply.id, 1))
    return list(children(None, 0)) + orphans, {reply_id for reply_id in liked_replies if reply_id is not None}, liked_topic


def files_of(topic: Topic) -> list[CommunityFile]:
    return list(db.session.execute(select(CommunityFile).where(CommunityFile.topic_id == topic.id)).scalars())


def is_bookmarked(user: User, topic: Topic) -> bool:
    return db.session.execute(select(Bookmark.id).where(Bookmark.user_id == user.id,
                                                        Bookmark.topic_id == topic.id)).first() is not None


def username_of(workspace_id: int, user_id: int | None) -> str | None:
    return db.session.execute(select(MemberProfile.username).where(
        MemberProfile.user_id == user_id, MemberProfile.workspace_id == workspace_id)).scalar_one_or_none()


def topics_by(workspace: Workspace, author_id: int, user: User, role: str, limit: int = 10) -> list[Topic]:
    """A member's latest topics, as this viewer may see them."""
    return list(db.session.execute(select(Topic).where(Topic.workspace_id == workspace.id, Topic.author_id == author_id,
                                                       visible(Topic, user, role))
                                   .order_by(Topic.id.desc()).limit(limit)).scalars())


def bookmarks(workspace: Workspace, user: User, role: str) -> list[Topic]:
    return list(db.session.execute(select(Topic).join(Bookmark, Bookmark.topic_id == Topic.id)
                                   .where(Bookmark.user_id == user.id, Bookmark.workspace_id == workspace.id,
                                          visible(Topic, user, role))
                                   .options(joinedload(Topic.channel)).order_by(Bookmark.id.desc()).limit(100)).scalars())
