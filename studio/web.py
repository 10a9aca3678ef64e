"""How Studio answers the browser: whole pages or htmx fragments, redirects, errors and headers."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    current_app,
    flash,
    g,
    get_flashed_messages,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import URLSafeTimedSerializer
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from studio.database import utcnow
from studio.extensions import db
from studio.form_fields import field_html
from studio.platforms import PLATFORM_CLASSES, authorize_origins
from studio.refusal import Refused

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class HtmxRequest:
    """What htmx says about the current request. Its `HX-*` headers are read here and nowhere
    else (a test holds every other module to that), so each view asks the same question the
    same way."""

    @staticmethod
    def _header(name: str) -> str:
        return request.headers.get(name, "")

    @property
    def request(self) -> bool:
        return self._header("HX-Request") == "true"

    @property
    def boosted(self) -> bool:
        """A boosted link or form: htmx fetched a whole page to swap in the body."""
        return self._header("HX-Boosted") == "true"

    @property
    def history_restore(self) -> bool:
        return self._header("HX-History-Restore-Request") == "true"

    @property
    def target(self) -> str:
        """The id of the element the answer will be swapped into ("" when none)."""
        return self._header("HX-Target")

    @property
    def trigger(self) -> str:
        """The id of the element that sent the request ("" when none)."""
        return self._header("HX-Trigger")

    @property
    def current_url(self) -> str:
        """The address the browser shows while it sends the request."""
        return self._header("HX-Current-URL")


htmx = HtmxRequest()


def is_htmx() -> bool:
    return htmx.request


def wants_fragment() -> bool:
    """An htmx swap wants only its fragment; a boosted link or a history restore wants the page."""
    return htmx.request and not htmx.history_restore and not htmx.boosted


def page(template: str, block: str = "content", status: int = 200, **context: Any) -> Response:
    """Render the whole page, or for htmx just `block` of the same template (plus any flashes)."""
    if wants_fragment():
        html = render_block(template, block, **context)
        flashes = get_flashed_messages(with_categories=True)
        if flashes:
            html += render_template("_flash.html", flashes=flashes, oob=True)
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def partial(template: str, status: int = 200, **context: Any) -> Response:
    """A template that is itself a fragment (a card polled by htmx), for any request."""
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def show_form(template: str, form: FlaskForm, block: str = "content", **context: Any) -> Response:
    """A form page: 422 with the errors beside their fields once it has been submitted wrongly."""
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return page(template, block=block, status=status, form=form, **context)


def go_to(url: str) -> Response:
    """Redirect after a successful POST. An htmx request is told to load the page whole
    (`HX-Redirect`), so the navigation, title and address all follow; a plain one gets a 303."""
    if is_htmx():
        response = make_response("", 204)
        if "#" in url and same_page(url, htmx.current_url):
            # A browser told to go where it already is, give or take a #fragment, only scrolls.
            response.headers["HX-Refresh"] = "true"
        else:
            response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def same_page(url: str, current: str) -> bool:
    target, here = urlsplit(url), urlsplit(current)
    return (target.path, target.query) == (here.path, here.query)


def safe_next_url(target: str | None, fallback: str) -> str:
    """Only a path on this site may be a `next` destination (no open redirects)."""
    if not target or "\\" in target or any(ord(char) < 32 for char in target):
        return fallback  # browsers read "/\\host" as "//host"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def send_to_login() -> Response:
    """Anonymous access: a page redirect, or for htmx a full-page HX-Redirect (never a swapped form)."""
    if htmx.request and htmx.trigger.startswith("poll"):
        # A background poll (badges, new messages) must not carry the user off a half-written
        # form: it stops (htmx ends polling on 286), and their next action goes to log in.
        return make_response("", 286)
    if is_htmx():
        # The htmx request's own URL is a fragment; come back to the page the user was on.
        current = urlsplit(htmx.current_url)
        back = (current.path + (f"?{current.query}" if current.query else "")) or "/"
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("accounts.login", next=back)
        return response
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. Reload the page and try again."),
    422: ("Not changed", "Check what you entered and try again."),
    403: ("Not allowed", "Your role in this workspace does not allow that."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "That upload is larger than allowed."),
    429: ("Slow down", "Too many requests. Wait a moment and try again."),
    500: ("Something went wrong", "We could not finish that. Nothing was lost; try again in a moment."),
}


def render_error(status: int, detail: str | None = None) -> Response:
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    context = {"status": status, "title": title, "text": detail or text}
    if htmx.request and not htmx.history_restore:
        # Errors during a swap show inline in the flash area instead of replacing the target.
        response = make_response(render_template("errors/_inline.html", **context), status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("errors/error.html", **context), status)
    response.vary.add("HX-Request")
    return response


def show_refusal(form: FlaskForm, refusal: Refused) -> None:
    """Put a refusal on a form: beside the field it names, else at the top of the form."""
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(refusal)]
    else:
        form.form_errors = [*getattr(form, "form_errors", []), str(refusal)]


@contextmanager
def refusals_onto(form: FlaskForm | None = None) -> Iterator[None]:
    """Run a service call; if one of Studio's rules refuses it, put the reason on `form` (beside
    its field) or, with no form, in the flash area, and carry on after the `with` block:

        with refusals_onto(form):
            service.rename(asset, form.title.data)
            return go_to(url)
        return show_form("library/detail.html", form)

    A refusal nothing catches is answered by the app's handler (422 with the reason)."""
    try:
        yield
    except Refused as refusal:
        if form is not None:
            show_refusal(form, refusal)
        else:
            flash(str(refusal), "error")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Refused)
    def refused(refusal):
        db.session.rollback()  # nothing half-done by the refused call is kept
        return render_error(refusal.status, str(refusal))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if is_htmx() and not current_user.is_authenticated and "csrf_token" not in session:
            # The session itself is gone (expired or logged out elsewhere): that is a log-in matter.
            return send_to_login()
        return render_error(400, "This form has expired or was not sent from Studio. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if is_api_request():
            # Machine clients get the error's own answer (Authlib's carries an OAuth error body).
            return error if error.response is not None or hasattr(error, "body") else api_error(error)
        return render_error(error.code, getattr(error, "studio_detail", None))

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()  # the page that failed may have left the session unusable for the error page
        return render_error(500)


API_PATH_PREFIXES = ("/sandbox/api/", "/sandbox/oauth/token", "/sandbox/oauth/revoke")


def is_api_request() -> bool:
    return request.path.startswith(API_PATH_PREFIXES)


def api_error(error: HTTPException) -> Response:
    response = jsonify({"error": {"status": error.code, "message": error.description}})
    response.status_code = error.code or 500
    return response


def content_security_policy() -> str:
    """CSP's form-action also governs where a form's redirects may lead, and a Connect button posts
    here and is redirected to the platform's consent page: those origins are allowed too. Every
    page carries them, since htmx-boosted navigation keeps the first page's policy."""
    config = current_app.config
    # Worked out once for each set of platform settings (the consent pages' origins come from them
    # alone; tests change them while the app runs).
    return policy_for(tuple(item for item in config.items() if item[0].startswith(PLATFORM_SETTINGS)))


PLATFORM_SETTINGS = tuple(f"{key.upper()}_" for key in PLATFORM_CLASSES)


@lru_cache(maxsize=16)
def policy_for(platform_settings: tuple[tuple[str, Any], ...]) -> str:
    extra = authorize_origins(current_app.config)
    if not extra:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(extra))


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def viewer_zone() -> ZoneInfo:
    """The viewer's time zone (UTC for visitors), found once a request: lists convert many times."""
    if "viewer_zone" not in g:
        name = getattr(current_user, "timezone", None) or "UTC"
        try:
            g.viewer_zone = ZoneInfo(name)
        except (KeyError, ValueError):
            g.viewer_zone = ZoneInfo("UTC")
    return g.viewer_zone


