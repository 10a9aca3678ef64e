"""The media library: upload with progress, a filtered grid that pages as you scroll, details."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    request,
    url_for,
)
from flask_login import current_user

from studio.library import service
from studio.library.forms import RenameForm
from studio.library.models import MediaAsset
from studio.library.serving import serve
from studio.platforms.limits import fit_for
from studio.refusal import Refused
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.web import go_to, htmx, page, partial, refusals_onto, wants_fragment

bp = workspace_blueprint("library", __name__, url_prefix="/library")
links = Blueprint("media_links", __name__)

FILTERS = {"kind": ("video", "image"), "status": ("processing", "ready", "failed"),
           "orientation": ("vertical", "horizontal", "square"), "sort": tuple(service.SORTS)}


def chosen_filters():
    chosen = {name: request.args.get(name, "") for name in FILTERS}
    chosen = {name: value for name, value in chosen.items() if value in FILTERS[name]}
    query = request.args.get("q", "").strip()[:100]
    if query:
        chosen["q"] = query
    return chosen


def library_page(block="content", status=200, messages=()):
    """The library (or its grid, or only the next cards) from the cursor in `?after=`."""
    filters = chosen_filters()
    more_cards = block == "cards"  # the next page, appended: no total, no usage to refresh
    grid = service.grid(g.workspace, kind=filters.get("kind"), status=filters.get("status"),
                        orientation=filters.get("orientation"), query=filters.get("q"),
                        sort=filters.get("sort", "newest"), after=request.args.get("after"), count=not more_cards)
    return page("library/index.html", block=block, status=status, grid=grid, filters=filters, messages=messages,
                usage=None if more_cards else service.usage(g.workspace), choices=FILTERS,
                library_url=url_for("library.index"))


@bp.get("/")
def index():
    # Filter changes and "load more" swap only the grid, or only the next page of cards.
    if wants_fragment() and htmx.target == "library-grid":
        return library_page(block="grid")
    if wants_fragment() and request.args.get("after"):
        return library_page(block="cards")
    return library_page()


@bp.post("/upload")
@requires_role("editor")
def upload():
    files = [file for file in request.files.getlist("files") if file and file.filename]
    if not files:
        return library_page(block="grid", status=422, messages=[("error", "Choose one or more videos or images to upload.")])
    messages = []
    for file in files:
        try:
            asset, created = service.ingest(g.workspace, current_user, file.stream.name, file.filename)
        except Refused as refusal:  # one file refused does not stop the others
            messages.append(("error", str(refusal)))
            continue
        finally:
            file.close()
        if created:
            messages.append(("success", f"{file.filename} is uploaded and being processed."))
        else:
            messages.append(("info", f"{file.filename} is already in the library as “{asset.title}”."))
    status = 422 if all(kind == "error" for kind, _ in messages) else 200
    if wants_fragment():
        return library_page(block="grid", status=status, messages=messages)
    for category, message in messages:
        flash(message, category)
    return go_to(url_for("library.index"))


@bp.get("/<int:asset_id>")
def detail(asset_id):
    asset = scoped_get_or_404(MediaAsset, asset_id)
    return detail_page(asset, RenameForm(formdata=None, title=asset.title))


def detail_page(asset, form, status=200):
    return page("library/detail.html", status=status, asset=asset, form=form,
                fit=fit_for(asset) if asset.status == "ready" else [])


@bp.get("/<int:asset_id>/card")
def card(asset_id):
    """One card, polled while its asset is processing."""
    return partial("library/_card.html", asset=scoped_get_or_404(MediaAsset, asset_id),
                   library_url=url_for("library.index"))


@bp.post("/<int:asset_id>/rename")
@requires_role("editor")
def rename(asset_id):
    asset = scoped_get_or_404(MediaAsset, asset_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return detail_page(asset, form, status=422)
    service.rename(asset, form.title.data)
    flash("Renamed.", "success")
    return go_to(url_for("library.detail", asset_id=asset.id))


@bp.post("/<int:asset_id>/delete")
@requires_role("editor")
def delete(asset_id):
    asset = scoped_get_or_404(MediaAsset, asset_id)
    with refusals_onto():
        service.delete(asset)
        flash(f"Deleted “{asset.title}”.", "success")
        return go_to(url_for("library.index"))
    return go_to(url_for("library.detail", asset_id=asset_id))


@bp.get("/<int:asset_id>/file")
def file(asset_id):
    asset = scoped_get_or_404(MediaAsset, asset_id)
    return serve(asset.storage_key, asset.content_type)


@bp.get("/<int:asset_id>/thumbnail")
def thumbnail(asset_id):
    asset = scoped_get_or_404(MediaAsset, asset_id)
    return serve(asset.thumbnail_key, "image/jpeg")


@links.get("/media/s/<token>")
def signed(token):
    """An expiring link that needs no log-in, for platforms that fetch media by URL."""
    asset = service.asset_for_link(token)
    if asset is None:
        abort(404)
    current_app.logger.info("signed media link used for asset %s", asset.id)
    return serve(asset.storage_key, asset.content_type)
