"""The client's side of content: posts waiting for her approval, each with a preview per platform,
approved or sent back with a comment (one by one or ticked in bulk); and her requests for content.
Reached through the portal blueprint's client scope: another client's post or request answers 404."""
from flask import abort, flash, g, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from studio.content import approvals, comments, preview, requests
from studio.content.forms import ChangesForm, CommentForm, RequestForm
from studio.content.models import Comment, ContentRequest
from studio.content.views import ticked_posts, version_seen
from studio.extensions import db
from studio.library.views import serve
from studio.notify import service as notify
from studio.portal.views import bp
from studio.publishing.models import Approval, Delivery, Post, PostMedia
from studio.security.access import scoped_get_or_404
from studio.web import go_to, page, refusals_onto

POST_LOADS = (selectinload(Post.deliveries).joinedload(Delivery.connection),
              selectinload(Post.media).joinedload(PostMedia.asset))


def clients_post(post_id: int) -> Post:
    """One of her posts that was put in front of her (the team's drafts, and what the team sent
    back among themselves before she was asked, are not hers to see)."""
    post = scoped_get_or_404(Post, post_id, *POST_LOADS)
    if post.client_asked_at is None:
        abort(404)
    return post


@bp.get("/c/<int:client_id>/approvals")
def approvals_page(client_id):
    client = g.portal_client
    recent = db.session.execute(select(Post).where(Post.client_id == client.id, Post.approval == Approval.APPROVED,
                                                   Post.client_asked_at.is_not(None))
                                .order_by(Post.approved_at.desc()).limit(10)).scalars().all()
    waiting = approvals.waiting_for_client(client)
    return page("content/portal_approvals.html", posts=waiting, recent=recent,
                previews={post.id: preview.previews_of(post) for post in waiting})


@bp.get("/c/<int:client_id>/approvals/<int:post_id>", endpoint="approval")
def approval_page(client_id, post_id, changes_form=None, status=200):
    post = clients_post(post_id)
    notify.mark_read_about(current_user.id, g.portal_client.id, url_for("portal.approval", post_id=post.id))
    return page("content/portal_approval.html", status=status, post=post, previews=preview.previews_of(post),
                thread=comments.thread_of(post, False), comment_form=CommentForm(formdata=None),
                changes_form=changes_form or ChangesForm(formdata=None))


@bp.get("/c/<int:client_id>/approvals/<int:post_id>/media/<int:asset_id>")
def approval_media(client_id, post_id, asset_id):
    post = clients_post(post_id)
    asset = next((m.asset for m in post.media if m.asset_id == asset_id), None)
    if asset is None:
        abort(404)
    return serve(asset.thumbnail_key, "image/jpeg") if asset.thumbnail_key else serve(asset.storage_key, asset.content_type)


@bp.post("/c/<int:client_id>/approvals/<int:post_id>/approve")
def approve_post(client_id, post_id):
    post = clients_post(post_id)
    with refusals_onto():
        outcome = approvals.approve_as_client(post, current_user, version_seen())
        flash("Approved. Thank you!" + (" It is scheduled." if post.status == "scheduled" else ""), "success")
        if outcome.not_scheduled:
            flash(outcome.not_scheduled, "warning")
    return go_to(url_for("portal.approval", post_id=post.id))


@bp.post("/c/<int:client_id>/approvals/<int:post_id>/changes")
def request_post_changes(client_id, post_id):
    post = clients_post(post_id)
    form = ChangesForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            approvals.request_changes(post, current_user, form.reason.data, by_client=True)
            flash("Sent to the team with your note.", "success")
            return go_to(url_for("portal.approval", post_id=post.id))
    return approval_page(client_id, post_id, changes_form=form, status=422)


@bp.post("/c/<int:client_id>/approvals/bulk")
def bulk_approve_posts(client_id):
    chosen = [(clients_post(i), version_seen(i)) for i in ticked_posts()]
    if not chosen:
        flash("Tick the posts to approve first.", "warning")
        return go_to(url_for("portal.approvals_page"))
    done, problems = approvals.bulk_approve(chosen, current_user, as_client=True)
    flash(f"Approved {done} post{'s' if done != 1 else ''}. Thank you!", "success")
    for problem in problems:
        flash(problem, "warning")
    return go_to(url_for("portal.approvals_page"))


@bp.post("/c/<int:client_id>/approvals/<int:post_id>/comments")
def comment_on_post(client_id, post_id):
    post = clients_post(post_id)
    return add_her_comment(post, url_for("portal.approval", post_id=post.id, _anchor="comments"))


def add_her_comment(subject: Post | ContentRequest, back: str):
    """Her comment (always shared), or her answer to one of the team's shared ones; a problem is
    flashed on the page she comes back to."""
    form = CommentForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            comments.add(subject, current_user, form.body.data, by_client=True, parent=shared_parent(form))
    for error in [*form.body.errors, *form.form_errors]:
        flash(error, "error")
    return go_to(back)


def shared_parent(form: CommentForm) -> Comment | None:
    """The comment she answers: one of this workspace's shared ones (checked against the subject by
    comments.add), never an internal one."""
    if not (form.parent_id.data or "").isdigit():
        return None
    parent = db.session.get(Comment, int(form.parent_id.data))
    if parent is None or parent.internal or parent.workspace_id != g.portal_client.workspace_id:
        abort(404)
    return parent


# ---- her requests ------------------------------------------------------------------------------


@bp.get("/c/<int:client_id>/requests")
def content_requests(client_id):
    return page("content/portal_requests.html", items=requests.requests_of_client(g.portal_client))


@bp.route("/c/<int:client_id>/requests/new", methods=["GET", "POST"])
def new_content_request(client_id):
    client = g.portal_client
    form = RequestForm()
    form.references.choices = []
    if form.validate_on_submit():
        item = requests.create_request(client.workspace, current_user, form.title.data, form.brief.data or "",
                                       form.goal.data or "", form.platforms.data or [], form.due_on.data, client)
        flash("Sent to the team.", "success")
        return go_to(url_for("portal.content_request", request_id=item.id))
    return page("content/portal_new_request.html", status=422 if form.errors else 200, form=form)


@bp.get("/c/<int:client_id>/requests/<int:request_id>")
def content_request(client_id, request_id):
    item = scoped_get_or_404(ContentRequest, request_id, joinedload(ContentRequest.assignee))
    posts = db.session.execute(select(Post).where(Post.request_id == item.id, Post.client_id == item.client_id,
                                                 Post.client_asked_at.is_not(None))).scalars().all()
    return page("content/portal_request.html", item=item, posts=posts, thread=comments.thread_of(item, False),
                comment_form=CommentForm(formdata=None))


@bp.post("/c/<int:client_id>/requests/<int:request_id>/comments")
def comment_on_request(client_id, request_id):
    item = scoped_get_or_404(ContentRequest, request_id)
    return add_her_comment(item, url_for("portal.content_request", request_id=item.id, _anchor="comments"))


