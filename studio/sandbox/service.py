"""The sandbox platform's rules: accounts, faults, posts, chunked media and numbers that grow."""
import math
import random
import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.sandbox.models import (
    SandboxAccount,
    SandboxCall,
    SandboxFaults,
    SandboxMedia,
    SandboxPost,
    SandboxToken,
    UploadStatus,
    token_hash,
)

if TYPE_CHECKING:
    from studio.accounts.models import User

MEDIA_KINDS = {"image": ("image/jpeg", "image/png", "image/webp"), "video": ("video/mp4", "video/quicktime", "video/webm")}
MAX_PART_BYTES = 8 * 1024 * 1024


class SandboxError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ---- accounts ----------------------------------------------------------------------------------


def account_for_handle(handle: str, display_name: str | None, user: "User") -> SandboxAccount:
    """Sign in as a sandbox account: the user's own, or a new one; someone else's is refused."""
    handle = handle.strip().lstrip("@").lower()
    account = db.session.execute(select(SandboxAccount).where(SandboxAccount.handle == handle)).scalar_one_or_none()
    if account is None:
        account = SandboxAccount(handle=handle, display_name=(display_name or "").strip() or handle, owner_user_id=user.id)
        db.session.add(account)
        db.session.commit()
    elif account.owner_user_id not in (None, user.id):
        raise SandboxError("This handle belongs to another Studio user. Choose another.", 403)
    return account


def may_operate(user: "User", config: Mapping[str, Any]) -> bool:
    """Who may switch faults and revoke every token: anyone in development; in production only
    the addresses listed in SANDBOX_OPERATORS."""
    if config["STUDIO_ENV"] != "production":
        return True
    operators = {email.strip().lower() for email in config.get("SANDBOX_OPERATORS", "").split(",") if email.strip()}
    return user.email in operators


def account_stats(account: SandboxAccount) -> dict[str, int | float]:
    """Followers and reach grow steadily with the account's age and its posts."""
    hours = max(0.0, (utcnow() - account.created_at).total_seconds() / 3600)
    posts = db.session.execute(select(func.count()).where(SandboxPost.account_id == account.id)).scalar_one()
    followers = 120 + account.starting_followers + int(hours * 4) + posts * 9
    return {
        "followers": followers,
        "following": 80 + posts,
        "posts": posts,
        "reach": followers * 3 + int(hours * 11),
        "impressions": followers * 5 + int(hours * 17),
        "engagement_rate": round(3.5 + (posts % 7) * 0.3, 2),
    }


