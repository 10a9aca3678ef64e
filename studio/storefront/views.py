"""The team's Storefront pages: the public page's profile and whether it is published (with a
preview), services, updates, which published videos the showcase shows, visitors' comments to hide,
and the questions visitors asked."""
from flask import abort, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from studio.extensions import db
from studio.library.models import MediaAsset
from studio.publishing.models import PublishedPost
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.storefront import inquiries, public, service
from studio.storefront.forms import SHOWCASE_KIND_LABELS, ProfileForm, ReplyForm, ServiceForm, ShowcaseForm, UpdateForm
from studio.storefront.models import Inquiry, Service, StorefrontComment, StorefrontUpdate
from studio.storefront.public_views import render_home
from studio.urls import public_base_url
from studio.web import go_to, page, refusals_onto, show_form

bp = workspace_blueprint("storefront_studio", __name__, "/storefront")


def library_images(limit: int = 60) -> list[MediaAsset]:
    return list(db.session.execute(select(MediaAsset).where(
        MediaAsset.workspace_id == g.workspace.id, MediaAsset.kind == "image", MediaAsset.status == "ready")
        .order_by(MediaAsset.created_at.desc()).limit(limit)).scalars())


def tab_context() -> dict:
    storefront = service.ensure_storefront(g.workspace)
    return {"storefront": storefront, "public_url": public_base_url() + url_for("storefront.home", slug=g.workspace.slug),
            "unread_questions": inquiries.unread_count(g.workspace)}


# ---- the page ----------------------------------------------------------------------------------


def profile_form(formdata=None) -> ProfileForm:
    storefront = service.ensure_storefront(g.workspace)
    form = ProfileForm(formdata=formdata, obj=storefront) if formdata is None else ProfileForm()
    if formdata is None:
        form.country.data = g.workspace.country or ""
        form.avatar.data = storefront.avatar_id or 0
    form.avatar.choices = [(0, "No picture")] + [(asset.id, asset.title) for asset in library_images()]
    return form


@bp.get("", endpoint="index")
def index():
    return page("storefront/studio_page.html", form=profile_form(), **tab_context())


@bp.post("")
@requires_role("editor")
def save_profile():
    form = profile_form(request.form)
    if form.validate_on_submit():
        with refusals_onto(form):
            service.save_profile(service.ensure_storefront(g.workspace), display_name=form.display_name.data,
                                 headline=form.headline.data or "", bio=form.bio.data or "", avatar_id=form.avatar.data or None,
                                 country=form.country.data, show_followers=form.show_followers.data)
            flash("Storefront saved.", "success")
            return go_to(url_for("storefront_studio.index"))
    return show_form("storefront/studio_page.html", form, **tab_context())


@bp.post("/publish")
@requires_role("admin")
def publish():
    published = request.form.get("published") == "1"
    with refusals_onto():
        service.set_published(service.ensure_storefront(g.workspace), published)
        flash("Your storefront is live." if published else "Your storefront is hidden: visitors get “not found”.", "success")
    return go_to(url_for("storefront_studio.index"))


@bp.get("/preview")
def preview():
    """The public page as visitors will see it, published or not."""
    storefront = service.ensure_storefront(g.workspace)
    return render_home(g.workspace, storefront, preview=True)


# ---- services ----------------------------------------------------------------------------------


def services_page(form: ServiceForm | None = None, editing: Service | None = None, status: int = 200):
    return page("storefront/studio_services.html", status=status, services=service.services_of(g.workspace),
                form=form or ServiceForm(formdata=None), editing=editing, **tab_context())


@bp.get("/services")
def services():
    editing = scoped_get_or_404(Service, request.args.get("edit", type=int)) if request.args.get("edit") else None
    form = None
    if editing:
        form = ServiceForm(formdata=None, obj=editing)
        form.price.data = editing.price_cents / 100
    return services_page(form, editing)


@bp.post("/services")
@requires_role("editor")
def add_service():
    return save_service(None)


@bp.post("/services/<int:service_id>")
@requires_role("editor")
def edit_service(service_id):
    return save_service(scoped_get_or_404(Service, service_id))


def save_service(item: Service | None):
    form = ServiceForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            saved = service.save_service(g.workspace, item, title=form.title.data, description=form.description.data or "",
                                         price=form.price.data, currency=form.currency.data, type_=form.type.data,
                                         active=form.active.data)
            flash(f"Saved “{saved.title}”.", "success")
            return go_to(url_for("storefront_studio.services"))
    return services_page(form, item, status=422)


@bp.post("/services/<int:service_id>/shown")
@requires_role("editor")
def toggle_service(service_id):
    item = scoped_get_or_404(Service, service_id)
    service.set_service_active(item, request.form.get("active") == "1")
    return go_to(url_for("storefront_studio.services"))


