"""Approvals: a post is submitted, approved by the team (an owner or admin), then, in a workspace
that asks its clients, by the client whose accounts it goes to; or sent back with changes. Each
move is a conditional UPDATE from the states it may leave, so two approvers clicking at once
cannot both move it. The final approval schedules the post for its time.

The gate itself is in publishing: `create_post` and `schedule` never make a post that is not
cleared due (a draft waiting keeps its time for later), and the engine never claims one
(publishing.claims.due_condition)."""
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import selectinload

from studio.accounts.models import ApprovalMode, User, Workspace
from studio.billing import service as billing
from studio.billing.service import Counted
from studio.content import history
from studio.content.models import ContentRequest, EditAction, RequestStatus
from studio.content.notices import approvers_of, tell
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.notify.models import NotificationType
from studio.portal.models import Client
from studio.publishing import recurrence
from studio.publishing import service as publishing
from studio.publishing.models import Approval, Delivery, Post, PostMedia, PostStatus
from studio.refusal import Refused
from studio.schedule_rules import instant_has_passed

WAITING = (Approval.PENDING_TEAM, Approval.PENDING_CLIENT, Approval.CHANGES_REQUESTED)
UNPUBLISHED = (PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.MISSED)
CHANGED = "This post changed since you opened it (its text or its approval). Reload it to see where it stands."


def set_mode(workspace: Workspace, mode: ApprovalMode) -> None:
    """Turning approvals on asks them of drafts (posts already scheduled keep their place); turning
    them off clears every post still waiting, since nobody will approve it any more."""
    unpublished = [Post.workspace_id == workspace.id, Post.status.in_(UNPUBLISHED)]
    if mode == ApprovalMode.NONE:
        db.session.execute(update(Post).where(*unpublished, Post.approval != Approval.APPROVED)
                           .values(approval=Approval.NOT_REQUIRED))
    elif workspace.approval_mode == ApprovalMode.NONE:
        db.session.execute(update(Post).where(*unpublished, Post.status == PostStatus.DRAFT,
                                              Post.approval == Approval.NOT_REQUIRED)
                           .values(approval=Approval.NOT_SUBMITTED))
    workspace.approval_mode = mode
    db.session.commit()


def portal_user(post: Post) -> User | None:
    client = db.session.get(Client, post.client_id) if post.client_id else None
    return client.user if client is not None and client.status != "archived" else None


class Outcome(NamedTuple):
    approval: Approval  # where the post stands now
    not_scheduled: str | None = None  # why an approved post could not be scheduled (a plan's limit)


def family(post: Post) -> ColumnElement[bool]:
    """The post's series: its first post and every occurrence (or just the post, alone)."""
    head = post.series_id or post.id
    return or_(Post.id == head, Post.series_id == head)


def move(post: Post, leaving: Sequence[Approval], to: Approval, version: int | None = None, **values: object) -> None:
    """Move the post's approval from one of `leaving` to `to`, with the rest of its series still to
    come, or refuse when someone moved it first or, given the `version` the person saw, when its
    text changed since. Each move bumps the version, so an edit begun before it is refused too."""
    where = [Post.id == post.id, Post.approval.in_(leaving)]
    if version is not None:
        where.append(Post.version == version)
    moved = changed_rows(db.session.execute(
        update(Post).where(*where).values(approval=to, version=Post.version + 1, **values)))
    if moved != 1:
        db.session.rollback()
        raise Refused(CHANGED)
    db.session.execute(update(Post).where(family(post), Post.id != post.id, Post.status.in_(UNPUBLISHED))
                       .values(approval=to, version=Post.version + 1, **values))
    db.session.expire(post)


def set_request_status(post: Post, status: RequestStatus, by: User | None = None, reason: str = "") -> None:
    request = db.session.get(ContentRequest, post.request_id) if post.request_id else None
    if request is None:
        return
    request.status = status
    if status == RequestStatus.APPROVED:
        request.approved_by_id, request.approved_at = (by.id if by else None), utcnow()
    elif status == RequestStatus.REJECTED:
        request.rejected_by_id, request.rejected_at, request.rejection_reason = (by.id if by else None), utcnow(), reason


