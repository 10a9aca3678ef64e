"""The rules of the media library: taking an upload in, probing it in the background, listing,
renaming, deleting, and serving files through authorised, expiring links."""
import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Row, Select, and_, bindparam, func, or_, select, update

from studio.accounts.models import User, Workspace
from studio.billing import service as billing
from studio.billing.models import UsageCounter
from studio.billing.service import Counted
from studio.database import changed_rows, containing, utcnow
from studio.extensions import db
from studio.library import probe
from studio.library.models import MediaAsset, MediaStatus
from studio.library.storage import LocalStorage, StorageError, storage
from studio.refusal import Refused
from studio.urls import external_url

CHUNK = 1024 * 1024
CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Sort:
    """An order of the grid: a key (then the id, the same way) that the next page continues from.

    `parse` reads a cursor's key back from its text; `nullable` keys (duration: images have none)
    come last, whichever way the key runs."""

    key: Any
    descending: bool
    parse: Callable[[str], Any]
    nullable: bool = False


def bounded(number: int) -> int:
    """An integer a database column can hold (a cursor is typed by anyone)."""
    if abs(number) >= 2 ** 63:
        raise ValueError("out of range")
    return number


SORTS: dict[str, Sort] = {
    "newest": Sort(MediaAsset.created_at, True, datetime.fromisoformat),
    "oldest": Sort(MediaAsset.created_at, False, datetime.fromisoformat),
    "largest": Sort(MediaAsset.size_bytes, True, lambda text: bounded(int(text))),
    "longest": Sort(MediaAsset.duration_seconds, True, float, nullable=True),
    "title": Sort(func.lower(MediaAsset.title), False, str),
}


# ---- taking an upload in -----------------------------------------------------------------------


def size_limit(kind: str) -> int:
    config = current_app.config
    return config["VIDEO_MAX_BYTES"] if kind == "video" else config["IMAGE_MAX_BYTES"]


def describe_bytes(count: int) -> str:
    if count >= 1024 ** 3:
        return f"{count / 1024 ** 3:.1f} GB"
    if count >= 1024 ** 2:
        return f"{count / 1024 ** 2:.0f} MB"
    return f"{count / 1024:.0f} KB"


