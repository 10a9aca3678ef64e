"""The team's content pages: requests with their versions and AI drafts, the approvals queue, a
post's approval buttons, history (with word diffs and revert) and comments, and the approval
setting."""
from flask import abort, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from studio.accounts.models import ApprovalMode, User
from studio.content import approvals, comments, drafts, history, requests
from studio.content.forms import (
    APPROVAL_MODE_LABELS,
    ApprovalModeForm,
    AssignForm,
    ChangesForm,
    CommentForm,
    DraftsForm,
    EditVersionForm,
    StaffRequestForm,
    StatusForm,
    VersionForm,
)
from studio.content.models import Comment, ContentEdit, ContentRequest, ContentVersion, RequestStatus
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.portal.models import Client
from studio.publishing.models import Post
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.web import go_to, page, refusals_onto, safe_next_url, viewer_zone

bp = workspace_blueprint("content", __name__)

STATUS_LABELS = {RequestStatus.DRAFT: "Draft", RequestStatus.IN_PROGRESS: "In progress",
                 RequestStatus.PENDING_APPROVAL: "Pending approval", RequestStatus.APPROVED: "Approved",
                 RequestStatus.REJECTED: "Changes asked", RequestStatus.DONE: "Done"}


@bp.app_context_processor
def content_labels():
    return {"request_status_labels": STATUS_LABELS, "approval_mode_labels": APPROVAL_MODE_LABELS}


# ---- requests ----------------------------------------------------------------------------------


@bp.get("/requests")
def request_list():
    shown = request.args.get("status", "open")
    if shown not in ("open", "", *RequestStatus):
        shown = "open"
    return page("content/requests.html", items=requests.requests_of(g.workspace, shown), shown=shown,
                counts=requests.counts_by_status(g.workspace), waiting=approvals.waiting_count(g.workspace))


def request_form() -> StaffRequestForm:
    form = StaffRequestForm()
    clients = db.session.execute(select(Client).where(Client.workspace_id == g.workspace.id, Client.status != "archived")
                                 .order_by(Client.name)).scalars().all()
    form.client.choices = [SelectChoice(0, "The team's own accounts")] + [SelectChoice(c.id, c.name) for c in clients]
    form.assignee.choices = assignee_choices()
    form.references.choices = reference_choices()
    return form


def assignee_choices() -> list[SelectChoice]:
    return [SelectChoice(0, "Nobody yet")] + [SelectChoice(u.id, u.name) for u in requests.team_members(g.workspace)]


def reference_choices() -> list[SelectChoice]:
    assets = db.session.execute(select(MediaAsset).where(MediaAsset.workspace_id == g.workspace.id, MediaAsset.status == "ready")
                                .order_by(MediaAsset.created_at.desc()).limit(60)).scalars().all()
    return [SelectChoice(a.id, f"{a.title} ({a.kind})") for a in assets]


@bp.route("/requests/new", methods=["GET", "POST"])
@requires_role("editor")
def new_request():
    form = request_form()
    if form.validate_on_submit():
        client = scoped_get_or_404(Client, form.client.data) if form.client.data else None
        assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
        item = requests.create_request(g.workspace, current_user, form.title.data, form.brief.data or "", form.goal.data or "",
                                       form.platforms.data or [], form.due_on.data, client, form.references.data or [])
        if assignee is not None:
            requests.assign(item, assignee, current_user)
        flash("Request saved.", "success")
        return go_to(url_for("content.request", request_id=item.id))
    return page("content/new_request.html", status=422 if form.errors else 200, form=form)


def request_page(item: ContentRequest, status: int = 200, version_form=None, drafts_form=None, comment_form=None,
                 edited=None):
    assign = AssignForm(formdata=None, assignee=item.assignee_id or 0)
    assign.assignee.choices = assignee_choices()
    status_form = StatusForm(formdata=None, status=item.status)
    status_form.status.choices = [SelectChoice(value.value, label) for value, label in STATUS_LABELS.items()]
    posts = db.session.execute(select(Post).where(Post.request_id == item.id).order_by(Post.id)).scalars().all()
    return page("content/request.html", status=status, item=item, assign=assign, status_form=status_form, posts=posts,
                version_form=version_form or VersionForm(formdata=None), drafts_form=drafts_form or DraftsForm(formdata=None),
                comment_form=comment_form or CommentForm(formdata=None, internal=item.client_id is not None),
                thread=comments.thread_of(item, True), uses_model=drafts.model_for(g.workspace) is not None,
                # Only a version sent back with a problem draws its form object; the rest are plain markup
                # (a request may carry hundreds of versions, and a form object each costs).
                edited=dict([edited]) if edited else {})


@bp.get("/requests/<int:request_id>", endpoint="request")
def request_detail(request_id):
    return request_page(scoped_get_or_404(ContentRequest, request_id, *requests.REQUEST_LOADS))


