"""Reading the community: what a member may see, a channel's feed page by page, unread markers,
a topic's page, and bookmarks (its thread: threads.py)."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from studio.accounts.models import User, Workspace
from studio.community.models import Bookmark, Channel, CommunityFile, Like, MemberProfile, Reply, Topic, TopicRead
from studio.database import changed_rows, utcnow
from studio.extensions import db, read_rows

FEED_PAGE = 25
UNREAD_WINDOW_DAYS = 7
# A member's reloads of a topic within this long count as one view and leave their read marker be
# (unless something new arrived): a visit writes nothing when it has nothing to record.
VIEW_AGAIN_AFTER = timedelta(hours=1)

Cursor = tuple[bool, datetime, int]  # (among the pinned, last activity, topic id) of a feed page's last topic


class FeedRow(NamedTuple):
    """What a channel's feed shows of a topic: no bodies, no relationships."""

    id: int
    title: str
    type: str
    is_pinned: bool
    is_solved: bool
    is_hidden: bool
    reply_count: int
    like_count: int
    last_activity_at: datetime
    read_at: datetime | None  # when this member last read it
    username: str | None  # its author's

    @property
    def is_new(self) -> bool:
        """New to this member: never read, or active since they last read it."""
        return self.read_at is None or self.last_activity_at > self.read_at

    @property
    def cursor(self) -> Cursor:
        return self.is_pinned, self.last_activity_at, self.id


def visible(model: type[Topic] | type[Reply], user: User, role: str) -> ColumnElement[bool]:
    """Hidden posts stay visible to their author and to moderators."""
    if role == "moderator":
        return true()
    return or_(model.is_hidden.is_(False), model.author_id == user.id)


# The queries every view of a topic or a feed runs are made once a process (`@cache`), with bound
# parameters (`viewer_id`, …) given each time: making a statement costs more than running it.
def shown_to(model: type[Topic] | type[Reply], moderator: bool) -> ColumnElement[bool]:
    """`visible` for a statement made once: the viewer's id is the parameter `viewer_id`."""
    return true() if moderator else or_(model.is_hidden.is_(False), model.author_id == bindparam("viewer_id"))


def feed(channel: Channel, user: User, role: str, before: Cursor | None = None) -> tuple[list[FeedRow], bool]:
    """A page of a channel's topics, pinned first, newest activity first, with each topic's author
    name and when this member last read it: one query of the columns the feed shows, whatever the
    channel holds. Returns the page's rows and whether more come after them."""
    place = "first" if before is None else "among pinned" if before[0] else "after pinned"
    values: dict[str, object] = {"channel_id": channel.id, "viewer_id": user.id}
    if before is not None:
        values |= {"moment": before[1], "topic_id": before[2]}
    rows = [FeedRow(*row) for row in read_rows(feed_statement(role == "moderator", place, FEED_PAGE), values)]
    return rows[:FEED_PAGE], len(rows) > FEED_PAGE


@cache
def feed_statement(moderator: bool, place: str, page: int) -> Select:
    """The feed's query for a kind of viewer and a place: its "first" page, or the page after a
    cursor "among pinned" topics or "after pinned" ones (the cursor's `moment` and `topic_id`)."""
    query = (select(Topic.id, Topic.title, Topic.type, Topic.is_pinned, Topic.is_solved, Topic.is_hidden, Topic.reply_count,
                    Topic.like_count, Topic.last_activity_at, TopicRead.read_at, MemberProfile.username)
             .outerjoin(TopicRead, and_(TopicRead.topic_id == Topic.id, TopicRead.user_id == bindparam("viewer_id")))
             .outerjoin(MemberProfile, and_(MemberProfile.user_id == Topic.author_id,
                                            MemberProfile.workspace_id == Topic.workspace_id))
             .where(Topic.channel_id == bindparam("channel_id"), shown_to(Topic, moderator)))
    moment = bindparam("moment", type_=Topic.last_activity_at.type)
    older = or_(Topic.last_activity_at < moment, and_(Topic.last_activity_at == moment, Topic.id < bindparam("topic_id")))
    if place == "among pinned":  # the rest of the pinned ones, then every unpinned topic
        query = query.where(or_(Topic.is_pinned.is_(False), and_(Topic.is_pinned.is_(True), older)))
    elif place == "after pinned":
        query = query.where(Topic.is_pinned.is_(False), older)
    return query.order_by(Topic.is_pinned.desc(), Topic.last_activity_at.desc(), Topic.id.desc()).limit(page + 1)