@bp.post("/services/<int:service_id>/move")
@requires_role("editor")
def move_service(service_id):
    service.move_service(g.workspace, scoped_get_or_404(Service, service_id), -1 if request.form.get("to") == "up" else 1)
    return go_to(url_for("storefront_studio.services"))


@bp.post("/services/<int:service_id>/delete")
@requires_role("editor")
def delete_service(service_id):
    item = scoped_get_or_404(Service, service_id)
    service.delete_service(item)
    flash(f"Deleted “{item.title}”.", "success")
    return go_to(url_for("storefront_studio.services"))


# ---- updates -----------------------------------------------------------------------------------


def update_form(formdata=None) -> UpdateForm:
    form = UpdateForm(formdata=formdata) if formdata is not None else UpdateForm(formdata=None)
    form.images.choices = [(asset.id, asset.title) for asset in library_images()]
    return form


@bp.get("/updates")
def updates(form: UpdateForm | None = None, status: int = 200):
    rows, images, _, more = public.updates_page(g.workspace, request.args.get("before", type=int), None)
    return page("storefront/studio_updates.html", status=status, updates=rows, images=images, more=more,
                form=form or update_form(), **tab_context())


@bp.post("/updates")
@requires_role("editor")
def post_update():
    form = update_form(request.form)
    if form.validate_on_submit():
        with refusals_onto(form):
            service.post_update(g.workspace, current_user, form.body.data, form.images.data or [])
            flash("Update posted.", "success")
            return go_to(url_for("storefront_studio.updates"))
    return updates(form, status=422)


@bp.post("/updates/<int:update_id>/delete")
@requires_role("editor")
def delete_update(update_id):
    service.delete_update(scoped_get_or_404(StorefrontUpdate, update_id))
    flash("Update deleted.", "success")
    return go_to(url_for("storefront_studio.updates"))


# ---- the showcase ------------------------------------------------------------------------------


@bp.get("/showcase")
def showcase():
    return page("storefront/studio_showcase.html", videos=service.videos_to_pick(g.workspace),
                kind_labels=SHOWCASE_KIND_LABELS, **tab_context())


@bp.post("/showcase/<int:video_id>")
@requires_role("editor")
def set_showcase(video_id):
    video = scoped_get_or_404(PublishedPost, video_id)
    form = ShowcaseForm()
    if form.validate_on_submit():
        with refusals_onto():
            service.set_showcase(video, form.shown.data, form.kind.data)
            flash("Showcase saved.", "success")
    return go_to(url_for("storefront_studio.showcase") + f"#video-{video_id}")


# ---- comments ----------------------------------------------------------------------------------


@bp.get("/comments")
def comments():
    return page("storefront/studio_comments.html", comments=service.recent_comments(g.workspace), **tab_context())


@bp.post("/comments/<int:storefront_comment_id>/hidden")
@requires_role("editor")
def hide_comment(storefront_comment_id):
    comment = scoped_get_or_404(StorefrontComment, storefront_comment_id)
    hidden = request.form.get("hidden") == "1"
    service.set_comment_hidden(comment, current_user, hidden)
    flash("Comment hidden." if hidden else "Comment shown again.", "success")
    back = request.form.get("back", "")
    return go_to(back if back.startswith("/@") else url_for("storefront_studio.comments"))


# ---- questions ---------------------------------------------------------------------------------


@bp.get("/questions")
def questions():
    return page("storefront/studio_questions.html", threads=inquiries.inquiries_of(g.workspace), **tab_context())


def the_question(inquiry_id: int) -> Inquiry:
    thread = scoped_get_or_404(Inquiry, inquiry_id)
    if thread.verified_at is None:  # not confirmed by its sender: not the team's business yet
        abort(404)
    return thread


@bp.get("/questions/<int:inquiry_id>", endpoint="inquiry")
def question(inquiry_id, form: ReplyForm | None = None, status: int = 200):
    thread = the_question(inquiry_id)
    if status == 200:
        inquiries.mark_read(thread)
    return page("storefront/studio_question.html", status=status, thread=thread, messages=inquiries.messages_of(thread),
                form=form or ReplyForm(formdata=None), **tab_context())


@bp.post("/questions/<int:inquiry_id>")
@requires_role("editor")
def answer(inquiry_id):
    thread = the_question(inquiry_id)
    form = ReplyForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            inquiries.add_message(thread, form.body.data, sender=current_user)
            flash(f"Sent to {thread.email}.", "success")
            return go_to(url_for("storefront_studio.inquiry", inquiry_id=inquiry_id) + "#latest")
    return question(inquiry_id, form, status=422)


@bp.post("/questions/<int:inquiry_id>/state")
@requires_role("editor")
def set_question_state(inquiry_id):
    thread = the_question(inquiry_id)
    inquiries.set_state(thread, "resolved" if request.form.get("state") == "resolved" else "open")
    return go_to(url_for("storefront_studio.inquiry", inquiry_id=inquiry_id))