@bp.post("/requests/<int:request_id>/drafts")
@requires_role("editor")
def write_drafts(request_id):
    item = scoped_get_or_404(ContentRequest, request_id, *requests.REQUEST_LOADS)
    form = DraftsForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            made = drafts.generate(item, current_user, form.count.data)
            flash(f"The model wrote {len(made)} version{'s' if len(made) != 1 else ''}.", "success")
            return go_to(url_for("content.request", request_id=item.id, _anchor="versions"))
    return request_page(item, 422, drafts_form=form)


@bp.post("/requests/<int:request_id>/versions")
@requires_role("editor")
def add_version(request_id):
    item = scoped_get_or_404(ContentRequest, request_id, *requests.REQUEST_LOADS)
    form = VersionForm()
    if form.validate_on_submit():
        requests.add_version(item, current_user, form.text.data, (form.hashtags.data or "").split(), form.image_prompt.data or "")
        flash("Version added.", "success")
        return go_to(url_for("content.request", request_id=item.id, _anchor="versions"))
    return request_page(item, 422, version_form=form)


@bp.post("/requests/<int:request_id>/assign")
@requires_role("editor")
def assign(request_id):
    item = scoped_get_or_404(ContentRequest, request_id)
    form = AssignForm()
    form.assignee.choices = assignee_choices()
    if not form.validate_on_submit():
        abort(400)
    requests.assign(item, db.session.get(User, form.assignee.data) if form.assignee.data else None, current_user)
    flash("Assigned." if form.assignee.data else "Nobody has it now.", "success")
    return go_to(url_for("content.request", request_id=item.id))


@bp.post("/requests/<int:request_id>/status")
@requires_role("editor")
def set_status(request_id):
    item = scoped_get_or_404(ContentRequest, request_id)
    form = StatusForm()
    form.status.choices = [SelectChoice(value.value, label) for value, label in STATUS_LABELS.items()]
    if not form.validate_on_submit():
        abort(400)
    requests.set_status(item, RequestStatus(form.status.data))
    flash(f"Marked {STATUS_LABELS[RequestStatus(form.status.data)].lower()}.", "success")
    return go_to(url_for("content.request", request_id=item.id))


@bp.post("/requests/<int:request_id>/comments")
@requires_role("editor")
def comment_on_request(request_id):
    item = scoped_get_or_404(ContentRequest, request_id, *requests.REQUEST_LOADS)
    form = CommentForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            comments.add(item, current_user, form.body.data, form.internal.data, parent=parent_of(form))
            return go_to(url_for("content.request", request_id=item.id, _anchor="comments"))
    return request_page(item, 422, comment_form=form)


def parent_of(form: CommentForm) -> Comment | None:
    return scoped_get_or_404(Comment, int(form.parent_id.data)) if (form.parent_id.data or "").isdigit() else None


# ---- versions ----------------------------------------------------------------------------------


@bp.post("/versions/<int:version_id>/edit")
@requires_role("editor")
def edit_version(version_id):
    version = scoped_get_or_404(ContentVersion, version_id)
    form = EditVersionForm()
    if form.validate_on_submit():
        history.edit(version, form.text.data, current_user, form.reason.data or "")
        flash("Version saved.", "success")
        return go_to(url_for("content.request", request_id=version.request_id, _anchor=f"version-{version.id}"))
    item = scoped_get_or_404(ContentRequest, version.request_id, *requests.REQUEST_LOADS)
    return request_page(item, 422, edited=(version.id, form))


@bp.post("/versions/<int:version_id>/pick")
@requires_role("editor")
def pick(version_id):
    version = scoped_get_or_404(ContentVersion, version_id)
    with refusals_onto():
        post = requests.pick(version, current_user, timezone=viewer_zone().key)
        flash("This version is now a draft post: choose its accounts' options and its time, then submit it.", "success")
        return go_to(url_for("posts.detail", post_id=post.id))
    return go_to(url_for("content.request", request_id=version.request_id))


@bp.get("/versions/<int:version_id>/history")
def version_history(version_id):
    version = scoped_get_or_404(ContentVersion, version_id)
    return page("content/history.html", subject=version, steps=history.history_of(version), diff=history.word_diff,
                back=url_for("content.request", request_id=version.request_id, _anchor=f"version-{version.id}"),
                revert_endpoint="content.revert_version", subject_kind="version")


@bp.post("/versions/<int:version_id>/revert/<int:edit_id>")
@requires_role("editor")
def revert_version(version_id, edit_id):
    version = scoped_get_or_404(ContentVersion, version_id)
    return restore(version, edit_id, url_for("content.version_history", version_id=version.id))


