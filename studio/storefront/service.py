"""The team's side of the storefront: its profile and whether it is published, services, updates,
which published videos the showcase shows, and hiding visitors' comments. Every change moves the
storefront's `changed_at`, so visitors' caches see it at once."""
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.publishing.models import PublishedPost
from studio.refusal import Refused
from studio.storefront.models import (
    Service,
    ServiceType,
    ShowcaseKind,
    Storefront,
    StorefrontComment,
    StorefrontUpdate,
    UpdateImage,
)

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "JPY", "INR", "BRL", "MXN", "ZAR")
UPDATE_IMAGES = 4  # the most images one update shows


def storefront_of(workspace: Workspace) -> Storefront | None:
    return db.session.execute(select(Storefront).where(Storefront.workspace_id == workspace.id)).scalar_one_or_none()


def ensure_storefront(workspace: Workspace) -> Storefront:
    """The workspace's storefront, made (unpublished, named after the workspace) on first use."""
    storefront = storefront_of(workspace)
    if storefront is None:
        storefront = Storefront(workspace_id=workspace.id, display_name=workspace.name)
        db.session.add(storefront)
        db.session.commit()
    return storefront


def touch(workspace_id: int) -> None:
    """Something the page shows changed: its ETag and Last-Modified move (in the caller's transaction)."""
    db.session.execute(update(Storefront).where(Storefront.workspace_id == workspace_id).values(changed_at=utcnow()))


# ---- profile -----------------------------------------------------------------------------------


def own_image(workspace: Workspace, asset_id: int | None) -> MediaAsset | None:
    """One of the workspace's ready images, or a refusal (another workspace's id is as unknown as none)."""
    if not asset_id:
        return None
    asset = db.session.execute(select(MediaAsset).where(
        MediaAsset.id == asset_id, MediaAsset.workspace_id == workspace.id)).scalar_one_or_none()
    if asset is None or asset.kind != "image" or asset.status != "ready":
        raise Refused("Choose one of the images in your library.", "avatar")
    return asset


def save_profile(storefront: Storefront, *, display_name: str, headline: str, bio: str, avatar_id: int | None,
                 country: str | None, show_followers: bool) -> None:
    workspace = storefront.workspace
    own_image(workspace, avatar_id)
    storefront.display_name, storefront.headline, storefront.bio = display_name.strip(), headline.strip(), bio.strip()
    storefront.avatar_id, storefront.show_followers = avatar_id or None, show_followers
    workspace.country = (country or "").upper() or None
    storefront.changed_at = utcnow()
    db.session.commit()


def set_published(storefront: Storefront, published: bool) -> None:
    if published and not storefront.display_name.strip():
        raise Refused("Give the page a name before publishing it.", "display_name")
    storefront.published_at = (storefront.published_at or utcnow()) if published else None
    storefront.changed_at = utcnow()
    db.session.commit()


# ---- services ----------------------------------------------------------------------------------


def services_of(workspace: Workspace, active_only: bool = False) -> list[Service]:
    query = select(Service).where(Service.workspace_id == workspace.id)
    if active_only:
        query = query.where(Service.active.is_(True))
    return list(db.session.execute(query.order_by(Service.position, Service.id)).scalars())


def to_cents(price: Decimal) -> int:
    if price < 0:
        raise Refused("A price cannot be negative.", "price")
    return int((price * 100).quantize(Decimal(1)))


def save_service(workspace: Workspace, service: Service | None, *, title: str, description: str, price: Decimal,
                 currency: str, type_: str, active: bool) -> Service:
    """Add a service (`service` None, placed last) or change one."""
    if currency not in CURRENCIES:
        raise Refused("Choose a currency from the list.", "currency")
    if service is None:
        last = db.session.scalar(select(Service.position).where(Service.workspace_id == workspace.id)
                                 .order_by(Service.position.desc()).limit(1))
        service = Service(workspace_id=workspace.id, position=(last or 0) + 1)
        db.session.add(service)
    service.title, service.description = title.strip(), description.strip()
    service.price_cents, service.currency, service.type, service.active = to_cents(price), currency, ServiceType(type_), active
    touch(workspace.id)
    db.session.commit()
    return service


