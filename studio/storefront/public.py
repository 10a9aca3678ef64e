"""Reading a storefront as its visitors see it: found by the workspace's slug, published or not
(the team's preview), its validators for conditional requests, and what its pages show, each in a
fixed number of queries however much the maker has."""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.analytics.models import AccountSnapshot
from studio.connections.models import PlatformConnection, SocialLink
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.publishing.models import PublishedPost
from studio.storefront.models import Service, Storefront, StorefrontComment, StorefrontUpdate, UpdateImage
from studio.storefront.visitors import liked_by

PAGE_FORMAT = "1"  # bump when the page's markup changes, so cached copies are not reused
HOME_UPDATES = 10
HOME_VIDEOS = 12
PER_PAGE = 24


@dataclass
class Video:
    post: PublishedPost
    media: MediaAsset | None

    @property
    def title(self) -> str:
        first_line = (self.post.caption or "").strip().splitlines()
        return (self.media.title if self.media and self.media.title else "") or (first_line[0][:120] if first_line else "Video")

    @property
    def views(self) -> int | None:
        return (self.post.metrics or {}).get("views")

    @property
    def platform_likes(self) -> int | None:
        return (self.post.metrics or {}).get("likes")


@dataclass
class Shown:
    """What one page of a storefront draws."""

    workspace: Workspace
    storefront: Storefront
    services: list[Service] = field(default_factory=list)
    updates: list[StorefrontUpdate] = field(default_factory=list)
    videos: list[Video] = field(default_factory=list)
    images: dict[int, list[MediaAsset]] = field(default_factory=dict)  # by update id
    links: list[SocialLink] = field(default_factory=list)
    accounts: list[PlatformConnection] = field(default_factory=list)
    liked: set[tuple[str, int | None]] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def find(slug: str, published_only: bool = True) -> tuple[Workspace, Storefront] | None:
    """The workspace and its storefront, in one query; None when unknown (or unpublished)."""
    query = select(Workspace, Storefront).join(Storefront, Storefront.workspace_id == Workspace.id).where(Workspace.slug == slug)
    if published_only:
        query = query.where(Storefront.published_at.is_not(None))
    row = db.session.execute(query).first()
    return (row[0], row[1]) if row else None


def validators(workspace: Workspace, storefront: Storefront, variant: str = "") -> tuple[str, datetime]:
    """(ETag, Last-Modified) of the page, from one query: the storefront's own changes, the showcase's
    newest video and latest synced numbers, the accounts' latest follower counts and the links."""
    shown = (PublishedPost.workspace_id == workspace.id) & PublishedPost.in_showcase.is_(True)
    links = SocialLink.workspace_id == workspace.id
    row = db.session.execute(select(
        select(func.max(PublishedPost.published_at)).where(shown).scalar_subquery(),
        select(func.max(PublishedPost.last_synced_at)).where(shown).scalar_subquery(),
        select(func.max(AccountSnapshot.taken_at)).where(AccountSnapshot.workspace_id == workspace.id).scalar_subquery(),
        select(func.count(SocialLink.id)).where(links).scalar_subquery(),
        select(func.max(SocialLink.id)).where(links).scalar_subquery(),
        select(func.count(PlatformConnection.id)).where(
            PlatformConnection.workspace_id == workspace.id, PlatformConnection.status == "active").scalar_subquery(),
    )).one()
    moments = [moment for moment in (storefront.changed_at, *row[:3]) if moment is not None]
    parts = [PAGE_FORMAT, variant, storefront.changed_at.isoformat(), *(str(value) for value in row), workspace.name,
             workspace.country or ""]
    etag = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return etag, max(moments).replace(microsecond=0)


def images_for(updates: list[StorefrontUpdate]) -> dict[int, list[MediaAsset]]:
    """Each update's images in order, by update id, in one query."""
    if not updates:
        return {}
    found: dict[int, list[MediaAsset]] = {}
    for update_id, asset in db.session.execute(
            select(UpdateImage.update_id, MediaAsset).join(MediaAsset, MediaAsset.id == UpdateImage.asset_id)
            .where(UpdateImage.update_id.in_([item.id for item in updates]))
            .order_by(UpdateImage.update_id, UpdateImage.position)):
        found.setdefault(update_id, []).append(asset)
    return found


def showcase_query(workspace: Workspace) -> Any:
    return (select(PublishedPost, MediaAsset).outerjoin(MediaAsset, MediaAsset.id == PublishedPost.media_id)
            .where(PublishedPost.workspace_id == workspace.id, PublishedPost.in_showcase.is_(True)))