def unread_by_channel(workspace: Workspace, user: User, role: str, days: int = UNREAD_WINDOW_DAYS) -> dict[int, int]:
    """{channel id: topics with activity in the last `days` this member has not read}. Like
    Discourse's "new", the window keeps this a short index range however old the community."""
    read = TopicRead  # this member's marker
    rows = db.session.execute(
        select(Topic.channel_id, func.count()).outerjoin(read, and_(read.topic_id == Topic.id, read.user_id == user.id))
        .where(Topic.workspace_id == workspace.id, Topic.last_activity_at > utcnow() - timedelta(days=days),
               visible(Topic, user, role), or_(read.read_at.is_(None), Topic.last_activity_at > read.read_at))
        .group_by(Topic.channel_id)).all()
    return {channel_id: count for channel_id, count in rows}


def mark_topic_read(topic: Topic, user: User, known: bool | None = None) -> None:
    """Move the member's read marker to now (made on their first read). `known`: whether the caller
    saw a marker already (False skips straight to making one; None: not known)."""
    now = utcnow()
    changed = known is not False and changed_rows(db.session.execute(
        update(TopicRead).where(TopicRead.topic_id == topic.id, TopicRead.user_id == user.id).values(read_at=now)))
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(TopicRead(topic_id=topic.id, user_id=user.id, read_at=now))
        except IntegrityError:
            pass


@dataclass(frozen=True)
class TopicPage:
    """A topic as its page shows it, with what the page needs around it, from one query."""

    topic: Topic
    channel: Channel
    author_name: str | None
    read_at: datetime | None  # when this member last read it (None: never)
    liked: bool  # by this member
    bookmarked: bool  # by this member
    has_files: bool


def topic_page(workspace_id: int, topic_id: int, user: User) -> TopicPage | None:
    """The topic of this community with its channel, its author's username, this member's read
    marker, like and bookmark, and whether files came with it, in one query; None when the
    community has no such topic."""
    row = db.session.execute(topic_page_statement(), {"topic_id": topic_id, "workspace_id": workspace_id,
                                                      "viewer_id": user.id}).one_or_none()
    if row is None:
        return None
    topic, channel, author_name, read_at, is_liked, is_bookmarked, with_files = row
    return TopicPage(topic, channel, author_name, read_at, bool(is_liked), bool(is_bookmarked), bool(with_files))


@cache
def topic_page_statement() -> Select:
    viewer = bindparam("viewer_id", type_=Integer())
    liked = select(Like.id).where(Like.user_id == viewer, Like.topic_id == Topic.id).exists()
    bookmarked = select(Bookmark.id).where(Bookmark.user_id == viewer, Bookmark.topic_id == Topic.id).exists()
    has_files = select(CommunityFile.id).where(CommunityFile.topic_id == Topic.id).exists()
    return (select(Topic, Channel, MemberProfile.username, TopicRead.read_at, liked, bookmarked, has_files)
            .join(Channel, Channel.id == Topic.channel_id)
            .outerjoin(MemberProfile, and_(MemberProfile.user_id == Topic.author_id, MemberProfile.workspace_id == Topic.workspace_id))
            .outerjoin(TopicRead, and_(TopicRead.topic_id == Topic.id, TopicRead.user_id == viewer))
            .where(Topic.id == bindparam("topic_id"), Topic.workspace_id == bindparam("workspace_id")))


def open_topic(topic: Topic, user: User, read_at: datetime | None) -> bool:
    """Note a member's visit (`read_at`: their read marker as the page found it). It counts a view
    and moves the marker to now when the topic holds something new to them or their last counted
    visit is over VIEW_AGAIN_AFTER ago; a reload within that writes nothing. The loaded topic keeps
    its rows (its view count is set to the new one): the page goes on without reloading anything.
    Returns whether the visit was counted."""
    now = utcnow()
    if read_at is not None and read_at >= topic.last_activity_at and now - read_at < VIEW_AGAIN_AFTER:
        return False
    db.session.execute(update(Topic).where(Topic.id == topic.id).values(view_count=Topic.view_count + 1)
                       .execution_options(synchronize_session=False))
    mark_topic_read(topic, user, known=read_at is not None)
    commit_keeping_loaded()
    set_committed_value(topic, "view_count", topic.view_count + 1)
    return True


def commit_keeping_loaded() -> None:
    """Commit without expiring what the request has loaded (the visitor, their workspace and
    profile, the topic): a GET that records something on its way keeps showing them, without a
    query to reload each one."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def files_of(topic: Topic) -> list[CommunityFile]:
    return list(db.session.execute(select(CommunityFile).where(CommunityFile.topic_id == topic.id)).scalars())


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