def post_metrics(post: SandboxPost, at: datetime | None = None) -> dict[str, int]:
    """A post's numbers as of `at` (now): they climb fast on its first day and level off within the
    week, as real posts' do, towards a ceiling its text decides."""
    hours = max(0.0, ((at or utcnow()) - post.created_at).total_seconds() / 3600)
    ceiling = 4_000 + (sum(map(ord, post.text)) * 97) % 18_000
    views = int(ceiling * (1 - math.exp(-hours / 30)))
    return {"views": views, "likes": views // 11, "comments": views // 57, "shares": views // 83, "saves": views // 97}


# ---- faults ------------------------------------------------------------------------------------


def faults() -> SandboxFaults:
    """The one row of switches, made on first use (by whichever of two requests at once gets there)."""
    row = db.session.get(SandboxFaults, 1)
    if row is None:
        try:
            db.session.add(SandboxFaults(id=1))
            db.session.commit()
        except IntegrityError:  # another request made it a moment ago
            db.session.rollback()
        row = db.session.get_one(SandboxFaults, 1)
    return row


class Faults(TypedDict):
    """Every switch of SandboxFaults, as set_faults takes them."""

    error_rate: float
    rate_limit_rate: float
    retry_after_seconds: int
    latency_ms: int
    create_latency_ms: int
    media_latency_ms: int
    token_latency_ms: int
    lookup_latency_ms: int
    error_after_create_rate: float
    drop_after_create_rate: float
    no_idempotency: bool
    lookup_lag_seconds: float


FAULT_DEFAULTS: Faults = {
    "error_rate": 0.0, "rate_limit_rate": 0.0, "retry_after_seconds": 30, "latency_ms": 0,
    "create_latency_ms": 0, "media_latency_ms": 0, "token_latency_ms": 0, "lookup_latency_ms": 0,
    "error_after_create_rate": 0.0, "drop_after_create_rate": 0.0, "no_idempotency": False, "lookup_lag_seconds": 0.0,
}
LATENCY_OF_KIND = {"create": "create_latency_ms", "media": "media_latency_ms", "token": "token_latency_ms",
                   "lookup": "lookup_latency_ms"}


def set_faults(error_rate: float | None = None, rate_limit_rate: float | None = None, retry_after_seconds: int | None = None,
               latency_ms: int | None = None, *, create_latency_ms: int | None = None, media_latency_ms: int | None = None,
               token_latency_ms: int | None = None, lookup_latency_ms: int | None = None,
               error_after_create_rate: float | None = None, drop_after_create_rate: float | None = None,
               no_idempotency: bool | None = None, lookup_lag_seconds: float | None = None) -> SandboxFaults:
    """Switch the named faults; those left out (None) keep their setting. Rates are 0..1."""
    named = {key: value for key, value in locals().items() if key in FAULT_DEFAULTS and value is not None}
    row = faults()
    for key, value in named.items():
        setattr(row, key, value)
    problem = fault_problem(row)
    if problem:
        db.session.rollback()
        raise ValueError(problem)
    db.session.commit()
    return row


def reset_faults() -> SandboxFaults:
    """Every fault off: the sandbox behaves."""
    return set_faults(**FAULT_DEFAULTS)


def fault_problem(row: SandboxFaults) -> str | None:
    for key in ("error_rate", "rate_limit_rate", "error_after_create_rate", "drop_after_create_rate"):
        if not 0 <= getattr(row, key) <= 1:
            return f"{key} must be between 0 and 1."
    if row.error_rate + row.rate_limit_rate > 1:
        return "error_rate and rate_limit_rate together cannot pass 1."
    if row.error_after_create_rate + row.drop_after_create_rate > 1:
        return "error_after_create_rate and drop_after_create_rate together cannot pass 1."
    for key in ("latency_ms", *LATENCY_OF_KIND.values(), "lookup_lag_seconds"):
        if getattr(row, key) < 0:
            return f"{key} cannot be negative."
    return None


def record_call(kind: str, client_reference: str | None = None) -> SandboxCall:
    """Note a call to the token endpoint or the API (committed with the fault it suffers)."""
    call = SandboxCall(kind=kind, client_reference=client_reference)
    db.session.add(call)
    return call


def fault_to_inject(kind: str = "api", call: SandboxCall | None = None) -> tuple[int, dict[str, str], str] | None:
    """None, or (status, headers, message) for the fault this request should suffer, after the
    latency set for all calls and for this kind of call. `call`, when given, is committed with it."""
    row = faults()
    delay_ms = row.latency_ms + (getattr(row, LATENCY_OF_KIND[kind]) if kind in LATENCY_OF_KIND else 0)
    roll = random.random()
    fault: tuple[int, dict[str, str], str] | None = None
    if roll < row.error_rate:
        fault = 503, {}, "The sandbox is having a bad moment (injected error)."
    elif roll < row.error_rate + row.rate_limit_rate:
        fault = 429, {"Retry-After": str(row.retry_after_seconds)}, "Too many requests (injected rate limit)."
    if call is not None:
        call.fault = str(fault[0]) if fault else None
    db.session.commit()  # before sleeping: nothing is held while the call waits
    if call is not None and random.random() < 0.001:
        forget_old_calls()
    if delay_ms:
        time.sleep(delay_ms / 1000)
    return fault


def fault_after_create(call: SandboxCall | None = None) -> Literal["error", "drop"] | None:
    """None, "error" (answer 500) or "drop" (close the connection unanswered) for a create call
    whose post is stored: the caller cannot tell whether the post was made."""
    row = faults()
    roll = random.random()
    outcome: Literal["error", "drop"] | None = None
    if roll < row.error_after_create_rate:
        outcome = "error"
    elif roll < row.error_after_create_rate + row.drop_after_create_rate:
        outcome = "drop"
    if outcome and call is not None:
        call.fault = "500 after create" if outcome == "error" else "dropped after create"
        db.session.commit()
    return outcome


def calls(kind: str | None = None, client_reference: str | None = None) -> Sequence[SandboxCall]:
    """The calls the sandbox received, oldest first, of one kind and/or for one reference."""
    query = select(SandboxCall).order_by(SandboxCall.id)
    if kind is not None:
        query = query.where(SandboxCall.kind == kind)
    if client_reference is not None:
        query = query.where(SandboxCall.client_reference == client_reference)
    return db.session.execute(query).scalars().all()


def count_calls(kind: str | None = None, client_reference: str | None = None) -> int:
    return len(calls(kind, client_reference))


def forget_old_calls(older_than: timedelta = timedelta(days=1)) -> None:
    db.session.execute(delete(SandboxCall).where(SandboxCall.created_at < utcnow() - older_than))
    db.session.commit()


def issue_tokens(account: SandboxAccount, lifetime: timedelta, client_id: str,
                 scope: str = "profile publish metrics") -> tuple[str, str]:
    """Tokens for an account without the consent dance (demo data and tests); hashes only are kept."""
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.session.add(SandboxToken(client_id=client_id, account=account, scope=scope, access_token_hash=token_hash(access),
                                refresh_token_hash=token_hash(refresh), expires_in=int(lifetime.total_seconds())))
    return access, refresh


def revoke_all_tokens() -> int:
    revoked = changed_rows(db.session.execute(
        update(SandboxToken).where(SandboxToken.access_revoked.is_(False) | SandboxToken.refresh_revoked.is_(False))
        .values(access_revoked=True, refresh_revoked=True)
    ))
    db.session.commit()
    return revoked


# ---- media and posts ---------------------------------------------------------------------------


def media_folder() -> Path:
    folder = Path(current_app.instance_path) / "sandbox-media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start_upload(account: SandboxAccount, kind: str, mime_type: str, total_bytes: int) -> SandboxMedia:
    if kind not in MEDIA_KINDS or mime_type not in MEDIA_KINDS[kind]:
        raise SandboxError(f"Unsupported media: {kind} {mime_type}.")
    if not 0 < total_bytes <= 512 * 1024 * 1024:
        raise SandboxError("total_bytes must be between 1 byte and 512 MB.")
    media = SandboxMedia(account_id=account.id, kind=kind, mime_type=mime_type, total_bytes=total_bytes)
    db.session.add(media)
    db.session.commit()
    return media


def own_media(account: SandboxAccount, media_id: int) -> SandboxMedia:
    media = db.session.get(SandboxMedia, media_id)
    if media is None or media.account_id != account.id:
        raise SandboxError("No such media.", 404)
    return media


def append_part(media: SandboxMedia, part_number: int, data: bytes) -> SandboxMedia:
    """Parts arrive in order; a repeated part is ignored so a retried PUT is harmless."""
    if media.status != "uploading":
        raise SandboxError("This upload is already finalized.", 409)
    if part_number < media.next_part:
        return media
    if part_number > media.next_part:
        raise SandboxError(f"Expected part {media.next_part}, got {part_number}.", 409)
    if not data or len(data) > MAX_PART_BYTES:
        raise SandboxError(f"A part must hold 1 byte to {MAX_PART_BYTES} bytes.")
    if media.received_bytes + len(data) > media.total_bytes:
        raise SandboxError("More bytes than total_bytes announced.")
    with open(media_folder() / str(media.id), "ab") as file:
        file.write(data)
    media.received_bytes += len(data)
    media.next_part += 1
    db.session.commit()
    return media


def finalize_upload(media: SandboxMedia) -> SandboxMedia:
    if media.received_bytes != media.total_bytes:
        raise SandboxError(f"Received {media.received_bytes} of {media.total_bytes} bytes.", 409)
    media.status = UploadStatus.READY
    db.session.commit()
    return media


def create_post(account: SandboxAccount, text: str, media_ids: Sequence[int], client_reference: str | None = None,
                idempotent: bool | None = None) -> SandboxPost:
    """A new post; with a client_reference already used, the existing post (no duplicate) —
    unless the "no idempotency" fault is on (or idempotent=False): then a second post, as on X."""
    if idempotent is None:
        idempotent = not faults().no_idempotency
    if client_reference and idempotent:
        existing = find_post_by_reference(account, client_reference)
        if existing is not None:
            return existing
    if not text and not media_ids:
        raise SandboxError("A post needs text or media.")
    if len(text) > 5000:
        raise SandboxError("Text is limited to 5,000 characters.")
    for media_id in media_ids:
        if own_media(account, media_id).status != "ready":
            raise SandboxError(f"Media {media_id} is not finalized.", 409)
    account_id = account.id
    for _ in range(10):
        duplicate_number = 0
        if client_reference and not idempotent:
            duplicate_number = db.session.execute(
                select(func.count()).where(SandboxPost.account_id == account_id,
                                           SandboxPost.client_reference == client_reference)
            ).scalar_one()
        post = SandboxPost(account_id=account_id, text=text, media_ids=list(media_ids), client_reference=client_reference,
                           duplicate_number=duplicate_number)
        db.session.add(post)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            first = find_post_by_reference(account, client_reference) if idempotent else None
            if first is not None:  # the same reference arrived twice at once: the first one stands
                return first
            continue  # two duplicates at once took the same number: the loser takes the next
        return post
    raise SandboxError("Too many posts with this reference at once.", 409)


def find_post_by_reference(account: SandboxAccount, client_reference: str | None) -> SandboxPost | None:
    """The first post made with this reference, or None."""
    return db.session.execute(
        select(SandboxPost).where(SandboxPost.account_id == account.id, SandboxPost.client_reference == client_reference)
        .order_by(SandboxPost.id).limit(1)
    ).scalar_one_or_none()


def posts_by_reference(account: SandboxAccount, client_reference: str, lag_seconds: float = 0.0) -> Sequence[SandboxPost]:
    """What the look-up endpoint shows: every post with this reference (more than one only in
    "no idempotency" mode), leaving out those younger than lag_seconds."""
    query = select(SandboxPost).where(SandboxPost.account_id == account.id,
                                      SandboxPost.client_reference == client_reference).order_by(SandboxPost.id)
    if lag_seconds:
        query = query.where(SandboxPost.created_at <= utcnow() - timedelta(seconds=lag_seconds))
    return db.session.execute(query).scalars().all()


def recent_posts(limit: int = 20) -> Sequence[SandboxPost]:
    return db.session.execute(
        select(SandboxPost).options(joinedload(SandboxPost.account)).order_by(SandboxPost.id.desc()).limit(limit)
    ).scalars().all()


def accounts() -> Sequence[SandboxAccount]:
    return db.session.execute(select(SandboxAccount).order_by(SandboxAccount.handle)).scalars().all()