def submit(post: Post, author: User) -> None:
    if post.approval == Approval.NOT_REQUIRED:
        raise Refused("This workspace does not approve posts; schedule it when it is ready.")
    if post.status not in UNPUBLISHED:
        raise Refused("Only a post that has not gone out can be submitted for approval.")
    move(post, (Approval.NOT_SUBMITTED, Approval.CHANGES_REQUESTED), Approval.PENDING_TEAM,
         approval_asked_at=utcnow(), approval_reminded_at=None)
    history.record(post, EditAction.SUBMITTED, author)
    set_request_status(post, RequestStatus.PENDING_APPROVAL)
    db.session.commit()
    tell(approvers_of(post.workspace_id), NotificationType.APPROVAL_REQUESTED, f"{author.name} asks you to approve a post",
         post.message[:300], "posts.detail", staff_link(post), workspace_id=post.workspace_id, skip=author)


def staff_link(post: Post) -> dict[str, object]:
    return {"ws": db.session.get_one(Workspace, post.workspace_id).slug, "post_id": post.id}


def client_link(post: Post) -> dict[str, object]:
    return {"client_id": post.client_id, "post_id": post.id}


def approve_for_team(post: Post, approver: User, version: int | None = None) -> Outcome:
    """The team's approval (an owner's or admin's: the views check the role) of the text as of
    `version`: the post goes on to its client when the workspace asks clients (and the post is for
    one with a portal), else it is approved."""
    workspace = db.session.get_one(Workspace, post.workspace_id)
    client_user = portal_user(post) if workspace.approval_mode == ApprovalMode.CLIENT else None
    leaving = (Approval.NOT_SUBMITTED, Approval.PENDING_TEAM, Approval.CHANGES_REQUESTED)
    history.record(post, EditAction.APPROVED, approver)
    if client_user is None:
        move(post, leaving, Approval.APPROVED, version, approved_by_id=approver.id, approved_at=utcnow())
        return Outcome(Approval.APPROVED, finish(post, approver))
    now = utcnow()
    move(post, leaving, Approval.PENDING_CLIENT, version, approval_asked_at=now, approval_reminded_at=None,
         client_asked_at=func.coalesce(Post.client_asked_at, now))
    db.session.commit()
    tell([client_user], NotificationType.APPROVAL_REQUESTED, f"{workspace.name} asks you to approve a post",
         post.message[:300], "portal.approval", client_link(post), client_id=post.client_id)
    return Outcome(Approval.PENDING_CLIENT)


def approve_as_client(post: Post, client_user: User, version: int | None = None) -> Outcome:
    history.record(post, EditAction.CLIENT_APPROVED, client_user, by_client=True)
    move(post, (Approval.PENDING_CLIENT,), Approval.APPROVED, version, approved_by_id=client_user.id, approved_at=utcnow())
    return Outcome(Approval.APPROVED, finish(post, client_user))


def finish(post: Post, approver: User) -> str | None:
    """Approved: the post is scheduled for its time if it has one still to come; its author and
    the team hear of it. Returns why it could not be scheduled, if it could not (a plan's limit:
    it stays an approved draft, to be scheduled by hand)."""
    set_request_status(post, RequestStatus.APPROVED, approver)
    db.session.commit()
    when, problem = post.scheduled_at, None
    if post.status == PostStatus.DRAFT and when is not None and not instant_has_passed(when):
        try:
            publishing.schedule(post, post.version, when.astimezone(ZoneInfo(post.timezone)).replace(tzinfo=None),
                                post.timezone)
            history.record(post, EditAction.SCHEDULED, approver)
            db.session.commit()
            if post.recurrence:
                recurrence.extend(post)
        except Refused as refusal:
            problem = f"Approved, but not scheduled: {refusal}"
    people = [post.author, *approvers_of(post.workspace_id)]
    tell(people, NotificationType.POST_APPROVED, f"{approver.name} approved a post", problem or post.message[:300],
         "posts.detail", staff_link(post), workspace_id=post.workspace_id, skip=approver)
    return problem


def request_changes(post: Post, reviewer: User, reason: str, by_client: bool = False) -> None:
    """Send the post back with what should change (required); kept as a comment on the post too,
    shared with the client when the client asked."""
    from studio.content import comments

    reason = reason.strip()
    if not reason:
        raise Refused("Say what should change, so whoever edits it knows.", "reason")
    leaving = (Approval.PENDING_CLIENT,) if by_client else (Approval.PENDING_TEAM, Approval.PENDING_CLIENT, Approval.APPROVED)
    if post.status not in UNPUBLISHED:
        raise Refused("This post has gone out already; changes can no longer be asked for.")
    history.record(post, EditAction.CHANGES_REQUESTED, reviewer, reason=reason, by_client=by_client)
    move(post, leaving, Approval.CHANGES_REQUESTED, approved_by_id=None, approved_at=None)
    unschedule(post)
    set_request_status(post, RequestStatus.REJECTED, reviewer, reason)
    comments.add(post, reviewer, reason, internal=False if by_client else None, by_client=by_client, quiet=True)
    who = "The client" if by_client else reviewer.name
    tell([post.author, *approvers_of(post.workspace_id)], NotificationType.CHANGES_REQUESTED,
         f"{who} asked for changes to a post", reason, "posts.detail", staff_link(post),
         workspace_id=post.workspace_id, skip=reviewer)