def restore(subject, edit_id, history_url):
    with refusals_onto():
        history.revert(subject, scoped_get_or_404(ContentEdit, edit_id), current_user)
        flash("The earlier text is back; the revert is in the history.", "success")
    return go_to(history_url)


# ---- approvals ---------------------------------------------------------------------------------


@bp.get("/approvals")
def approval_queue():
    return page("content/approvals.html", posts=approvals.waiting_for_team(g.workspace),
                counts=requests.counts_by_status(g.workspace))


@bp.post("/approvals/bulk")
@requires_role("admin")
def bulk_approve():
    chosen = [(scoped_get_or_404(Post, i), version_seen(i)) for i in ticked_posts()]
    if not chosen:
        flash("Tick the posts to approve first.", "warning")
        return go_to(url_for("content.approval_queue"))
    done, problems = approvals.bulk_approve(chosen, current_user)
    flash(f"Approved {done} post{'s' if done != 1 else ''}.", "success")
    for problem in problems:
        flash(problem, "warning")
    return go_to(url_for("content.approval_queue"))


def ticked_posts() -> list[int]:
    return [int(i) for i in request.form.getlist("post") if i.isdigit()][:100]


def version_seen(post_id: int | None = None) -> int | None:
    """The version of the post's text the person approved (refused if it changed since)."""
    value = request.form.get(f"version-{post_id}" if post_id else "version", "")
    return int(value) if value.isdigit() else None


def back_to_post(post: Post):
    return go_to(safe_next_url(request.form.get("back"), url_for("posts.detail", post_id=post.id)))


@bp.post("/posts/<int:post_id>/submit")
@requires_role("editor")
def submit(post_id):
    post = scoped_get_or_404(Post, post_id)
    with refusals_onto():
        approvals.submit(post, current_user)
        flash("Submitted for approval.", "success")
    return back_to_post(post)


@bp.post("/posts/<int:post_id>/approve")
@requires_role("admin")
def approve(post_id):
    post = scoped_get_or_404(Post, post_id)
    with refusals_onto():
        outcome = approvals.approve_for_team(post, current_user, version_seen())
        if outcome.not_scheduled:
            flash(outcome.not_scheduled, "warning")
        else:
            flash("Approved; it now waits for the client." if outcome.approval == "pending_client" else
                  ("Approved and scheduled." if post.status == "scheduled" else "Approved."), "success")
    return back_to_post(post)


@bp.post("/posts/<int:post_id>/changes")
@requires_role("admin")
def request_changes(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = ChangesForm(prefix="changes")  # beside the edit form's own "reason" on the post's page
    if form.validate_on_submit():
        with refusals_onto():
            approvals.request_changes(post, current_user, form.reason.data)
            flash("Sent back with your note.", "success")
    else:
        for error in form.reason.errors:
            flash(error, "error")
    return back_to_post(post)


@bp.get("/posts/<int:post_id>/history")
def post_history(post_id):
    post = scoped_get_or_404(Post, post_id)
    return page("content/history.html", subject=post, steps=history.history_of(post), diff=history.word_diff,
                back=url_for("posts.detail", post_id=post.id), revert_endpoint="content.revert_post", subject_kind="post")


@bp.post("/posts/<int:post_id>/revert/<int:edit_id>")
@requires_role("editor")
def revert_post(post_id, edit_id):
    post = scoped_get_or_404(Post, post_id)
    return restore(post, edit_id, url_for("content.post_history", post_id=post.id))


@bp.post("/posts/<int:post_id>/comments")
@requires_role("editor")
def comment_on_post(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = CommentForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            comments.add(post, current_user, form.body.data, form.internal.data, parent=parent_of(form))
    for error in [*form.body.errors, *form.form_errors]:
        flash(error, "error")
    return go_to(url_for("posts.detail", post_id=post.id, _anchor="comments"))


@bp.post("/comments/<int:comment_id>/resolve")
@requires_role("editor")
def resolve(comment_id):
    comment = scoped_get_or_404(Comment, comment_id)
    comments.set_resolved(comment, current_user, request.form.get("resolved", "1") == "1")
    target = (url_for("posts.detail", post_id=comment.post_id, _anchor=f"comment-{comment.id}") if comment.post_id
              else url_for("content.request", request_id=comment.request_id, _anchor=f"comment-{comment.id}"))
    return go_to(target)


# ---- the setting -------------------------------------------------------------------------------


@bp.post("/settings/approvals")
@requires_role("admin")
def approval_mode():
    form = ApprovalModeForm()
    if form.validate_on_submit():
        approvals.set_mode(g.workspace, ApprovalMode(form.approval_mode.data))
        flash("Approvals: " + APPROVAL_MODE_LABELS[ApprovalMode(form.approval_mode.data)] + ".", "success")
    else:
        flash("Choose who approves posts.", "error")
    return go_to(url_for("workspaces.settings"))