def title_from(filename: str | None) -> str:
    stem = Path(filename or "").stem
    return re.sub(r"[_\-]+", " ", stem).strip()[:200] or "Untitled"


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ingest(workspace: Workspace, user: User, path: str | Path, filename: str | None) -> tuple[MediaAsset, bool]:
    """Check an uploaded file (already on disk at `path`) and add it to the library.

    Returns (asset, created). The same bytes uploaded again return the existing asset. Raises
    Refused, having stored nothing, when the file is not a video or image we can read."""
    name = filename or "file"
    with open(path, "rb") as file:
        head = file.read(64)
    found = probe.sniff(head)
    if found is None:
        raise Refused(f"{name} is not a video or image we can read (we look at the content, not the name).")
    kind, content_type, extension = found
    size = os.path.getsize(path)
    if size > size_limit(kind):
        raise Refused(f"{name} is {describe_bytes(size)}; the limit for a {kind} is {describe_bytes(size_limit(kind))}.")
    digest = file_digest(path)
    existing = db.session.execute(
        select(MediaAsset).where(MediaAsset.workspace_id == workspace.id, MediaAsset.sha256 == digest)
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    try:
        probe.probe(path)
        probe.check_decodes(path, kind)
    except probe.ProbeError as error:
        raise Refused(f"{name}: {error}")
    key = f"{workspace.id}/{uuid.uuid4().hex}.{extension}"
    store_file(key, path)
    asset = MediaAsset(workspace_id=workspace.id, uploaded_by_id=user.id, kind=kind, title=title_from(filename),
                       original_filename=name[:255], content_type=content_type, storage_key=key, size_bytes=size,
                       sha256=digest, status="processing")
    db.session.add(asset)
    try:
        count_upload(workspace, size)  # refused past the plan's uploads: the stored file goes too
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage().delete(key)  # no orphan file when the row could not be written
        raise
    return asset, True


def store_file(key: str, path: str | Path) -> int:
    target = storage()
    if isinstance(target, LocalStorage):
        return target.save_path(key, path)
    with open(path, "rb") as file:
        return target.save(key, file)


def count_upload(workspace: Workspace, size: int) -> None:
    """One upload taken from the plan's allowance (OverLimit past it), and its bytes, in the
    transaction that adds the asset: both are kept, or neither."""
    now = utcnow()
    billing.take(workspace, Counted.UPLOADS, now=now, commit=False)
    billing.add_bytes(workspace, size, now)


USAGE = select(UsageCounter.uploads, UsageCounter.bytes_uploaded).where(
    UsageCounter.workspace_id == bindparam("workspace_id"), UsageCounter.period_start == bindparam("period"))


def usage(workspace: Workspace) -> Row[int, int] | None:
    """What the workspace uploaded this month (the plan's period): files and bytes."""
    values = {"workspace_id": workspace.id, "period": billing.period_start()}
    return db.session.execute(USAGE, values).first()


# ---- background processing ---------------------------------------------------------------------


def claim(asset_id: int) -> bool:
    """Take an asset for processing; False when another worker has it (atomic on any database)."""
    now = utcnow()
    result = db.session.execute(
        update(MediaAsset)
        .where(MediaAsset.id == asset_id, MediaAsset.status == "processing",
               or_(MediaAsset.processing_started_at.is_(None), MediaAsset.processing_started_at < now - CLAIM_TIMEOUT))
        .values(processing_started_at=now)
    )
    db.session.commit()
    return changed_rows(result) == 1


def process(asset: MediaAsset) -> MediaAsset:
    """Probe the stored file and make its thumbnail; the asset ends ready, or failed with the reason."""
    with tempfile.TemporaryDirectory(prefix="studio-probe-") as folder:
        try:
            source = local_copy(asset, Path(folder))
            facts = probe.probe(source)
            thumbnail = Path(folder) / "thumbnail.jpg"
            probe.make_thumbnail(source, thumbnail, asset.kind, facts["duration_seconds"])
            thumbnail_key = f"{asset.workspace_id}/thumbs/{uuid.uuid4().hex}.jpg"
            store_file(thumbnail_key, thumbnail)
        except (probe.ProbeError, StorageError, OSError) as error:
            asset.status, asset.error = MediaStatus.FAILED, str(error)
            asset.processed_at = utcnow()
            db.session.commit()
            return asset
    for name, value in facts.items():
        setattr(asset, name, value)
    if asset.kind == "image":
        asset.duration_seconds = None
    asset.thumbnail_key = thumbnail_key
    asset.status, asset.error, asset.processed_at = MediaStatus.READY, None, utcnow()
    db.session.commit()
    return asset


def local_copy(asset: MediaAsset, folder: Path) -> Path:
    """A path ffmpeg can read: the file itself on local storage, else a downloaded copy."""
    assert asset.storage_key is not None  # a file is processed while it is stored
    target = storage()
    if isinstance(target, LocalStorage):
        return target.path(asset.storage_key)
    path = folder / Path(asset.storage_key).name
    with target.open(asset.storage_key) as source, open(path, "wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            out.write(chunk)
    return path


def process_pending(limit: int = 5) -> int:
    """The job: probe assets still processing, oldest first. Returns how many it finished."""
    waiting = db.session.execute(
        select(MediaAsset.id).where(MediaAsset.status == "processing").order_by(MediaAsset.id).limit(limit)
    ).scalars().all()
    done = 0
    for asset_id in waiting:
        if claim(asset_id):
            process(db.session.get_one(MediaAsset, asset_id))
            done += 1
    return done


# ---- the library -------------------------------------------------------------------------------


# What a card in the grid shows, and nothing more (no JSON, no relationships, no codecs).
CARD_COLUMNS = (MediaAsset.id, MediaAsset.title, MediaAsset.kind, MediaAsset.status, MediaAsset.duration_seconds,
                MediaAsset.aspect_ratio, MediaAsset.size_bytes, MediaAsset.thumbnail_key)


@dataclass
class Grid:
    """One page of cards: light rows (the card's columns), how many match in all (when asked for),
    and the cursor of the next page (None on the last)."""

    cards: Sequence[Row[Any]]
    total: int | None
    after: str | None


def grid(workspace: Workspace, kind: str | None = None, status: str | None = None, orientation: str | None = None,
         query: str | None = None, sort: str = "newest", after: str | None = None, per_page: int = 24,
         count: bool = True) -> Grid:
    """The library's cards in `sort` order, `per_page` at a time from the cursor `after` (keyset:
    each page costs the same however deep), in two queries (one with `count=False`)."""
    sort = sort if sort in SORTS else "newest"
    position = read_cursor(SORTS[sort], after)
    places = "none" if position is None else "no key" if position[1] is None else "key"
    counting, listing = grid_statements(sort, bool(kind), bool(status), bool(orientation), bool(query), places,
                                        per_page)
    values: dict[str, Any] = {"workspace_id": workspace.id, "kind": kind, "status": status,
                              "orientation": orientation}
    if query:
        values["pattern"] = containing(query)
    total = db.session.execute(counting, values).scalar_one() if count else None
    if position is not None:
        values["after_id"], values["after_key"] = position
    rows = db.session.execute(listing, values).all()
    cards = rows[:per_page]
    return Grid(cards=cards, total=total, after=cursor_of(cards[-1]) if len(rows) > per_page else None)


@cache
def grid_statements(sort: str, kind: bool, status: bool, orientation: bool, query: bool, after: str,
                    per_page: int) -> tuple[Select[Any], Select[Any]]:
    """The count and the cards of one shape of the grid (which filters, which sort, from where),
    built once and then run with its values: building a statement costs more than running it."""
    order = SORTS[sort]
    conditions = [MediaAsset.workspace_id == bindparam("workspace_id")]
    if kind:
        conditions.append(MediaAsset.kind == bindparam("kind"))
    if status:
        conditions.append(MediaAsset.status == bindparam("status"))
    if orientation:
        conditions.append(MediaAsset.orientation == bindparam("orientation"))
    if query:  # the pattern's own %, _ and / are escaped with /
        conditions.append(func.lower(MediaAsset.title).like(bindparam("pattern"), escape="/"))
    counting = select(func.count()).select_from(MediaAsset).where(*conditions)
    listing = select(*CARD_COLUMNS, order.key.label("sort_key")).where(*conditions)
    if after != "none":
        listing = listing.where(continues_after(order, with_key=after == "key"))
    key, ident = (order.key.desc(), MediaAsset.id.desc()) if order.descending else (order.key.asc(), MediaAsset.id.asc())
    if order.nullable:
        key = key.nulls_last()
    return counting, listing.order_by(key, ident).limit(per_page + 1)


def cursor_of(row: Row[Any]) -> str:
    """Where the next page starts: after this card (its id and sort key; a missing key is empty)."""
    value = row.sort_key
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else repr(value) \
        if isinstance(value, float) else str(value)
    return f"{row.id}~{text}"


def read_cursor(order: Sort, after: str | None) -> tuple[int, Any] | None:
    """A cursor read back as (id, key); None (the first page) when there is none or it is not one of ours."""
    ident, _, text = (after or "").partition("~")
    if not ident.isdigit() or len(ident) > 18:
        return None
    if text == "" and order.nullable:
        return int(ident), None
    try:
        value = order.parse(text)
    except ValueError:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return None
    return int(ident), value


def continues_after(order: Sort, with_key: bool) -> Any:
    """The rows after the cursor's (after_id, after_key) in the order: a later key, or the same key
    and a later id. Written `key <= k AND (key < k OR id < i)` so that an index on the key bounds
    the scan. Without a key (no duration), the cursor is among the rows that come last."""
    further = (lambda column, bound: column < bound) if order.descending else (lambda column, bound: column > bound)
    ident: Any = bindparam("after_id")
    value: Any = bindparam("after_key")
    if not with_key:
        return and_(order.key.is_(None), further(MediaAsset.id, ident))
    reached = order.key <= value if order.descending else order.key >= value
    later = and_(reached, or_(further(order.key, value), further(MediaAsset.id, ident)))
    return or_(later, order.key.is_(None)) if order.nullable else later


def rename(asset: MediaAsset, title: str) -> None:
    asset.title = title
    db.session.commit()


# The library sits below the features that put its files to use (posts), so it does not know them:
# each one, as its blueprint is registered, tells the library how to find its own uses of an asset.
AssetUses = Callable[[MediaAsset], Sequence[object]]


def register_asset_uses(app: Flask, uses: AssetUses) -> None:
    """`uses(asset)` lists what of a feature still needs the asset's file (publishing: the posts not
    yet published): the library then refuses to delete it, and zero storage keeps it."""
    app.extensions.setdefault("studio.asset_uses", []).append(uses)


def uses_of(asset: MediaAsset) -> list[object]:
    return [use for uses in current_app.extensions.get("studio.asset_uses", []) for use in uses(asset)]


def delete(asset: MediaAsset) -> None:
    uses = uses_of(asset)
    if uses:
        raise Refused(f"“{asset.title}” is used by {len(uses)} scheduled post(s); remove it from them first.")
    keys = [key for key in (asset.storage_key, asset.thumbnail_key) if key]
    db.session.delete(asset)
    db.session.commit()
    for key in keys:
        storage().delete(key)


def release_file(asset: MediaAsset) -> bool:
    """Zero storage: once every post using the asset has published, its file goes and its metadata
    (and thumbnail) stay. Nothing calls it yet: the trigger arrives with publishing (see README)."""
    if not current_app.config["ZERO_STORAGE"] or asset.storage_key is None or uses_of(asset):
        return False
    key, asset.storage_key, asset.file_deleted_at = asset.storage_key, None, utcnow()
    db.session.commit()
    storage().delete(key)
    return True


# ---- links to files ----------------------------------------------------------------------------


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="studio.media-link")


def signed_file_url(asset: MediaAsset, seconds: int | None = None) -> str:
    """An expiring URL that gives anyone the file (platforms such as Instagram fetch media by URL):
    the object store's own presigned URL, or a signed link to this app."""
    seconds = seconds or current_app.config["MEDIA_LINK_SECONDS"]
    assert asset.storage_key is not None  # a post's media are stored files (release_file is not called yet)
    direct = storage().signed_url(asset.storage_key, seconds)
    if direct:
        return direct
    return external_url("media_links.signed", token=_link_serializer().dumps({"asset": asset.id}))


def asset_for_link(token: str) -> MediaAsset | None:
    try:
        data = _link_serializer().loads(token, max_age=current_app.config["MEDIA_LINK_SECONDS"])
    except (SignatureExpired, BadSignature):
        return None
    asset = db.session.get(MediaAsset, data.get("asset"))
    return asset if asset is not None and asset.storage_key else None
