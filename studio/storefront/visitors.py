"""What visitors with an account do on a storefront: like an update or a video (once per person,
however many clicks arrive at once) and comment on it, within rate limits that hold across
processes because they are counted in the database."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
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


def check_rate(model: type[StorefrontLike] | type[StorefrontComment], user: User, limit: int, window: timedelta,
               what: str) -> None:
    since = utcnow() - window
    recent = db.session.scalar(select(func.count()).select_from(model)
                               .where(model.user_id == user.id, model.created_at > since)) or 0
    if recent >= limit:
        minutes = int(window.total_seconds() // 60)
        raise TooFast(f"You can {what} {limit} times every {minutes} minute{'s' if minutes != 1 else ''}; "
                      "please wait a little.", "body")


def set_like(item: Item, user: User, want: bool) -> tuple[bool, int]:
    """Like `item` (want=True) or take the like back; returns (liked, count). The unique constraint
    decides a race: two likes at once by one person make one row, and only the request that made
    the row adds to the count."""
    model = type(item)
    target = target_of(item)
    if not want:
        removed = changed_rows(db.session.execute(delete(StorefrontLike).filter_by(user_id=user.id, **target)))
        if removed:
            db.session.execute(update(model).where(model.id == item.id).values(like_count=model.like_count - 1))
            touch(item.workspace_id)
        db.session.commit()
        return False, like_count(item)
    limit, minutes = current_app.config["STOREFRONT_LIKES_PER_WINDOW"]
    check_rate(StorefrontLike, user, limit, timedelta(minutes=minutes), "like")
    try:
        with db.session.begin_nested():
            db.session.add(StorefrontLike(workspace_id=item.workspace_id, user_id=user.id, **target))
    except IntegrityError:  # already liked, perhaps by this person's other click just now
        db.session.rollback()
        return True, like_count(item)
    db.session.execute(update(model).where(model.id == item.id).values(like_count=model.like_count + 1))
    touch(item.workspace_id)
    db.session.commit()
    return True, like_count(item)


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
        StorefrontLike.user_id == user.id,
        (StorefrontLike.update_id.in_(updates or [0])) | (StorefrontLike.video_id.in_(videos or [0])))).all()
    return {("update", u) if u else ("video", v) for u, v in rows}
