"""The storefront's public pages at /@<slug>: readable by anyone with no JavaScript, cached by
ETag and Last-Modified for visitors with no account; likes and comments for people logged in;
"Ask about this service" for anyone with an e-mail address; the sitemap."""
from collections.abc import Callable

from flask import Blueprint, Response, abort, make_response, render_template, request, session, url_for
from flask_login import current_user

from studio.accounts.models import Workspace
from studio.extensions import db
from studio.library.serving import serve
from studio.platforms import PLATFORM_CLASSES
from studio.security.access import load_membership
from studio.storefront import inquiries, public, visitors
from studio.storefront.forms import CommentForm, InquiryForm, ReplyForm
from studio.storefront.models import InquiryState, Service, Storefront
from studio.urls import public_base_url
from studio.web import go_to, is_htmx, page, partial, refusals_onto, show_form

bp = Blueprint("storefront", __name__)


def viewer():
    return current_user if current_user.is_authenticated else None


def found(slug: str) -> tuple[Workspace, Storefront]:
    """The published storefront at `slug`; 404 for one unknown, or unpublished unless the viewer is
    on its team (whose preview draws the same pictures and buttons)."""
    result = public.find(slug, published_only=False)
    if result is None or (result[1].published_at is None and not is_staff(result[0])):
        abort(404)
    return result


def is_staff(workspace: Workspace) -> bool:
    """The viewer is on the maker's team (an editor or above may moderate)."""
    if not current_user.is_authenticated:
        return False
    membership = load_membership(current_user.id, workspace.slug)
    return membership is not None and membership.role in ("owner", "admin", "editor")


def conditional(workspace: Workspace, storefront: Storefront, variant: str, render: Callable[[], str]) -> Response:
    """A visitor's page: 304 when their copy is current, else the page, with its validators for
    shared caches. A logged-in viewer's page carries their likes and form token: theirs alone."""
    if not current_user.is_authenticated:
        etag, modified = public.validators(workspace, storefront, variant)
        current = request.if_none_match.contains(etag) if request.if_none_match else (
            request.if_modified_since is not None and request.if_modified_since >= modified)
        response = Response(status=304) if current else make_response(render())
        if not session.modified:  # (a page that wrote to the session would be that visitor's alone)
            response.set_etag(etag)
            response.last_modified = modified
            response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
            response.vary.add("Cookie")
            return response
    else:
        response = make_response(render())
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response


def canonical(endpoint: str, **values) -> str:
    return public_base_url() + url_for(endpoint, **values)


@bp.get("/@<slug>")
def home(slug):
    workspace, storefront = found(slug)
    return conditional(workspace, storefront, "home", lambda: render_home(workspace, storefront))


def render_home(workspace: Workspace, storefront: Storefront, preview: bool = False) -> str:
    shown = public.home(workspace, storefront, viewer())
    return render_template("storefront/home.html", shown=shown, preview=preview,
                           canonical=canonical("storefront.home", slug=workspace.slug))


@bp.get("/@<slug>/updates")
def updates(slug):
    workspace, storefront = found(slug)
    before = request.args.get("before", type=int)

    def render():
        rows, images, liked, more = public.updates_page(workspace, before, viewer())
        return render_template("storefront/updates.html", workspace=workspace, storefront=storefront, updates=rows,
                               images=images, liked=liked, more=more, canonical=canonical("storefront.updates", slug=slug))

    return conditional(workspace, storefront, f"updates:{before}", render)


@bp.get("/@<slug>/videos")
def videos(slug):
    workspace, storefront = found(slug)
    kind = request.args.get("kind") if request.args.get("kind") in ("short", "long", "demo") else None
    before = request.args.get("before", type=int)

    def render():
        rows, liked, more = public.videos_page(workspace, kind, before, viewer())
        return render_template("storefront/videos.html", workspace=workspace, storefront=storefront, videos=rows,
                               liked=liked, more=more, kind=kind, canonical=canonical("storefront.videos", slug=slug))

    return conditional(workspace, storefront, f"videos:{kind}:{before}", render)


def the_update(workspace: Workspace, update_id: int):
    item = public.update_of(workspace, update_id)
    if item is None:
        abort(404)
    return item


def the_video(workspace: Workspace, video_id: int) -> public.Video:
    video = public.video_of(workspace, video_id)
    if video is None:
        abort(404)
    return video


@bp.get("/@<slug>/updates/<int:update_id>")
def update(slug, update_id):
    workspace, storefront = found(slug)
    return item_page(workspace, storefront, the_update(workspace, update_id), None, comment_form())


@bp.get("/@<slug>/videos/<int:video_id>")
def video(slug, video_id):
    workspace, storefront = found(slug)
    chosen = the_video(workspace, video_id)
    return item_page(workspace, storefront, chosen.post, chosen, comment_form())


def comment_form() -> CommentForm | None:
    """Only people logged in comment: a visitor's page carries no form (its token would need a session)."""
    return CommentForm() if current_user.is_authenticated else None


def item_page(workspace, storefront, item, video, form, status=200):
    kind = "video" if video else "update"
    staff = is_staff(workspace)
    html = lambda: render_template(  # noqa: E731
        "storefront/item.html", workspace=workspace, storefront=storefront, item=item, video=video, kind=kind,
        images=public.images_for([item]).get(item.id, []) if video is None else [],
        liked=visitors.liked_by(viewer(), [item.id] if kind == "update" else [], [item.id] if video else []),
        comments=public.comments_on(item, include_hidden=staff), staff=staff, form=form,
        canonical=canonical(f"storefront.{kind}", slug=workspace.slug, **{f"{kind}_id": item.id}))
    if status != 200:
        return make_response(html(), status)
    return conditional(workspace, storefront, f"{kind}:{item.id}", html)