# ---- what a page that draws many rows works out once instead of once a row ---------------------


EACH = 7_919_191_919_191  # a stand-in for the value that varies from row to row (no real id or name)


def link_prefix(endpoint: str, varying: str, **values: Any) -> str:
    """The link to `endpoint` up to where the `varying` value goes, built once a page: a template
    adds each row's value and what the route puts after it (`links.reply ~ reply.id ~ '/like'`),
    where a url_for a row would cost more than the rest of the row. The value must be one url_for
    would not quote (ids, usernames); tests hold the links so made to the routes' own."""
    values = values | {varying: EACH}
    # What the url_defaults add (the workspace's or community's slug) goes into the key: the same
    # prefix is then built once per process, not once a page.
    current_app.inject_url_defaults(endpoint, values)
    return _prefix_of(request.script_root, endpoint, varying, tuple(sorted(values.items())))


@lru_cache(maxsize=4096)
def _prefix_of(script_root: str, endpoint: str, varying: str, values: tuple[tuple[str, Any], ...]) -> str:
    url = url_for(endpoint, **dict(values))
    head, found, _ = url.rpartition(str(EACH))
    if not found:
        raise ValueError(f"{endpoint} does not put {varying} in its address")
    return head


def sign_csrf_once() -> None:
    """before_request: a page's form token is the session's secret signed (Flask-WTF). With no time
    limit on tokens (WTF_CSRF_TIME_LIMIT), one signing serves every page of the session, rather than
    one on each request; Flask-WTF takes what it finds on `g` as this request's token."""
    key = _csrf_key()
    if key is not None and "csrf_token" not in g:
        token = _signed_tokens.get(key)
        if token is None:
            token = URLSafeTimedSerializer(key[0], salt="wtf-csrf-token").dumps(key[1])
            _keep_signed(key, token)
        g.csrf_token = token


def keep_signed_csrf(response: Response) -> Response:
    """after_request: a token Flask-WTF signed on a session's first page serves its next ones."""
    key = _csrf_key()
    if key is not None and "csrf_token" in g and key not in _signed_tokens:
        _keep_signed(key, g.csrf_token)
    return response


