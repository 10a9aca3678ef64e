"""Comments on posts and requests: threaded (a reply names its parent), resolvable, with @mentions
that notify. Internal comments are the team's alone; shared ones the client sees and answers."""
import re
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from studio.accounts.models import Membership, User, Workspace
from studio.content.models import Comment, ContentRequest
from studio.content.notices import tell
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import NotificationType
from studio.portal.models import Client
from studio.publishing.models import Post
from studio.refusal import Refused

Subject = Post | ContentRequest
MENTION = re.compile(r"(?<![\w@])@([A-Za-z][\w.-]{1,40})")


def subject_column(subject: Subject):
    return Comment.post_id if isinstance(subject, Post) else Comment.request_id


def add(subject: Subject, author: User, body: str, internal: bool | None = False, by_client: bool = False,
        parent: Comment | None = None, quiet: bool = False) -> Comment:
    """A comment, or a reply to `parent`. A client's is always shared; a reply keeps its thread's
    visibility; `internal=None` means internal when the subject is a client's (the team talking
    among themselves), shared otherwise. `quiet` leaves the telling to the caller."""
    body = body.strip()
    if not body:
        raise Refused("Write something first.", "body")
    if len(body) > 5000:
        raise Refused("A comment holds at most 5,000 characters.", "body")
    if parent is not None:
        if getattr(parent, subject_column(subject).key) != subject.id:
            raise Refused("That comment is not on this page.")
        internal = parent.internal
    if by_client:
        if parent is not None and parent.internal:
            raise Refused("That comment is not on this page.")
        internal = False
    elif internal is None:
        internal = subject.client_id is not None
    comment = Comment(workspace_id=subject.workspace_id, author_id=author.id, by_client=by_client, internal=internal,
                      body=body, parent_id=parent.id if parent else None)
    setattr(comment, subject_column(subject).key, subject.id)
    db.session.add(comment)
    db.session.commit()
    if not quiet:
        tell_about(comment, subject, author)
    return comment


def tell_about(comment: Comment, subject: Subject, author: User) -> None:
    """Those @mentioned hear of it; a client's comment tells the people on the subject; the team's
    shared comment on a client's subject tells the client."""
    link = staff_link(subject)
    mentioned = mentioned_members(subject.workspace_id, comment.body)
    what = "a post" if isinstance(subject, Post) else f"the request “{subject.title}”"
    tell(mentioned, NotificationType.MENTION, f"{author.name} mentioned you on {what}", comment.body, *link,
         workspace_id=subject.workspace_id, skip=author)
    already = {person.id for person in mentioned}
    if comment.by_client:
        tell([p for p in people_on(subject) if p.id not in already], NotificationType.CONTENT_COMMENT,
             f"{author.name} commented on {what}", comment.body, *link, workspace_id=subject.workspace_id, skip=author)
    elif not comment.internal and subject.client_id:
        client = db.session.get(Client, subject.client_id)
        if client is not None and client.user is not None:
            tell([client.user], NotificationType.CONTENT_COMMENT, f"{author.name} commented on {what}", comment.body,
                 *client_link(subject), client_id=client.id, skip=author)


def staff_link(subject: Subject) -> tuple[str, dict]:
    slug = db.session.get_one(Workspace, subject.workspace_id).slug
    if isinstance(subject, Post):
        return "posts.detail", {"ws": slug, "post_id": subject.id, "_anchor": "comments"}
    return "content.request", {"ws": slug, "request_id": subject.id, "_anchor": "comments"}


def client_link(subject: Subject) -> tuple[str, dict]:
    if isinstance(subject, Post):
        return "portal.approval", {"client_id": subject.client_id, "post_id": subject.id}
    return "portal.content_request", {"client_id": subject.client_id, "request_id": subject.id}


def people_on(subject: Subject) -> list[User]:
    ids = ([subject.author_id] if isinstance(subject, Post) else [subject.assignee_id, subject.created_by_id])
    ids += db.session.execute(select(Comment.author_id).where(subject_column(subject) == subject.id,
                                                              Comment.by_client.is_(False))).scalars().all()
    staff = set(db.session.execute(select(Membership.user_id).where(Membership.workspace_id == subject.workspace_id)).scalars())
    wanted = [i for i in dict.fromkeys(ids) if i in staff]
    return list(db.session.execute(select(User).where(User.id.in_(wanted or [-1]))).scalars())


def mentioned_members(workspace_id: int, body: str) -> list[User]:
    """The team members an @name names: the first word of their name or their e-mail's local part,
    any case (@priya, @priya.shah)."""
    handles = {handle.lower().rstrip(".") for handle in MENTION.findall(body)}
    if not handles:
        return []
    members = db.session.execute(select(User).join(Membership, Membership.user_id == User.id)
                                 .where(Membership.workspace_id == workspace_id)).scalars().all()
    return [m for m in members if (m.name.split() or [""])[0].lower() in handles or m.email.split("@")[0].lower() in handles]


def set_resolved(comment: Comment, by: User, resolved: bool) -> None:
    comment.resolved_at, comment.resolved_by_id = (utcnow(), by.id) if resolved else (None, None)
    db.session.commit()


class Node(NamedTuple):
    comment: Comment
    replies: list["Node"]


def thread_of(subject: Subject, with_internal: bool) -> list[Node]:
    """The comments as a tree (one query), oldest first; a client's view leaves out internal ones."""
    query = select(Comment).where(subject_column(subject) == subject.id).options(joinedload(Comment.author))
    if not with_internal:
        query = query.where(Comment.internal.is_(False))
    rows: Sequence[Comment] = db.session.execute(query.order_by(Comment.id)).scalars().all()
    nodes = {row.id: Node(row, []) for row in rows}
    roots: list[Node] = []
    for row in rows:
        parent = nodes.get(row.parent_id) if row.parent_id else None
        (parent.replies if parent else roots).append(nodes[row.id])
    return roots


def open_count(subject: Subject, with_internal: bool) -> int:
    return sum(1 for _ in _flatten(thread_of(subject, with_internal)) if _.comment.resolved_at is None)


def _flatten(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from _flatten(node.replies)