def unschedule(post: Post) -> None:
    """A scheduled post sent back goes back to being a draft that keeps its time (and gives back
    the scheduled post it counted: approved again, it counts again)."""
    if post.status == PostStatus.SCHEDULED:
        billing.give_back(db.session.get_one(Workspace, post.workspace_id), Counted.SCHEDULED_POSTS)
        db.session.execute(update(Delivery).where(Delivery.post_id == post.id, Delivery.status == "pending",
                                                  Delivery.attempt_count == 0).values(next_attempt_at=None))
        db.session.execute(update(Post).where(Post.id == post.id).values(status=PostStatus.DRAFT, version=Post.version + 1))
    db.session.commit()
    db.session.expire(post)


def bulk_approve(posts: Sequence[tuple[Post, int | None]], approver: User, as_client: bool = False) -> tuple[int, list[str]]:
    """Approve each (post, version seen); returns how many and why the others were not (or were
    approved but not scheduled)."""
    done, problems = 0, []
    for post, version in posts:
        try:
            outcome = approve_as_client(post, approver, version) if as_client else approve_for_team(post, approver, version)
            done += 1
            if outcome.not_scheduled:
                problems.append(f"“{post.message[:40]}”: {outcome.not_scheduled}")
        except Refused as refusal:
            problems.append(f"“{post.message[:40]}”: {refusal}")
    return done, problems


def waiting_for_team(workspace: Workspace) -> Sequence[Post]:
    return _waiting(select(Post).where(Post.workspace_id == workspace.id, Post.approval.in_(WAITING)))


def waiting_count(workspace: Workspace) -> int:
    """Posts the team has to approve (the Overview's figure, and the queue's tab)."""
    return db.session.execute(select(func.count()).select_from(Post).where(
        Post.workspace_id == workspace.id, Post.approval == Approval.PENDING_TEAM, Post.status.in_(UNPUBLISHED))).scalar_one()


def waiting_for_client(client: Client) -> Sequence[Post]:
    return _waiting(select(Post).where(Post.client_id == client.id, Post.approval == Approval.PENDING_CLIENT))


QUEUE_LIMIT = 200  # the oldest first: what has waited longest is what to clear


def _waiting(query) -> Sequence[Post]:
    return db.session.execute(query.where(Post.status.in_(UNPUBLISHED)).limit(QUEUE_LIMIT)
                              .options(selectinload(Post.deliveries).joinedload(Delivery.connection),
                                       selectinload(Post.media).joinedload(PostMedia.asset), selectinload(Post.author))
                              .order_by(Post.approval_asked_at.is_(None), Post.approval_asked_at, Post.id)).scalars().all()


def remind_stalled(now: datetime | None = None) -> int:
    """Remind approvers of posts that have waited APPROVAL_REMINDER_DAYS (again every that many
    days), once for a whole series. Each post (with its series) is claimed by a conditional UPDATE
    first, so two runs remind once."""
    now = now or utcnow()
    due = now - timedelta(days=current_app.config["APPROVAL_REMINDER_DAYS"])
    stalled = [Post.approval.in_((Approval.PENDING_TEAM, Approval.PENDING_CLIENT)), Post.status.in_(UNPUBLISHED),
               Post.approval_asked_at <= due, (Post.approval_reminded_at.is_(None)) | (Post.approval_reminded_at <= due)]
    reminded = 0
    for post in db.session.execute(select(Post).where(*stalled).order_by(Post.id)).scalars().all():
        if changed_rows(db.session.execute(update(Post).where(family(post), *stalled)
                                           .values(approval_reminded_at=now))) == 0:
            continue  # another run reminded of it, or of its series already
        db.session.commit()
        days = (now - (post.approval_asked_at or now)).days
        title = f"A post has waited {days} days for your approval"
        if post.approval == Approval.PENDING_CLIENT:
            tell([portal_user(post)], NotificationType.APPROVAL_REQUESTED, title, post.message[:300], "portal.approval",
                 client_link(post), client_id=post.client_id)
        else:
            tell(approvers_of(post.workspace_id), NotificationType.APPROVAL_REQUESTED, title, post.message[:300],
                 "posts.detail", staff_link(post), workspace_id=post.workspace_id)
        reminded += 1
    return reminded