_signed_tokens: dict[tuple[str, str], str] = {}  # (secret, session's secret) -> signed token


def _csrf_key() -> tuple[str, str] | None:
    config = current_app.config
    raw = session.get("csrf_token")
    if raw is None or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    return str(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key), str(raw)


def _keep_signed(key: tuple[str, str], token: str) -> None:
    if len(_signed_tokens) >= 10_000:  # sessions come and go: start again rather than grow
        _signed_tokens.clear()
    _signed_tokens[key] = token


def csrf_input() -> Markup:
    """The form token's hidden input, for a template to repeat in each of its many forms."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def viewer_clock() -> Callable[[datetime | None], str]:
    """The app's `localdatetime` filter with the viewer's zone looked up once: "4 Mar 2030, 09:15 CET"."""
    zone = viewer_zone()

    def local(value: datetime | None) -> str:
        if value is None:
            return ""
        moment = value.astimezone(zone)
        return moment.strftime("%-d %b %Y, %H:%M ") + (moment.tzname() or "")

    return local


def template_url_for(endpoint: str, **values: Any) -> str:
    """Templates' `url_for`, remembered: a page asks for the same links on every request, and each
    costs a url_for's walk through the url_defaults and the route's builder. The key holds all an
    address depends on: the values given, the script root, and what the app's url_defaults fill in
    from `g` (`url_defaults_state`). An external link, or values that cannot be a key, are built
    afresh."""
    if "_external" in values or "_scheme" in values:
        return url_for(endpoint, **values)
    try:
        return _remembered_url(request.script_root, url_defaults_state(), endpoint, frozenset(values.items()))
    except TypeError:  # a value that cannot be hashed
        return url_for(endpoint, **values)


def url_defaults_state() -> tuple[str | None, str | None, int | None]:
    """What the url_defaults read (tests/unit/test_structure.py lists them, so a new one is added
    here): the workspace's slug (fill_workspace_slug), the community's (keep_space) and the portal's
    client (keep_client_id)."""
    workspace, space, client = g.get("workspace"), g.get("space"), g.get("portal_client")
    return (workspace.slug if workspace is not None else None, space.slug if space is not None else None,
            client.id if client is not None else None)


@lru_cache(maxsize=8192)
def _remembered_url(script_root: str, state: tuple[str | None, str | None, int | None], endpoint: str,
                    values: frozenset[tuple[str, Any]]) -> str:
    return url_for(endpoint, **dict(values))


Menu = tuple[tuple[str, str], ...]  # (name, endpoint) of each link
WORKSPACE_MENU: Menu = (("overview", "workspaces.dashboard"), ("calendar", "posts.month"), ("posts", "posts.index"), ("content", "content.request_list"),
                        ("analytics", "analytics.index"),
                        ("library", "library.index"), ("clients", "clients.index"), ("inbox", "inbox.index"),
                        ("inbox_badge", "inbox.badge"), ("coach", "coach.index"), ("connections", "connections.index"),
                        ("storefront", "storefront_studio.index"), ("members", "workspaces.members"), ("settings", "workspaces.settings"))


def menu_links(menu: Menu, **values: Any) -> dict[str, str]:
    """A navigation's addresses by name ({"calendar": "/w/<slug>/calendar", …}), each with the
    `values` given (a workspace's or a community's slug): built once a process for each, since
    every page draws them."""
    return _menu_links(request.script_root, menu, tuple(sorted(values.items())))


@lru_cache(maxsize=1024)
def _menu_links(script_root: str, menu: Menu, values: tuple[tuple[str, Any], ...]) -> dict[str, str]:
    return {name: url_for(endpoint, **dict(values)) for name, endpoint in menu}


def workspace_menu(slug: str) -> dict[str, str]:
    return menu_links(WORKSPACE_MENU, ws=slug)


def register_template_helpers(app: Flask) -> None:
    """Times are stored in UTC and shown in the viewer's time zone."""

    @app.template_filter("localdatetime")
    def localdatetime(value):
        if value is None:
            return ""
        local = value.astimezone(viewer_zone())
        return local.strftime("%-d %b %Y, %H:%M ") + local.tzname()

    @app.template_filter("localdate")
    def localdate(value):
        return value.astimezone(viewer_zone()).strftime("%-d %b %Y") if value else ""

    @app.template_filter("duration")
    def duration(seconds):
        if seconds is None:
            return ""
        whole = int(round(seconds))
        hours, rest = divmod(whole, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"

    @app.template_filter("filesize")
    def filesize(count):
        count = count or 0
        for unit in ("B", "KB", "MB", "GB"):
            if count < 1024 or unit == "GB":
                return f"{count:.0f} {unit}" if unit in ("B", "KB") else f"{count:.1f} {unit}"
            count /= 1024

    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.globals["workspace_menu"] = workspace_menu
    app.jinja_env.globals["field_html"] = field_html