def home(workspace: Workspace, storefront: Storefront, viewer: User | None) -> Shown:
    """The storefront's front page: profile, active services, newest updates and videos, links and
    follower counts."""
    shown = Shown(workspace, storefront)
    shown.services = list(db.session.execute(select(Service).where(Service.workspace_id == workspace.id, Service.active.is_(True))
                                             .order_by(Service.position, Service.id)).scalars())
    shown.updates = list(db.session.execute(select(StorefrontUpdate).where(StorefrontUpdate.workspace_id == workspace.id)
                                            .order_by(StorefrontUpdate.created_at.desc(), StorefrontUpdate.id.desc())
                                            .limit(HOME_UPDATES)).scalars())
    shown.videos = [Video(post, media) for post, media in db.session.execute(
        showcase_query(workspace).order_by(PublishedPost.published_at.desc(), PublishedPost.id.desc()).limit(HOME_VIDEOS))]
    shown.counts = dict(zip(("updates", "videos"), db.session.execute(select(
        select(func.count()).select_from(StorefrontUpdate).where(StorefrontUpdate.workspace_id == workspace.id).scalar_subquery(),
        select(func.count()).select_from(PublishedPost).where(PublishedPost.workspace_id == workspace.id,
                                                              PublishedPost.in_showcase.is_(True)).scalar_subquery())).one(),
                            strict=True))
    shown.images = images_for(shown.updates)
    shown.links = list(db.session.execute(select(SocialLink).where(SocialLink.workspace_id == workspace.id)
                                          .order_by(SocialLink.position, SocialLink.id)).scalars())
    shown.accounts = accounts_of(workspace) if storefront.show_followers else []
    shown.liked = liked_by(viewer, [item.id for item in shown.updates], [video.post.id for video in shown.videos])
    return shown


def accounts_of(workspace: Workspace) -> list[PlatformConnection]:
    """The maker's own active accounts whose follower count has been synced (a client's are not the maker's)."""
    rows = db.session.execute(select(PlatformConnection).where(
        PlatformConnection.workspace_id == workspace.id, PlatformConnection.client_id.is_(None),
        PlatformConnection.status == "active").order_by(PlatformConnection.platform, PlatformConnection.id)).scalars()
    return [row for row in rows if followers_of(row) is not None]


def followers_of(connection: PlatformConnection) -> int | None:
    return ((connection.details or {}).get("stats") or {}).get("followers")


def updates_page(workspace: Workspace, before: int | None, viewer: User | None) -> tuple[list[StorefrontUpdate], dict[int, list[MediaAsset]], set, bool]:
    query = select(StorefrontUpdate).where(StorefrontUpdate.workspace_id == workspace.id)
    if before:
        query = query.where(StorefrontUpdate.id < before)
    rows = list(db.session.execute(query.order_by(StorefrontUpdate.id.desc()).limit(PER_PAGE + 1)).scalars())
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    images = images_for(rows)
    return rows, images, liked_by(viewer, [item.id for item in rows], []), more


def videos_page(workspace: Workspace, kind: str | None, before: int | None, viewer: User | None) -> tuple[list[Video], set, bool]:
    query = showcase_query(workspace)
    if kind:
        query = query.where(PublishedPost.showcase_kind == kind)
    if before:
        query = query.where(PublishedPost.id < before)
    rows = [Video(post, media) for post, media in db.session.execute(query.order_by(PublishedPost.id.desc()).limit(PER_PAGE + 1))]
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    return rows, liked_by(viewer, [], [video.post.id for video in rows]), more


def update_of(workspace: Workspace, update_id: int) -> StorefrontUpdate | None:
    return db.session.execute(select(StorefrontUpdate).where(
        StorefrontUpdate.id == update_id, StorefrontUpdate.workspace_id == workspace.id)).scalar_one_or_none()


def video_of(workspace: Workspace, video_id: int) -> Video | None:
    row = db.session.execute(showcase_query(workspace).where(PublishedPost.id == video_id)).first()
    return Video(row[0], row[1]) if row else None


def comments_on(item: StorefrontUpdate | PublishedPost, include_hidden: bool = False) -> list[StorefrontComment]:
    column = StorefrontComment.update_id if isinstance(item, StorefrontUpdate) else StorefrontComment.video_id
    query = select(StorefrontComment).where(column == item.id).options(joinedload(StorefrontComment.author))
    if not include_hidden:
        query = query.where(StorefrontComment.hidden_at.is_(None))
    return list(db.session.execute(query.order_by(StorefrontComment.id).limit(500)).scalars())


def public_asset(workspace: Workspace, storefront: Storefront, asset_id: int) -> MediaAsset | None:
    """An image or video thumbnail the storefront shows, which anyone may fetch; None for anything else."""
    shown = or_(
        MediaAsset.id == storefront.avatar_id,
        select(PublishedPost.id).where(PublishedPost.workspace_id == workspace.id, PublishedPost.in_showcase.is_(True),
                                       PublishedPost.media_id == asset_id).exists(),
        select(UpdateImage.id).join(StorefrontUpdate, StorefrontUpdate.id == UpdateImage.update_id)
        .where(StorefrontUpdate.workspace_id == workspace.id, UpdateImage.asset_id == asset_id).exists())
    return db.session.execute(select(MediaAsset).where(MediaAsset.id == asset_id, MediaAsset.workspace_id == workspace.id,
                                                       shown)).scalar_one_or_none()


def published_storefronts() -> list[tuple[str, datetime]]:
    """(slug, last changed) of every published storefront, for the sitemap."""
    return [(slug, changed) for slug, changed in db.session.execute(
        select(Workspace.slug, Storefront.changed_at).join(Storefront, Storefront.workspace_id == Workspace.id)
        .where(Storefront.published_at.is_not(None)).order_by(Workspace.slug))]
