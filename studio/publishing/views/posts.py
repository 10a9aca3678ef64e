"""Compose, preflight and the options of each account; the posts list and a post's page, with the
buttons that change a post (edit, move, cancel, retry, duplicate)."""
from datetime import datetime

from flask import abort, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from studio.analytics import sync as metrics
from studio.content import approvals, history
from studio.content import comments as content_comments
from studio.content.forms import ChangesForm, CommentForm
from studio.content.models import EditAction
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.platforms import all_platforms, get_platform
from studio.platforms.limits import (
    CAPTION_LIMITS,
    MAX_HASHTAGS,
    MEDIA_COUNT,
    MEDIA_RULES,
    describe_seconds,
)
from studio.publishing import recurrence, service
from studio.publishing.forms import ComposeForm, EditForm, RescheduleForm, VersionForm
from studio.publishing.models import (
    Delivery,
    Post,
    PostMedia,
    PublishedPost,
)
from studio.publishing.views.blueprint import bp, viewer_zone
from studio.refusal import Refused
from studio.security.access import requires_role, scoped_get_or_404
from studio.web import (
    go_to,
    page,
    partial,
    refusals_onto,
    render_error,
    safe_next_url,
    show_refusal,
    wants_fragment,
)

# What a post's page shows of the post, loaded with it (also when its live poll redraws it).
POST_PAGE_LOADS = (
    selectinload(Post.deliveries).selectinload(Delivery.attempts),
    selectinload(Post.deliveries).joinedload(Delivery.connection),
    selectinload(Post.media).joinedload(PostMedia.asset),
)


def content_context(post):
    """What a post's page shows of its approval and comments (studio.content)."""
    return {"thread": content_comments.thread_of(post, True), "changes_form": ChangesForm(formdata=None, prefix="changes"),
            "comment_form": CommentForm(formdata=None, internal=post.client_id is not None)}


# ---- compose -----------------------------------------------------------------------------------


def compose_form():
    form = ComposeForm(zone=viewer_zone())
    if g.workspace.approval_mode != "none":  # nothing goes out before it is approved
        form.when.choices = [SelectChoice("schedule", "Submit for approval (scheduled once approved)"),
                             SelectChoice("draft", "Save as draft")]
    connections = service.workspace_connections(g.workspace)
    assets = db.session.execute(
        select(MediaAsset).where(MediaAsset.workspace_id == g.workspace.id, MediaAsset.status == "ready")
        .order_by(MediaAsset.created_at.desc()).limit(60)
    ).scalars().all()
    form.connections.choices = [SelectChoice(c.id, f"{c.display_name or c.username} · {c.platform} @{c.username}"
                                             + ("" if c.status == "active" else " · needs reconnecting"))
                                for c in connections]
    form.media.choices = [SelectChoice(a.id, f"{a.title} ({a.kind}{', ' + a.aspect_ratio if a.aspect_ratio else ''})")
                          for a in assets]
    return form, connections


def overrides_from(form_data, connection_ids):
    return {str(i): form_data.get(f"override-{i}", "") for i in connection_ids}


def chosen(form):
    connections = service.workspace_connections(g.workspace, form.connections.data or [])
    assets = service.workspace_assets(g.workspace, form.media.data or [])
    return connections, assets


def option_fields(picked):
    """[(connection, [Option])] for the accounts chosen, in the composer's order."""
    return [(connection, service.offered_options(connection)) for connection in picked]


COMPOSER_FIELDS = ("message", "media", "connections")  # the form's own; the rest are per account


def attach_problems(form, report, field_errors):
    """Put each problem next to the field it is about: the message, the media, the accounts (on the
    form, named by account), or an account's own text or one of its options (in `field_errors`)."""
    for connection, problems in report:
        for problem in problems:
            if problem.field in COMPOSER_FIELDS:
                label = f"{get_platform(connection.platform).name} @{connection.username}: {problem}"
                show_refusal(form, Refused(label, problem.field))
            else:
                field_errors.setdefault(problem.field, []).append(str(problem))


