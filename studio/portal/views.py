"""The client's side: the invitation link, then their own portal (inbox, deliverables,
notifications, settings). Every page is reached through a client record linked to the person
logged in; anyone else's id answers 404."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from studio.accounts.forms import InvitedSignupForm
from studio.accounts.service import AccountError, LinkRefused, find_user_by_email
from studio.extensions import db
from studio.library.storage import LocalStorage, storage
from studio.notify import service as notify
from studio.portal import service
from studio.portal.forms import EmailPreferencesForm, MessageForm, NewThreadForm
from studio.portal.models import Client, Deliverable, PortalFile, Thread
from studio.web import go_to, page, partial, safe_next_url, show_form

bp = Blueprint("portal", __name__, url_prefix="/portal")

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime", "video/webm",
                "application/pdf"}


def serve_portal_file(portal_file):
    """Images, video and PDF open in the browser; anything else downloads. Never sniffed as HTML."""
    target = storage()
    inline = portal_file.content_type in INLINE_TYPES
    if isinstance(target, LocalStorage):
        source = target.path(portal_file.storage_key)
    else:
        source = target.open(portal_file.storage_key)
    response = send_file(source, mimetype=portal_file.content_type, as_attachment=not inline,
                         download_name=portal_file.filename, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- the invitation ----------------------------------------------------------------------------


def refused(refusal):
    status = 400 if refusal.reason == "invalid" else 410
    return page("accounts/link_refused.html", refusal=refusal, kind="portal", status=status)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token):
    """Open the e-mailed link: set a password (which also proves the e-mail), or, for someone who
    already has a log-in, accept with it."""
    try:
        invite = service.invite_for_token(token)
    except LinkRefused as refusal:
        return refused(refusal)
    if current_user.is_authenticated or find_user_by_email(invite.email):
        return page("portal/invitation.html", invite=invite, token=token, form=None,
                    has_account=not current_user.is_authenticated)
    form = InvitedSignupForm(invite.email)
    if form.validate_on_submit():
        try:
            user, client = service.sign_up_client(invite, form.name.data, form.password.data, form.timezone.data)
        except LinkRefused as refusal:
            return refused(refusal)
        login_user(user)
        flash(f"Welcome to your portal with {client.workspace.name}.", "success")
        return go_to(url_for("portal.inbox", client_id=client.id))
    return show_form("portal/invitation.html", form, invite=invite, token=token)


@bp.post("/invite/<token>/accept")
@login_required
def accept(token):
    try:
        invite = service.invite_for_token(token)
        client = service.accept_invite(invite, current_user)
    except LinkRefused as refusal:
        return refused(refusal)
    except AccountError as error:
        return page("portal/invitation.html", invite=invite, token=token, form=None, error=str(error), status=409)
    flash(f"Your portal with {client.workspace.name} is ready.", "success")
    return go_to(url_for("portal.inbox", client_id=client.id))


# ---- the portal --------------------------------------------------------------------------------


@bp.before_request
def require_login():
    if request.endpoint in ("portal.invitation",):
        return None
    if not current_user.is_authenticated:
        from studio.web import send_to_login

        return send_to_login()
    return None


@bp.url_value_preprocessor
def load_client(endpoint, values):
    """The client record behind /portal/c/<client_id>/…, only if it is the person's own."""
    client_id = (values or {}).get("client_id")
    if client_id is None or not current_user.is_authenticated:
        return
    client = db.session.execute(select(Client).where(Client.id == client_id, Client.user_id == current_user.id,
                                                     Client.status != "archived")).scalar_one_or_none()
    if client is None:
        abort(404)
    g.portal_client = client


@bp.url_defaults
def keep_client_id(endpoint, values):
    if "client_id" not in values and g.get("portal_client") is not None and endpoint.startswith("portal."):
        values.setdefault("client_id", g.portal_client.id)


