"""Content requests: a brief made by the team or a client, worked on by an assignee, drafted in
versions (by hand or by the language model, see drafts.py); picking a version makes it a post."""
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from studio.accounts.models import Membership, User, Workspace
from studio.connections.models import PlatformConnection
from studio.content import history
from studio.content.models import (
    OPEN_REQUEST_STATUSES,
    ContentReference,
    ContentRequest,
    ContentVersion,
    EditAction,
    RequestStatus,
)
from studio.content.notices import tell
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.notify.models import NotificationType
from studio.portal.models import Client
from studio.publishing import service as publishing
from studio.publishing.models import Post
from studio.refusal import Refused

REQUEST_LOADS = (joinedload(ContentRequest.assignee), joinedload(ContentRequest.client),
                 selectinload(ContentRequest.references).joinedload(ContentReference.asset),
                 selectinload(ContentRequest.versions))


def create_request(workspace: Workspace, creator: User, title: str, brief: str = "", goal: str = "",
                   platforms: Sequence[str] = (), due_on: date | None = None, client: Client | None = None,
                   asset_ids: Sequence[int] = (), assignee: User | None = None) -> ContentRequest:
    request = ContentRequest(workspace_id=workspace.id, created_by_id=creator.id, title=title.strip(), brief=brief.strip(),
                             goal=goal.strip(), platforms=list(platforms), due_on=due_on,
                             client_id=client.id if client else None, assignee_id=assignee.id if assignee else None)
    assets = db.session.execute(select(MediaAsset.id).where(MediaAsset.workspace_id == workspace.id,
                                                            MediaAsset.id.in_(list(asset_ids) or [-1]))).scalars().all()
    request.references = [ContentReference(asset_id=asset_id) for asset_id in assets]
    db.session.add(request)
    db.session.commit()
    if client is not None:  # from the portal: the team hears of it
        from studio.content.notices import approvers_of

        tell(approvers_of(workspace.id), NotificationType.CONTENT_COMMENT, f"{client.name} asked for content: {request.title}",
             request.brief, "content.request", {"ws": workspace.slug, "request_id": request.id}, workspace_id=workspace.id)
    return request


def team_members(workspace: Workspace) -> Sequence[User]:
    return db.session.execute(select(User).join(Membership, Membership.user_id == User.id)
                              .where(Membership.workspace_id == workspace.id, Membership.role != "viewer")
                              .order_by(User.name)).scalars().all()


def assign(request: ContentRequest, assignee: User | None, by: User) -> None:
    request.assignee_id = assignee.id if assignee else None
    if assignee is not None and request.status == RequestStatus.DRAFT:
        request.status = RequestStatus.IN_PROGRESS
    db.session.commit()
    if assignee is not None:
        slug = db.session.get_one(Workspace, request.workspace_id).slug
        tell([assignee], NotificationType.CONTENT_COMMENT, f"{by.name} gave you the request “{request.title}”",
             request.brief, "content.request", {"ws": slug, "request_id": request.id},
             workspace_id=request.workspace_id, skip=by)


def set_status(request: ContentRequest, status: RequestStatus) -> None:
    request.status = status
    db.session.commit()


def requests_of(workspace: Workspace, status: str = "", client_id: int | None = None) -> Sequence[ContentRequest]:
    query = select(ContentRequest).where(ContentRequest.workspace_id == workspace.id)
    if status == "open":
        query = query.where(ContentRequest.status.in_(OPEN_REQUEST_STATUSES))
    elif status:
        query = query.where(ContentRequest.status == status)
    if client_id:
        query = query.where(ContentRequest.client_id == client_id)
    return db.session.execute(query.options(joinedload(ContentRequest.assignee), joinedload(ContentRequest.client))
                              .order_by(ContentRequest.due_on.is_(None), ContentRequest.due_on, ContentRequest.id.desc())
                              .limit(200)).scalars().all()


def requests_of_client(client: Client) -> Sequence[ContentRequest]:
    return db.session.execute(select(ContentRequest).where(ContentRequest.client_id == client.id)
                              .order_by(ContentRequest.id.desc()).limit(100)).scalars().all()


