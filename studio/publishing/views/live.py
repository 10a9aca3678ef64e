"""Pages that keep themselves current while posts publish."""
import hashlib
import json
from typing import NamedTuple

from flask import Response, g, request
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy import select

from studio.extensions import db
from studio.publishing.models import (
    Post,
)
from studio.publishing.status import derive_status
from studio.publishing.views.blueprint import bp
from studio.publishing.views.calendar import month
from studio.publishing.views.posts import detail, index
from studio.security.access import scoped_get_or_404

# ---- pages that keep themselves current while posts publish ------------------------------------
# A post's page, the posts list and the calendar poll while a post on them can still change on its
# own (scheduled or publishing). Each poll sends what the page last showed as a short fingerprint:
# unchanged answers 204 (htmx swaps nothing) after the same two queries every time; changed answers
# the page's block, drawn by the page's own view, whose poller is gone once everything is final.

LIVE_POLL_SECONDS = 3
WATCHED_STATUSES = ("scheduled", "publishing")
WATCH_LIMIT = 500  # posts one list or calendar poll watches at most
@bp.record_once
def share_live_poll_seconds(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["live_poll_seconds"] = LIVE_POLL_SECONDS


def fingerprint(parts):
    """A short hash of what a poller has seen. Statuses hash as their values (JSON), so a status
    read from the database and one just set as a string give the same fingerprint."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


class PostState(NamedTuple):
    status: str  # derived from the deliveries: "publishing" as soon as a worker has claimed one
    changeable: bool  # the text and the time can still be changed (nothing has started)
    cancellable: bool  # something is left to cancel
    seen: str | None  # the fingerprint a poll compares; None once nothing can change on its own


@bp.app_template_global()
def post_state(post):
    deliveries = post.deliveries
    status = derive_status(post)
    started = any(d.attempt_count or d.status not in ("pending", "cancelled", "missed") for d in deliveries)
    changeable = status in ("draft", "scheduled", "missed") and not started
    cancellable = changeable or (status == "publishing" and any(d.status in ("pending", "missed") for d in deliveries))
    seen = None
    if status in WATCHED_STATUSES or post.approval in ("pending_team", "pending_client"):
        seen = fingerprint((post.status, post.version, post.approval, [(d.id, d.status, d.attempt_count, d.next_attempt_at,
                                                         d.platform_url, d.last_error) for d in deliveries]))
    return PostState(status, changeable, cancellable, seen)


@bp.app_template_global()
def posts_watch(posts):
    """The posts of a list or calendar that can still change on their own, and their fingerprint:
    {"posts": "3,7", "seen": "…"}, or None when there is nothing to watch."""
    watched = sorted((post for post in posts if post.status in WATCHED_STATUSES), key=lambda post: post.id)[:WATCH_LIMIT]
    if not watched:
        return None
    return {"posts": ",".join(str(post.id) for post in watched), "seen": rows_fingerprint(watched)}


def rows_fingerprint(posts):
    """fingerprint() of the rows' ids, statuses and versions, written out plainly: a calendar
    watches a hundred of them on each view."""
    seen = ";".join([f"{post.id}:{post.status}:{post.version}" for post in posts])
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def unchanged_rows():
    """True when the posts a list or calendar watches still look as it showed them (one query)."""
    ids = [int(part) for part in request.args.get("posts", "").split(",") if part.isdigit()][:WATCH_LIMIT]
    posts = db.session.execute(select(Post.id, Post.status, Post.version)
                               .where(Post.workspace_id == g.workspace.id, Post.id.in_(ids)).order_by(Post.id)).all()
    return len(posts) == len(ids) and rows_fingerprint(posts) == request.args.get("seen")


def nothing_new():
    return Response(status=204)


@bp.get("/posts/<int:post_id>/live")
def live_detail(post_id):
    """The post page's poll: 204 while nothing changed, else the page's block drawn anew."""
    post = scoped_get_or_404(Post, post_id)
    seen = post_state(post).seen
    if seen is not None and seen == request.args.get("seen"):
        return nothing_new()
    db.session.expire_all()  # drawn afresh, with everything the page shows loaded at once
    return detail(post_id)


@bp.get("/posts/live")
def live_index():
    return nothing_new() if unchanged_rows() else index()


@bp.get("/calendar/live")
def live_month():
    return nothing_new() if unchanged_rows() else month()
