"""Reading the community: what a member may see, a channel's feed page by page, unread markers,
a topic's thread as a tree, and bookmarks."""
from collections.abc import Iterator
from dataclasses import dataclass, field
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
# About as many replies as a topic page draws at once (Discourse loads 20 posts at a time); "Show
# more replies" brings the next part. A top-level reply comes whole, with every answer under it.
REPLY_PART = 20
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


@dataclass(slots=True)
class ReplyRow:
    """What a topic page shows of a reply (no ORM row): its text as stored HTML, its author's
    username, whether this member liked it, and its place in the thread."""

    id: int
    parent_id: int | None
    author_id: int | None
    username: str | None
    body_html: str
    like_count: int
    is_helpful: bool
    is_hidden: bool
    created_at: datetime
    edited_at: datetime | None
    liked: bool = False
    depth: int = 0
    children: list["ReplyRow"] = field(default_factory=list)
    closes: int = 0  # in_order: how many replies end after this one (itself, if it has no children, and those it ends)

    @classmethod
    def of(cls, reply: Reply, username: str | None) -> "ReplyRow":
        """A reply just written, as the thread would show it (a new reply has no likes nor
        children: it ends where it starts)."""
        return cls(reply.id, reply.parent_id, reply.author_id, username, reply.body_html, reply.like_count,
                   reply.is_helpful, reply.is_hidden, reply.created_at, reply.edited_at, closes=1)


def thread(topic_id: int, user: User, role: str) -> list[ReplyRow]:
    """Every visible reply of a topic as a tree (each with its author's username, whether this
    member liked it, its `depth` and its `children`), in one query however long the thread."""
    rows = read_rows(thread_statement(role == "moderator"), {"topic_id": topic_id, "viewer_id": user.id}).all()
    replies = [ReplyRow(*row) for row in rows]  # its columns are ReplyRow's, up to `liked`
    by_parent: dict[int | None, list[ReplyRow]] = {}
    for reply in replies:
        by_parent.setdefault(reply.parent_id, []).append(reply)
    shown = {reply.id for reply in replies}

    def children(parent_id: int | None, depth: int) -> Iterator[ReplyRow]:
        for reply in by_parent.get(parent_id, []):
            reply.depth = min(depth, 5)
            reply.children = list(children(reply.id, depth + 1))
            yield reply

    # A reply whose parent is hidden from this member still shows, at the top level.
    orphans = [reply for parent_id, group in by_parent.items() if parent_id is not None and parent_id not in shown
               for reply in group]
    for reply in orphans:
        reply.depth = 0
        reply.children = list(children(reply.id, 1))
    return list(children(None, 0)) + orphans


def in_order(roots: list[ReplyRow]) -> list[ReplyRow]:
    """A thread's replies one after the other, as a page reads them (each before its children),
    each saying how many replies end after it (`closes`): a template draws the nested thread in
    one loop, opening a reply where it comes and closing as many as `closes` says."""
    order: list[ReplyRow] = []

    def walk(replies: list[ReplyRow]) -> None:
        for reply in replies:
            reply.closes = 0
            order.append(reply)
            walk(reply.children)
            order[-1].closes += 1  # this reply ends after its last descendant (or itself)

    walk(roots)
    return order


@dataclass(frozen=True)
class ThreadPart:
    """The replies a topic page draws: whole top-level replies (each with its answers), from a
    given one, until about REPLY_PART are drawn; where the next part starts and how many replies
    it and those after it hold; whether replies come before this part."""

    replies: list[ReplyRow]  # in reading order (see in_order)
    next_from: int | None  # the top-level reply the next part starts at; None: this part ends the thread
    remaining: int
    earlier: bool


def thread_part(roots: list[ReplyRow], start: int | None = None, budget: int = REPLY_PART) -> ThreadPart:
    """The part of a thread (see `thread`) that starts at the top-level reply `start` (the
    beginning when None or no longer shown)."""
    index = next((number for number, root in enumerate(roots) if root.id == start), 0) if start else 0
    taken: list[ReplyRow] = []
    drawn = 0
    for root in roots[index:]:
        if taken and drawn >= budget:
            break
        taken.append(root)
        drawn += size_of(root)
    following = roots[index + len(taken):]
    return ThreadPart(in_order(taken), following[0].id if following else None,
                      sum(size_of(root) for root in following), index > 0)


def size_of(reply: ReplyRow) -> int:
    return 1 + sum(size_of(child) for child in reply.children)


def root_of(roots: list[ReplyRow], reply_id: int) -> int | None:
    """The top-level reply whose part holds `reply_id` (a link to a reply opens that part)."""
    def holds(reply: ReplyRow) -> bool:
        return reply.id == reply_id or any(holds(child) for child in reply.children)

    return next((root.id for root in roots if holds(root)), None)


@cache
def thread_statement(moderator: bool) -> Select:
    liked = and_(Like.reply_id == Reply.id, Like.user_id == bindparam("viewer_id"))
    return (select(Reply.id, Reply.parent_id, Reply.author_id, MemberProfile.username, Reply.body_html, Reply.like_count,
                   Reply.is_helpful, Reply.is_hidden, Reply.created_at, Reply.edited_at, Like.id.is_not(None))
            .outerjoin(MemberProfile, and_(MemberProfile.user_id == Reply.author_id, MemberProfile.workspace_id == Reply.workspace_id))
            .outerjoin(Like, liked)
            .where(Reply.topic_id == bindparam("topic_id"), shown_to(Reply, moderator)).order_by(Reply.id).limit(1000))


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