@bp.route("/posts/new", methods=["GET", "POST"])
@requires_role("editor")
def compose():
    form, connections = compose_form()
    report, field_errors, picked = [], {}, []
    if request.method == "POST":
        valid = form.validate_on_submit()  # the platforms' problems are shown with the form's own
        picked, assets = chosen(form)
        overrides = overrides_from(request.form, [c.id for c in picked])
        options = service.chosen_options(request.form, picked)
        report = service.preflight(g.workspace, form.message.data or "", overrides, picked, assets, options)
        blocking = [problem for _, problems in report for problem in problems]
        if valid and (not blocking or form.when.data == "draft"):
            local = datetime.combine(form.date.data, form.time.data) if form.date.data and form.time.data else None
            repeat = (form.repeat.data, form.weekdays.data, form.cron.data or "", form.until.data, form.count.data)
            with refusals_onto(form):
                post = service.create_post(g.workspace, current_user, form.message.data, overrides, picked, assets,
                                           form.when.data, local, viewer_zone(), repeat=repeat, options=options,
                                           showcase=form.showcase.data)
                history.record(post, EditAction.CREATED, current_user, new=post.message)
                db.session.commit()
                if post.approval == "not_submitted" and form.when.data == "schedule":
                    approvals.submit(post, current_user)
                    flash("Submitted for approval; it is scheduled for its time once approved.", "success")
                else:
                    flash({"now": "Publishing now.", "draft": "Draft saved."}.get(form.when.data, "Scheduled."), "success")
                return go_to(url_for("posts.detail", post_id=post.id))
        attach_problems(form, report, field_errors)
    status = 422 if request.method == "POST" else 200
    return page("posts/compose.html", status=status, form=form, connections=connections, report=report,
                overrides=request.form if request.method == "POST" else {}, option_sets=option_fields(picked),
                values=request.form, field_errors=field_errors)


@bp.post("/posts/preflight")
@requires_role("editor")
def preflight():
    """Live checks while composing: counters and what each platform would refuse."""
    form, _ = compose_form()
    form.validate()
    picked, assets = chosen(form)
    report = service.preflight(g.workspace, form.message.data or "", overrides_from(request.form, [c.id for c in picked]),
                               picked, assets, service.chosen_options(request.form, picked))
    return partial("posts/_preflight.html", report=report, message=form.message.data or "")


@bp.get("/posts/rules")
def rules():
    """What each platform accepts: the same table the composer and the adapters use."""
    platforms = [platform for platform in all_platforms() if platform.key != "sandbox"]
    return page("posts/rules.html", platforms=platforms, captions=CAPTION_LIMITS, hashtags=MAX_HASHTAGS,
                counts=MEDIA_COUNT, media=MEDIA_RULES, describe_seconds=describe_seconds)


@bp.post("/posts/options")
@requires_role("editor")
def options():
    """The chosen accounts' platform options, re-drawn when the choice of accounts changes."""
    form, _ = compose_form()
    form.validate()
    picked, _ = chosen(form)
    return partial("posts/_options.html", option_sets=option_fields(picked), values=request.form, field_errors={})


# ---- lists and the post page -------------------------------------------------------------------


@bp.get("/posts")
def index():
    upcoming = db.session.execute(
        select(Post).where(Post.workspace_id == g.workspace.id, Post.status.in_(("scheduled", "publishing")))
        .order_by(Post.scheduled_at).limit(50).options(selectinload(Post.deliveries))
    ).scalars().all()
    recent = db.session.execute(
        select(Post).where(Post.workspace_id == g.workspace.id,
                           Post.status.in_(("published", "partially_failed", "failed", "cancelled", "missed", "draft")))
        .order_by(Post.updated_at.desc()).limit(30).options(selectinload(Post.deliveries))
    ).scalars().all()
    return page("posts/index.html", upcoming=upcoming, recent=recent, attention=service.needing_attention(g.workspace),
                zone=viewer_zone())


@bp.get("/posts/<int:post_id>")
def detail(post_id):
    post = scoped_get_or_404(Post, post_id, *POST_PAGE_LOADS)
    local = service.local_time(post.scheduled_at, viewer_zone())
    form = RescheduleForm(formdata=None, version=post.version, date=local.date() if local else None,
                          time=local.time().replace(second=0, microsecond=0) if local else None)
    edit = EditForm(formdata=None, version=post.version, message=post.message)
    series = db.session.get(Post, post.series_id) if post.series_id else (post if post.recurrence else None)
    upcoming = recurrence.future_unstarted(series)[:10] if series else []
    live = {item.delivery_id: item for item in db.session.execute(
        select(PublishedPost).where(PublishedPost.delivery_id.in_([d.id for d in post.deliveries]))).scalars()}
    return page("posts/detail.html", post=post, form=form, edit=edit, zone=viewer_zone(), series=series,
                upcoming=upcoming, live=live, **content_context(post))


