"""What visitors with an account do on a storefront: like an update or a video (once per person,
however many clicks arrive at once) and comment on it, within rate limits that hold across
processes because they are counted in the database."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from studio.accounts.models import User
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.publishing.models import PublishedPost
from studio.refusal import Refused, TooFast
from studio.storefront.models import StorefrontComment, StorefrontLike, StorefrontUpdate
from studio.storefront.service import touch

COMMENT_LENGTH = 1000
REPEAT_WINDOW = timedelta(minutes=10)

Item = StorefrontUpdate | PublishedPost


def target_of(item: Item) -> dict[str, int]:
    """The like's or comment's column naming `item`."""
    return {"update_id": item.id} if isinstance(item, StorefrontUpdate) else {"video_id": item.id}


def check_rate(model: type[StorefrontComment], user: User, limit: int, window: timedelta, what: str) -> None:
    since = utcnow() - window
    recent = db.session.scalar(select(func.count()).select_from(model)
                               .where(model.user_id == user.id, model.created_at > since)) or 0
    refuse_over(recent, limit, window, what)


def refuse_over(done: int, limit: int, window: timedelta, what: str) -> None:
    if done >= limit:
        minutes = int(window.total_seconds() // 60)
        raise TooFast(f"You can {what} {limit} times every {minutes} minute{'s' if minutes != 1 else ''}; "
                      "please wait a little.", "body")


def check_like_rate(user: User, now: datetime, window: timedelta) -> None:
    """Likes and unlikes alike count: taking likes back and giving them again is no way around it."""
    limit = current_app.config["STOREFRONT_LIKES_PER_WINDOW"][0]
    toggled = db.session.scalar(select(func.coalesce(func.sum(StorefrontLike.toggles), 0)).where(
        StorefrontLike.user_id == user.id, StorefrontLike.window_started_at > now - window)) or 0
    refuse_over(toggled, limit, window, "like or unlike")


def set_like(item: Item, user: User, want: bool) -> tuple[bool, int]:
    """Like `item` (want=True) or take the like back; returns (liked, count). Each change is one
    conditional statement on the person's row for the item (the unique constraint makes it one row),
    so two clicks at once change it once, and only the request that changed it moves the count.

    Locks, always in this order: the person (so their clicks are counted against the rate limit
    one at a time, also across processes), the item (as deleting it does first), the like, then the
    storefront."""
    model = type(item)
    target = target_of(item)
    now = utcnow()
    window = timedelta(minutes=current_app.config["STOREFRONT_LIKES_PER_WINDOW"][1])
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    check_like_rate(user, now, window)
    if db.session.scalar(select(model.id).where(model.id == item.id).with_for_update(key_share=True)) is None:
        db.session.rollback()
        raise Refused("That is no longer on the page.")
    changed = flip(user, target, want, now, window)
    if not changed and want:
        try:
            with db.session.begin_nested():
                db.session.add(StorefrontLike(workspace_id=item.workspace_id, user_id=user.id, window_started_at=now, **target))
            changed = True
        except IntegrityError:  # already liked
            changed = False
    if changed:
        step = 1 if want else -1
        db.session.execute(update(model).where(model.id == item.id).values(like_count=model.like_count + step))
        touch(item.workspace_id)
    db.session.commit()
    return want if changed else is_liked(user, target), like_count(item)


def flip(user: User, target: dict[str, int], want: bool, now: datetime, window: timedelta) -> bool:
    """Give back a like taken back (want) or take one back (not want); True if this call changed it.
    The row counts its changes in the rate limit's window; one older than that starts a new window."""
    key = [getattr(StorefrontLike, column) == value for column, value in target.items()]
    current = StorefrontLike.window_started_at > now - window
    return bool(changed_rows(db.session.execute(
        update(StorefrontLike).where(StorefrontLike.user_id == user.id, *key,
                                     StorefrontLike.removed_at.is_not(None) if want else StorefrontLike.removed_at.is_(None))
        .values(removed_at=None if want else now, toggles=case((current, StorefrontLike.toggles + 1), else_=1),
                window_started_at=case((current, StorefrontLike.window_started_at), else_=now)))))


def is_liked(user: User, target: dict[str, int]) -> bool:
    return db.session.scalar(select(StorefrontLike.id).filter_by(user_id=user.id, removed_at=None, **target)) is not None


def like_count(item: Item) -> int:
    model = type(item)
    return db.session.scalar(select(model.like_count).where(model.id == item.id)) or 0  # 0: deleted meanwhile


def add_comment(item: Item, user: User, body: str) -> StorefrontComment:
    body = body.strip()
    if not body:
        raise Refused("Write a comment first.", "body")
    if len(body) > COMMENT_LENGTH:
        raise Refused(f"A comment can be at most {COMMENT_LENGTH} characters.", "body")
    limit, minutes = current_app.config["STOREFRONT_COMMENTS_PER_WINDOW"]
    check_rate(StorefrontComment, user, limit, timedelta(minutes=minutes), "comment")
    same = db.session.scalar(select(StorefrontComment.id).where(
        StorefrontComment.user_id == user.id, StorefrontComment.body == body,
        StorefrontComment.created_at > utcnow() - REPEAT_WINDOW).limit(1))
    if same:
        raise Refused("You posted this same comment a few minutes ago.", "body")
    comment = StorefrontComment(workspace_id=item.workspace_id, user_id=user.id, body=body, **target_of(item))
    db.session.add(comment)
    model = type(item)
    db.session.execute(update(model).where(model.id == item.id).values(comment_count=model.comment_count + 1))
    touch(item.workspace_id)
    db.session.commit()
    return comment


def liked_by(user: User | None, updates: list[int], videos: list[int]) -> set[tuple[str, int | None]]:
    """Which of these updates and videos `user` liked: {("update", id), ("video", id)}, one query."""
    if user is None or not user.is_authenticated or not (updates or videos):
        return set()
    rows = db.session.execute(select(StorefrontLike.update_id, StorefrontLike.video_id).where(
        StorefrontLike.user_id == user.id, StorefrontLike.removed_at.is_(None),
        (StorefrontLike.update_id.in_(updates or [0])) | (StorefrontLike.video_id.in_(videos or [0])))).all()
    return {("update", u) if u else ("video", v) for u, v in rows}