def set_service_active(service: Service, active: bool) -> None:
    service.active = active
    touch(service.workspace_id)
    db.session.commit()


def move_service(workspace: Workspace, service: Service, step: int) -> None:
    """Swap the service with its neighbour above (step -1) or below (+1)."""
    ordered = services_of(workspace)
    index = next(i for i, item in enumerate(ordered) if item.id == service.id)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered, start=1):
            item.position = position
        touch(workspace.id)
        db.session.commit()


def delete_service(service: Service) -> None:
    db.session.delete(service)
    db.session.flush()
    touch(service.workspace_id)  # last: a like locks its item, then the storefront (visitors.set_like)
    db.session.commit()


# ---- updates -----------------------------------------------------------------------------------


def post_update(workspace: Workspace, author: User, body: str, image_ids: Sequence[int]) -> StorefrontUpdate:
    if not body.strip():
        raise Refused("Write something for the update.", "body")
    if len(image_ids) > UPDATE_IMAGES:
        raise Refused(f"An update shows at most {UPDATE_IMAGES} images.", "images")
    for asset_id in image_ids:
        try:
            own_image(workspace, asset_id)
        except Refused as refusal:
            raise Refused(str(refusal), "images") from None
    item = StorefrontUpdate(workspace_id=workspace.id, author_id=author.id, body=body.strip())
    db.session.add(item)
    db.session.flush()
    db.session.add_all(UpdateImage(update_id=item.id, asset_id=asset_id, position=position)
                       for position, asset_id in enumerate(dict.fromkeys(image_ids)))
    touch(workspace.id)
    db.session.commit()
    return item


def delete_update(item: StorefrontUpdate) -> None:
    db.session.delete(item)
    db.session.flush()
    touch(item.workspace_id)  # last: a like locks its item, then the storefront (visitors.set_like)
    db.session.commit()


# ---- the showcase ------------------------------------------------------------------------------


def videos_to_pick(workspace: Workspace, limit: int = 200) -> list[tuple[PublishedPost, MediaAsset | None]]:
    """The workspace's published posts that carried a video, newest first, shown or not."""
    return list(db.session.execute(
        select(PublishedPost, MediaAsset).outerjoin(MediaAsset, MediaAsset.id == PublishedPost.media_id)
        .where(PublishedPost.workspace_id == workspace.id, PublishedPost.media_id.is_not(None))
        .order_by(PublishedPost.published_at.desc(), PublishedPost.id.desc()).limit(limit)))


def set_showcase(video: PublishedPost, shown: bool, kind: str) -> None:
    if video.media_id is None:
        raise Refused("Only a published video can be in the showcase.")
    video.in_showcase, video.showcase_kind = shown, ShowcaseKind(kind).value
    touch(video.workspace_id)
    db.session.commit()


# ---- moderation --------------------------------------------------------------------------------


def set_comment_hidden(comment: StorefrontComment, staff: User, hidden: bool) -> bool:
    """Hide a visitor's comment (or show it again); the item's count follows. A conditional UPDATE,
    so two moderators hiding it at once take one off the count."""
    now = utcnow()
    done = changed_rows(db.session.execute(
        update(StorefrontComment).where(StorefrontComment.id == comment.id,
                                        StorefrontComment.hidden_at.is_(None) if hidden else StorefrontComment.hidden_at.is_not(None))
        .values(hidden_at=now if hidden else None, hidden_by_id=staff.id if hidden else None)))
    if done:
        model = StorefrontUpdate if comment.update_id else PublishedPost
        target = comment.update_id or comment.video_id
        db.session.execute(update(model).where(model.id == target)
                           .values(comment_count=model.comment_count + (-1 if hidden else 1)))
        touch(comment.workspace_id)
    db.session.commit()
    return bool(done)


def recent_comments(workspace: Workspace, limit: int = 100) -> list[StorefrontComment]:
    return list(db.session.execute(
        select(StorefrontComment).where(StorefrontComment.workspace_id == workspace.id)
        .options(joinedload(StorefrontComment.author))
        .order_by(StorefrontComment.created_at.desc(), StorefrontComment.id.desc()).limit(limit)).scalars())
