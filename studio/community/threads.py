"""A topic's thread as a page reads it: its shape (which reply answers which) from the ids alone,
a part of it (whole top-level replies with their answers, about REPLY_PART at a time), and the
rows of the replies that part draws. However long the thread, a page reads every reply's id and
parent, and the text of the ones it shows."""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import Select, and_, bindparam, select

from studio.accounts.models import User
from studio.community.models import Like, MemberProfile, Reply
from studio.community.reading import shown_to
from studio.extensions import read_rows

# About as many replies as a topic page draws at once (Discourse loads 20 posts at a time); "Show
# more replies" brings the next part. A top-level reply comes whole, with every answer under it.
REPLY_PART = 20
DEEPEST = 5  # nesting drawn deeper than this is drawn at this depth


@dataclass(slots=True)
class ReplyNode:
    """A reply's place in the thread: what answers it, how deep it sits, and (in reading order,
    see `in_order`) how many replies end after it."""

    id: int
    parent_id: int | None
    depth: int = 0
    children: list["ReplyNode"] = field(default_factory=list)
    closes: int = 0  # in_order: how many replies end after this one (itself, if it has no children, and those it ends)


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
    closes: int = 0

    @classmethod
    def of(cls, reply: Reply, username: str | None) -> "ReplyRow":
        """A reply just written, as the thread would show it (a new reply has no likes nor
        children: it ends where it starts)."""
        return cls(reply.id, reply.parent_id, reply.author_id, username, reply.body_html, reply.like_count,
                   reply.is_helpful, reply.is_hidden, reply.created_at, reply.edited_at, closes=1)


@dataclass(frozen=True)
class ThreadPart:
    """The replies a topic page draws: whole top-level replies (each with its answers), from a
    given one, until about REPLY_PART are drawn; where the next part starts and how many replies
    it and those after it hold; whether replies come before this part."""

    nodes: list[ReplyNode]  # in reading order (see in_order)
    next_from: int | None  # the top-level reply the next part starts at; None: this part ends the thread
    remaining: int
    earlier: bool


def thread_shape(topic_id: int, user: User, role: str) -> list[ReplyNode]:
    """The visible replies of a topic as a tree of ids, top-level replies first to last (one query
    of two columns a reply)."""
    rows = read_rows(shape_statement(role == "moderator"), {"topic_id": topic_id, "viewer_id": user.id}).all()
    return as_tree(ReplyNode(reply_id, parent_id) for reply_id, parent_id in rows)


def as_tree(nodes: Iterable[ReplyNode]) -> list[ReplyNode]:
    """The top-level replies, each with its answers as `children` and its `depth`. A reply whose
    parent this member may not see still shows, at the top level."""
    by_parent: dict[int | None, list[ReplyNode]] = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    shown = {node.id for group in by_parent.values() for node in group}

    def children(parent_id: int | None, depth: int) -> Iterator[ReplyNode]:
        for node in by_parent.get(parent_id, []):
            node.depth = min(depth, DEEPEST)
            node.children = list(children(node.id, depth + 1))
            yield node

    orphans = [node for parent_id, group in by_parent.items() if parent_id is not None and parent_id not in shown
               for node in group]
    for node in orphans:
        node.depth = 0
        node.children = list(children(node.id, 1))
    return list(children(None, 0)) + orphans


def in_order(roots: list[ReplyNode]) -> list[ReplyNode]:
    """A thread's replies one after the other, as a page reads them (each before its children),
    each saying how many replies end after it (`closes`): a template draws the nested thread in
    one loop, opening a reply where it comes and closing as many as `closes` says."""
    order: list[ReplyNode] = []

    def walk(nodes: list[ReplyNode]) -> None:
        for node in nodes:
            node.closes = 0
            order.append(node)
            walk(node.children)
            order[-1].closes += 1  # this reply ends after its last descendant (or itself)

    walk(roots)
    return order


def thread_part(roots: list[ReplyNode], start: int | None = None, budget: int = REPLY_PART) -> ThreadPart:
    """The part of a thread (see `thread_shape`) that starts at the top-level reply `start` (the
    beginning when None or no longer shown)."""
    index = next((number for number, root in enumerate(roots) if root.id == start), 0) if start else 0
    taken: list[ReplyNode] = []
    drawn = 0
    for root in roots[index:]:
        if taken and drawn >= budget:
            break
        taken.append(root)
        drawn += size_of(root)
    following = roots[index + len(taken):]
    return ThreadPart(in_order(taken), following[0].id if following else None,
                      sum(size_of(root) for root in following), index > 0)


def size_of(node: ReplyNode) -> int:
    return 1 + sum(size_of(child) for child in node.children)


def root_of(roots: list[ReplyNode], reply_id: int) -> int | None:
    """The top-level reply whose part holds `reply_id` (a link to a reply opens that part)."""
    def holds(node: ReplyNode) -> bool:
        return node.id == reply_id or any(holds(child) for child in node.children)

    return next((root.id for root in roots if holds(root)), None)


def replies_of(part: ThreadPart, user: User) -> list[ReplyRow]:
    """The rows of the replies a part draws, in its order, with their place in the thread: one
    query of the shown replies only."""
    if not part.nodes:
        return []
    rows = {row[0]: row for row in read_rows(rows_statement(), {"ids": [node.id for node in part.nodes],
                                                                 "viewer_id": user.id})}
    shown = []
    for node in part.nodes:
        if node.id in rows:  # (a reply goes only with its topic, never between these two queries)
            reply = ReplyRow(*rows[node.id])
            reply.depth, reply.closes = node.depth, node.closes
            shown.append(reply)
    return shown


@cache
def shape_statement(moderator: bool) -> Select:
    return (select(Reply.id, Reply.parent_id)
            .where(Reply.topic_id == bindparam("topic_id"), shown_to(Reply, moderator)).order_by(Reply.id))


@cache
def rows_statement() -> Select:
    """Replies by id with their authors' usernames and whether the viewer liked each; its columns
    are ReplyRow's, up to `liked`."""
    liked = and_(Like.reply_id == Reply.id, Like.user_id == bindparam("viewer_id"))
    return (select(Reply.id, Reply.parent_id, Reply.author_id, MemberProfile.username, Reply.body_html, Reply.like_count,
                   Reply.is_helpful, Reply.is_hidden, Reply.created_at, Reply.edited_at, Like.id.is_not(None))
            .outerjoin(MemberProfile, and_(MemberProfile.user_id == Reply.author_id, MemberProfile.workspace_id == Reply.workspace_id))
            .outerjoin(Like, liked)
            .where(Reply.id.in_(bindparam("ids", expanding=True))))