def to_login(back: str):
    """Liking and commenting need an account: log in (or sign up), then come back here."""
    login = url_for("accounts.login", next=back)
    if is_htmx():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login
        return response
    return go_to(login)


@bp.post("/@<slug>/<any(updates, videos):kind>/<int:item_id>/like")
def like(slug, kind, item_id):
    workspace, _ = found(slug)
    item = the_update(workspace, item_id) if kind == "updates" else the_video(workspace, item_id).post
    back = url_for(f"storefront.{kind[:-1]}", slug=slug, **{f"{kind[:-1]}_id": item_id})
    if not current_user.is_authenticated:
        return to_login(back)
    liked, count = visitors.set_like(item, current_user, request.form.get("want", "1") == "1")
    if is_htmx():
        return partial("storefront/_like.html", slug=slug, kind=kind, item_id=item_id, liked=liked, count=count)
    return go_to(request.form.get("back") if request.form.get("back", "").startswith(f"/@{slug}") else back)


@bp.post("/@<slug>/<any(updates, videos):kind>/<int:item_id>/comments")
def comment(slug, kind, item_id):
    workspace, storefront = found(slug)
    chosen = the_video(workspace, item_id) if kind == "videos" else None
    item = chosen.post if chosen else the_update(workspace, item_id)
    back = url_for(f"storefront.{kind[:-1]}", slug=slug, **{f"{kind[:-1]}_id": item_id})
    if not current_user.is_authenticated:
        return to_login(back)
    form = CommentForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            visitors.add_comment(item, current_user, form.body.data)
            return go_to(back + "#comments")
    return item_page(workspace, storefront, item, chosen, form, status=422)


@bp.get("/@<slug>/pictures/<int:asset_id>")
def picture(slug, asset_id):
    """An image the page shows (the maker's picture, an update's image, a video's thumbnail)."""
    workspace, storefront = found(slug)
    asset = public.public_asset(workspace, storefront, asset_id)
    if asset is None:
        abort(404)
    if asset.kind == "image" and asset.storage_key:
        return serve(asset.storage_key, asset.content_type, public=True)
    return serve(asset.thumbnail_key, "image/jpeg", public=True)


@bp.get("/@<slug>/followers")
def followers(slug):
    """The follower counts, polled by the page so they stay current while it is open."""
    workspace, storefront = found(slug)
    accounts = public.accounts_of(workspace) if storefront.show_followers else []
    response = partial("storefront/_followers.html", accounts=accounts, slug=slug)
    response.headers["Cache-Control"] = "public, max-age=30"  # the syncs move them far less often
    return response


# ---- "Ask about this service" ------------------------------------------------------------------


def the_service(workspace: Workspace, service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or service.workspace_id != workspace.id or not service.active:
        abort(404)
    return service


@bp.route("/@<slug>/services/<int:service_id>/ask", methods=["GET", "POST"])
def ask(slug, service_id):
    workspace, storefront = found(slug)
    service = the_service(workspace, service_id)
    form = InquiryForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            inquiry = inquiries.ask(workspace, service, name=form.name.data, email=form.email.data, body=form.body.data,
                                    ip=request.remote_addr or "")
            return page("storefront/ask_sent.html", workspace=workspace, storefront=storefront, email=inquiry.email)
    return show_form("storefront/ask.html", form, workspace=workspace, storefront=storefront, service=service)


@bp.route("/@<slug>/questions/<token>", methods=["GET", "POST"])
def inquiry(slug, token):
    """The visitor's thread, opened from the link e-mailed to them (the first opening confirms it)."""
    result = public.find(slug, published_only=False)
    if result is None:
        abort(404)
    workspace, storefront = result
    thread = inquiries.inquiry_for_token(workspace, token)
    if thread is None:
        abort(404)
    confirmed_now = inquiries.verify(thread) if thread.verified_at is None else False
    form = ReplyForm()
    if request.method == "POST" and form.validate_on_submit():
        with refusals_onto(form):
            inquiries.add_message(thread, form.body.data)
            return go_to(url_for("storefront.inquiry", slug=slug, token=token) + "#latest")
    response = show_form("storefront/inquiry.html", form, workspace=workspace, storefront=storefront, thread=thread,
                         messages=inquiries.messages_of(thread), confirmed_now=confirmed_now,
                         resolved=thread.state == InquiryState.RESOLVED)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the key to the thread
    return response


# ---- for search engines ------------------------------------------------------------------------


@bp.get("/sitemap.xml")
def sitemap():
    base = public_base_url()
    xml = render_template("storefront/sitemap.xml", base=base, storefronts=public.published_storefronts())
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", "Disallow: /w/", "Disallow: /portal/", "Disallow: /sandbox/",
             f"Sitemap: {public_base_url()}{url_for('storefront.sitemap')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain",
                    headers={"Cache-Control": "public, max-age=3600"})


# ---- what the storefront's templates use -------------------------------------------------------


CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


@bp.app_template_filter("money")
def money(cents: int, currency: str) -> str:
    """4900, "EUR" → "€49"; 4950 → "€49.50"; a currency with no sign → "49 CHF"."""
    amount = f"{cents / 100:,.2f}".removesuffix(".00")
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{amount}" if sign else f"{amount} {currency}"


@bp.app_template_filter("flag")
def flag(country: str | None) -> str:
    """A country code's flag (its two regional indicator letters)."""
    if not country or len(country) != 2 or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in country.upper())


@bp.app_context_processor
def storefront_helpers():
    return {"platform_name": platform_name, "absolute_url": canonical}


def platform_name(key: str) -> str:
    return PLATFORM_CLASSES[key].name if key in PLATFORM_CLASSES else key.title()