def add_version(request: ContentRequest, author: User, text: str, hashtags: Sequence[str] = (), image_prompt: str = "",
                model: str | None = None) -> ContentVersion:
    if not text.strip():
        raise Refused("Write the version's text.", "text")
    version = ContentVersion(workspace_id=request.workspace_id, request=request, text=text.strip(),
                             hashtags=[tag.lstrip("#") for tag in hashtags if tag.strip("# ")], image_prompt=image_prompt.strip(),
                             model=model, created_by_id=author.id)
    db.session.add(version)
    if request.status == RequestStatus.DRAFT:
        request.status = RequestStatus.IN_PROGRESS
    db.session.flush()
    history.record(version, EditAction.CREATED, author, new=version.text)
    db.session.commit()
    return version


def text_with_hashtags(version: ContentVersion) -> str:
    tags = " ".join(f"#{tag}" for tag in version.hashtags or [])
    return f"{version.text}\n\n{tags}" if tags else version.text


def accounts_for(request: ContentRequest) -> list[PlatformConnection]:
    """The accounts a request's post goes to: the client's own (or the team's when it is not for a
    client), on the platforms the brief names (all of them when it names none)."""
    query = select(PlatformConnection).where(PlatformConnection.workspace_id == request.workspace_id,
                                             PlatformConnection.status == "active")
    query = query.where(PlatformConnection.client_id == request.client_id if request.client_id
                        else PlatformConnection.client_id.is_(None))
    if request.platforms:
        query = query.where(PlatformConnection.platform.in_(request.platforms))
    return list(db.session.execute(query.order_by(PlatformConnection.platform)).scalars())


def pick(version: ContentVersion, author: User, when: datetime | None = None, timezone: str = "UTC") -> Post:
    """This version becomes the request's post: a draft to the request's accounts (at `when`, wall
    clock in `timezone`, if given). Picking again later makes a new draft; the old one stays."""
    request = version.request
    workspace = db.session.get_one(Workspace, request.workspace_id)
    post = publishing.create_post(workspace, author, text_with_hashtags(version), {}, accounts_for(request), [],
                                  "draft", when, timezone)
    if request.client_id and post.client_id is None:
        post.client_id = request.client_id
    post.request_id = request.id
    db.session.execute(update(ContentVersion).where(ContentVersion.request_id == request.id).values(selected=False))
    version.selected, version.post_id = True, post.id
    if request.status in (RequestStatus.DRAFT, RequestStatus.REJECTED):
        request.status = RequestStatus.IN_PROGRESS
    history.record(post, EditAction.CREATED, author, new=post.message, reason=f"From the request “{request.title}”")
    db.session.commit()
    return post


def remind_due(now: datetime | None = None) -> int:
    """Tell each open request's assignee (else the team's approvers) the day before it is due, once."""
    from studio.content.notices import approvers_of

    now = now or utcnow()
    soon = [ContentRequest.status.in_(OPEN_REQUEST_STATUSES), ContentRequest.due_on.is_not(None),
            ContentRequest.due_on <= (now + timedelta(days=1)).date(), ContentRequest.due_reminded_at.is_(None)]
    told = 0
    for request in db.session.execute(select(ContentRequest).where(*soon)).scalars().all():
        if changed_rows(db.session.execute(update(ContentRequest).where(ContentRequest.id == request.id, *soon)
                                           .values(due_reminded_at=now))) != 1:
            continue
        db.session.commit()
        late = request.due_on is not None and request.due_on < now.date()
        title = f"“{request.title}” {'was due' if late else 'is due'} {request.due_on:%a %-d %b}"
        people = [request.assignee] if request.assignee else approvers_of(request.workspace_id)
        slug = db.session.get_one(Workspace, request.workspace_id).slug
        tell(people, NotificationType.REQUEST_DUE, title, request.brief, "content.request",
             {"ws": slug, "request_id": request.id}, workspace_id=request.workspace_id)
        told += 1
    return told


def counts_by_status(workspace: Workspace) -> dict[str, int]:
    rows = db.session.execute(select(ContentRequest.status, func.count()).where(
        ContentRequest.workspace_id == workspace.id).group_by(ContentRequest.status)).all()
    return {status: number for status, number in rows}
