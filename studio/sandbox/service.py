"""The sandbox platform's rules: accounts, faults, posts, chunked media and numbers that grow."""
import random
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from studio.database import utcnow
from studio.extensions import db
from studio.sandbox.models import (
    SandboxAccount,
    SandboxFaults,
    SandboxMedia,
    SandboxPost,
    SandboxToken,
)

MEDIA_KINDS = {"image": ("image/jpeg", "image/png", "image/webp"), "video": ("video/mp4", "video/quicktime", "video/webm")}
MAX_PART_BYTES = 8 * 1024 * 1024


class SandboxError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


# ---- accounts ----------------------------------------------------------------------------------


def account_for_handle(handle, display_name, user):
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


def may_operate(user, config):
    """Who may switch faults and revoke every token: anyone in development; in production only
    the addresses listed in SANDBOX_OPERATORS."""
    if config["STUDIO_ENV"] != "production":
        return True
    operators = {email.strip().lower() for email in config.get("SANDBOX_OPERATORS", "").split(",") if email.strip()}
    return user.email in operators


def account_stats(account):
    """Followers and reach grow steadily with the account's age and its posts."""
    hours = max(0.0, (utcnow() - account.created_at).total_seconds() / 3600)
    posts = db.session.execute(select(func.count()).where(SandboxPost.account_id == account.id)).scalar_one()
    followers = 120 + int(hours * 4) + posts * 9
    return {
        "followers": followers,
        "following": 80 + posts,
        "posts": posts,
        "reach": followers * 3 + int(hours * 11),
        "impressions": followers * 5 + int(hours * 17),
        "engagement_rate": round(3.5 + (posts % 7) * 0.3, 2),
    }


def post_metrics(post):
    minutes = max(0.0, (utcnow() - post.created_at).total_seconds() / 60)
    views = int(minutes * 9) + len(post.text) % 13
    return {"views": views, "likes": views // 11, "comments": views // 57, "shares": views // 83, "saves": views // 97}


# ---- faults ------------------------------------------------------------------------------------


def faults():
    row = db.session.get(SandboxFaults, 1)
    if row is None:
        row = SandboxFaults(id=1)
        db.session.add(row)
        db.session.commit()
    return row


def set_faults(error_rate, rate_limit_rate, retry_after_seconds, latency_ms):
    row = faults()
    row.error_rate = error_rate
    row.rate_limit_rate = rate_limit_rate
    row.retry_after_seconds = retry_after_seconds
    row.latency_ms = latency_ms
    db.session.commit()
    return row


def fault_to_inject():
    """None, or (status, headers, message) for the fault this request should suffer."""
    row = faults()
    if row.latency_ms:
        time.sleep(row.latency_ms / 1000)
    roll = random.random()
    if roll < row.error_rate:
        return 503, {}, "The sandbox is having a bad moment (injected error)."
    if roll < row.error_rate + row.rate_limit_rate:
        return 429, {"Retry-After": str(row.retry_after_seconds)}, "Too many requests (injected rate limit)."
    return None


def issue_tokens(account, lifetime, client_id, scope="profile publish metrics"):
    """Tokens for an account without the consent dance (demo data and tests); hashes only are kept."""
    import secrets

    from studio.sandbox.models import token_hash

    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.session.add(SandboxToken(client_id=client_id, account=account, scope=scope, access_token_hash=token_hash(access),
                                refresh_token_hash=token_hash(refresh), expires_in=int(lifetime.total_seconds())))
    return access, refresh


def revoke_all_tokens():
    result = db.session.execute(
        update(SandboxToken).where(SandboxToken.access_revoked.is_(False) | SandboxToken.refresh_revoked.is_(False))
        .values(access_revoked=True, refresh_revoked=True)
    )
    db.session.commit()
    return result.rowcount


# ---- media and posts ---------------------------------------------------------------------------


def media_folder():
    folder = Path(current_app.instance_path) / "sandbox-media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start_upload(account, kind, mime_type, total_bytes):
    if kind not in MEDIA_KINDS or mime_type not in MEDIA_KINDS[kind]:
        raise SandboxError(f"Unsupported media: {kind} {mime_type}.")
    if not 0 < total_bytes <= 512 * 1024 * 1024:
        raise SandboxError("total_bytes must be between 1 byte and 512 MB.")
    media = SandboxMedia(account_id=account.id, kind=kind, mime_type=mime_type, total_bytes=total_bytes)
    db.session.add(media)
    db.session.commit()
    return media


def own_media(account, media_id):
    media = db.session.get(SandboxMedia, media_id)
    if media is None or media.account_id != account.id:
        raise SandboxError("No such media.", 404)
    return media


def append_part(media, part_number, data):
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


def finalize_upload(media):
    if media.received_bytes != media.total_bytes:
        raise SandboxError(f"Received {media.received_bytes} of {media.total_bytes} bytes.", 409)
    media.status = "ready"
    db.session.commit()
    return media


def create_post(account, text, media_ids, client_reference=None):
    """A new post; with a client_reference already used, the existing post (no duplicate)."""
    if client_reference:
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
    post = SandboxPost(account_id=account.id, text=text, media_ids=list(media_ids), client_reference=client_reference)
    db.session.add(post)
    try:
        db.session.commit()
    except IntegrityError:  # the same reference arrived twice at once: the first one stands
        db.session.rollback()
        return find_post_by_reference(account, client_reference)
    return post


def find_post_by_reference(account, client_reference):
    return db.session.execute(
        select(SandboxPost).where(SandboxPost.account_id == account.id, SandboxPost.client_reference == client_reference)
    ).scalar_one_or_none()


def recent_posts(limit=20):
    from sqlalchemy.orm import joinedload

    return db.session.execute(
        select(SandboxPost).options(joinedload(SandboxPost.account)).order_by(SandboxPost.id.desc()).limit(limit)
    ).scalars().all()


def accounts():
    return db.session.execute(select(SandboxAccount).order_by(SandboxAccount.handle)).scalars().all()