@bp.post("/posts/<int:post_id>/edit")
@requires_role("editor")
def edit(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = EditForm()
    if form.validate_on_submit():
        picked = [d.connection for d in post.deliveries if d.connection is not None]
        overrides = {str(c.id): post.overrides.get(str(c.id), "") for c in picked}
        problems = [p for _, found in service.preflight(g.workspace, form.message.data, overrides, picked,
                                                        [m.asset for m in post.media]) for p in found]
        for problem in problems:
            show_refusal(form, Refused(problem, "message"))
        if not problems:
            with refusals_onto():
                was = post.approval
                history.edit_post(post, int(form.version.data), form.message.data, current_user, form.reason.data or "")
                back = post.approval != was and post.approval == "pending_team"
                flash("Saved; it goes back to the team for approval." if back else "Saved.", "success")
            return go_to(url_for("posts.detail", post_id=post.id))
    return page("posts/detail.html", status=422, post=post, form=RescheduleForm(formdata=None, version=post.version),
                edit=form, zone=viewer_zone(), series=None, upcoming=[], live={}, **content_context(post))


@bp.post("/posts/<int:post_id>/series")
@requires_role("editor")
def edit_series(post_id):
    """Edit every occurrence still to come, or stop the series."""
    series = scoped_get_or_404(Post, post_id)
    if not series.recurrence:
        abort(404)
    if request.form.get("action") == "stop":
        recurrence.stop(series)
        flash("The series is stopped; occurrences still to come are cancelled.", "success")
    else:
        form = EditForm()
        if form.validate_on_submit():
            changed = recurrence.update_future(series, form.message.data)
            flash(f"Updated {changed} occurrence{'s' if changed != 1 else ''} still to come.", "success")
    return go_to(url_for("posts.detail", post_id=series.id))


@bp.post("/posts/<int:post_id>/metrics")
@requires_role("editor")
def refresh_metrics(post_id):
    post = scoped_get_or_404(Post, post_id)
    live = db.session.execute(select(PublishedPost).where(PublishedPost.delivery_id.in_([d.id for d in post.deliveries]))).scalars().all()
    metrics.sync(live)
    flash("Numbers refreshed.", "success")
    return go_to(url_for("posts.detail", post_id=post.id))


@bp.post("/posts/<int:post_id>/duplicate")
@requires_role("editor")
def duplicate(post_id):
    copy = service.duplicate(scoped_get_or_404(Post, post_id), current_user)
    flash("A copy was saved as a draft.", "success")
    return go_to(url_for("posts.detail", post_id=copy.id))


@bp.post("/posts/<int:post_id>/reschedule")
@requires_role("editor")
def reschedule(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = RescheduleForm(zone=viewer_zone())
    if not form.validate_on_submit():
        if wants_fragment():  # dropped on a calendar day: the post stays where it was, with the reason
            return render_error(422, " ".join(error for errors in form.errors.values() for error in errors))
        return page("posts/detail.html", status=422, post=post, form=form, zone=viewer_zone(), series=None,
                    upcoming=[], live={}, edit=EditForm(formdata=None, version=post.version, message=post.message),
                    **content_context(post))
    with refusals_onto():
        post = service.schedule(post, int(form.version.data), datetime.combine(form.date.data, form.time.data), viewer_zone())
        flash("Rescheduled." if post.cleared_for_publishing else
              "Time saved: it is scheduled for then once it is approved.", "success")
    return back_to(post.id)


@bp.post("/posts/<int:post_id>/cancel")
@requires_role("editor")
def cancel(post_id):
    post = scoped_get_or_404(Post, post_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals_onto():
        started = service.cancel(post, int(form.version.data))
        if started:
            names = ", ".join(f"@{d.connection.username}" for d in started if d.connection)
            flash(f"Cancelled what had not started. Publishing to {names} was already under way.", "warning")
        else:
            flash("Cancelled.", "success")
    return go_to(url_for("posts.detail", post_id=post.id))


@bp.post("/deliveries/<int:delivery_id>/retry")
@requires_role("editor")
def retry(delivery_id):
    delivery = scoped_get_or_404(Delivery, delivery_id)
    with refusals_onto():
        service.retry(delivery)
        flash("Trying again now.", "success")
    return back_to(delivery.post_id)


def back_to(post_id):
    """Where a button on a list or the calendar came from (its `back` field), else the post's page."""
    return go_to(safe_next_url(request.form.get("back"), url_for("posts.detail", post_id=post_id)))