def own(model, object_id):
    row = db.session.execute(select(model).where(model.id == object_id, model.client_id == g.portal_client.id)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


@bp.get("")
def home():
    clients = service.clients_of_user(current_user)
    if len(clients) == 1:
        return redirect(url_for("portal.inbox", client_id=clients[0].id))
    return page("portal/choose.html", clients=clients)


def page_in_view():
    """(endpoint, values, path) of the page a background poll came from (htmx sends its address),
    or (None, {}, None)."""
    path = urlsplit(request.headers.get("HX-Current-URL", "")).path
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None, {}, None
    return endpoint, values, path


def thread_in_view(endpoint):
    """The thread shown by the page a poll came from, if it is an `endpoint` page: it reads its own
    new messages as they arrive, so the badges must not count them meanwhile."""
    shown, values, _ = page_in_view()
    return values.get("thread_id") if shown == endpoint else None


@bp.get("/c/<int:client_id>/badges")
def badges(client_id):
    client = g.portal_client
    endpoint, values, path = page_in_view()
    reading = values.get("thread_id") if endpoint == "portal.thread" else None
    return partial("portal/_badges.html", inbox_unread=service.client_unread_count(client, except_thread_id=reading),
                   notifications_unread=notify.unread_count(current_user.id, client.id, except_about=path))


@bp.get("/c/<int:client_id>/inbox")
def inbox(client_id, form=None, status=200):
    return page("portal/inbox.html", status=status, threads=service.client_threads(g.portal_client),
                form=form or NewThreadForm(formdata=None))


@bp.post("/c/<int:client_id>/threads")
def new_thread(client_id):
    form = NewThreadForm()
    if form.validate_on_submit():
        try:
            thread = service.start_thread(g.portal_client, current_user, True, form.subject.data, form.body.data,
                                          request.files.getlist(form.files.name))
        except service.PortalError as error:
            form.files.errors = list(form.files.errors) + [str(error)]
        else:
            return go_to(url_for("portal.thread", thread_id=thread.id))
    return inbox(client_id, form=form, status=422)


def thread_page(thread, form=None, status=200):
    return page("portal/thread.html", status=status, thread=thread, messages=service.thread_messages(thread),
                form=form or MessageForm(formdata=None), side="client")


@bp.get("/c/<int:client_id>/threads/<int:thread_id>")
def thread(client_id, thread_id):
    item = own(Thread, thread_id)
    response = thread_page(item)
    service.mark_read(item, by_client=True)
    notify.mark_read_about(current_user.id, item.client_id, request.path)
    return response


@bp.get("/c/<int:client_id>/threads/<int:thread_id>/messages")
def new_messages(client_id, thread_id):
    item = own(Thread, thread_id)
    after = request.args.get("after", 0, type=int)
    messages = service.thread_messages(item, after_id=after)
    if messages:
        service.mark_read(item, by_client=True)
        notify.mark_read_about(current_user.id, item.client_id, url_for("portal.thread", thread_id=item.id))
    return partial("inbox/_new_messages.html", thread=item, messages=messages, side="client",
                   after=messages[-1].id if messages else after)


@bp.post("/c/<int:client_id>/threads/<int:thread_id>/reply")
def reply(client_id, thread_id):
    item = own(Thread, thread_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service.add_message(item, current_user, True, form.body.data, request.files.getlist(form.files.name))
        except service.PortalError as error:
            form.files.errors = list(form.files.errors) + [str(error)]
        else:
            return go_to(url_for("portal.thread", thread_id=item.id))
    return thread_page(item, form=form, status=422)


@bp.get("/c/<int:client_id>/files/<int:file_id>")
def file(client_id, file_id):
    portal_file = own(PortalFile, file_id)
    if portal_file.deliverable_id:
        own(Deliverable, portal_file.deliverable_id).published_at or abort(404)
    return serve_portal_file(portal_file)


@bp.get("/c/<int:client_id>/deliverables")
def deliverables(client_id):
    return page("portal/deliverables.html", deliverables=service.client_deliverables(g.portal_client))


def published(deliverable_id):
    item = own(Deliverable, deliverable_id)
    if item.published_at is None:
        abort(404)
    return item


@bp.get("/c/<int:client_id>/deliverables/<int:deliverable_id>")
def deliverable(client_id, deliverable_id, form=None, status=200):
    item = published(deliverable_id)
    service.mark_opened(item)
    notify.mark_read_about(current_user.id, item.client_id, url_for("portal.deliverable", deliverable_id=item.id))
    return page("portal/deliverable.html", status=status, deliverable=item,
                form=form or NewThreadForm(formdata=None, subject=f"About “{item.title}”"))


@bp.post("/c/<int:client_id>/deliverables/<int:deliverable_id>/reviewed")
def reviewed(client_id, deliverable_id):
    item = published(deliverable_id)
    service.mark_reviewed(item)
    flash(f"“{item.title}” is marked reviewed. The agency can see it.", "success")
    return go_to(url_for("portal.deliverable", deliverable_id=item.id))


@bp.post("/c/<int:client_id>/deliverables/<int:deliverable_id>/reply")
def reply_about(client_id, deliverable_id):
    item = published(deliverable_id)
    form = NewThreadForm()
    if form.validate_on_submit():
        try:
            thread = service.start_thread(g.portal_client, current_user, True, form.subject.data, form.body.data,
                                          request.files.getlist(form.files.name), deliverable=item)
        except service.PortalError as error:
            form.files.errors = list(form.files.errors) + [str(error)]
        else:
            return go_to(url_for("portal.thread", thread_id=thread.id))
    return deliverable(client_id, deliverable_id, form=form, status=422)


@bp.get("/c/<int:client_id>/notifications")
def notifications(client_id):
    unread_only = request.args.get("unread") == "1"
    items = notify.notifications_for(current_user.id, g.portal_client.id, unread_only=unread_only)
    return page("portal/notifications.html", notifications=items, unread_only=unread_only)


@bp.get("/c/<int:client_id>/notifications/<int:notification_id>")
def open_notification(client_id, notification_id):
    item = notify.open_notification(current_user.id, notification_id, client_id=g.portal_client.id)
    if item is None:
        abort(404)
    return redirect(safe_next_url(item.action_url, url_for("portal.notifications")))


@bp.post("/c/<int:client_id>/notifications/read")
def read_all(client_id):
    count = notify.mark_all_read(current_user.id, g.portal_client.id)
    flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "success")
    return go_to(url_for("portal.notifications"))


@bp.route("/c/<int:client_id>/settings", methods=["GET", "POST"])
def settings(client_id):
    form = EmailPreferencesForm(data=service.email_preferences(current_user) if request.method == "GET" else None)
    if form.validate_on_submit():
        service.set_email_preferences(current_user, form.data)
        flash("E-mail preferences saved.", "success")
        return go_to(url_for("portal.settings"))
    return show_form("portal/settings.html", form)
