"""The client's side: the invitation link, then their own portal (inbox, deliverables,
notifications, settings). Every page is reached through a client record linked to the person
logged in (the request's scope, see `load_client`); anyone else's id answers 404."""
from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from studio.accounts.invitation_views import accept_page, invitation_page
from studio.accounts.models import Invitation, InvitationKind, User
from studio.extensions import db
from studio.notify import service as notify
from studio.portal import reading, service, shared_views
from studio.portal.forms import EmailPreferencesForm, NewThreadForm
from studio.portal.models import Client, Deliverable, PortalFile, Thread
from studio.portal.shared_views import cursor_text, page_in_view, parse_cursor, serve_portal_file
from studio.security.access import enter_scope, scoped_get_or_404
from studio.web import (
    go_to,
    link_prefix,
    page,
    partial,
    refusals_onto,
    safe_next_url,
    send_to_login,
    show_form,
    viewer_clock,
    wants_fragment,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")


# ---- the invitation ----------------------------------------------------------------------------


def open_portal(invite: Invitation, user: User, signed_up: bool) -> tuple[str, str]:
    client = service.accept_invite(invite, user)
    name = client.workspace.name
    welcome = f"Welcome to your portal with {name}." if signed_up else f"Your portal with {name} is ready."
    return welcome, url_for("portal.inbox", client_id=client.id)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token):
    """Open the e-mailed link: set a password (which also proves the e-mail), or, for someone who
    already has a log-in, accept with it."""
    return invitation_page(token, InvitationKind.CLIENT, "portal/invitation.html", open_portal)


@bp.post("/invite/<token>/accept")
@login_required
def accept(token):
    return accept_page(token, InvitationKind.CLIENT, "portal/invitation.html", open_portal)


# ---- the portal --------------------------------------------------------------------------------


@bp.before_request
def require_login():
    if request.endpoint in ("portal.invitation",):
        return None
    if not current_user.is_authenticated:
        return send_to_login()
    return None


# The person's own client record, with its workspace (every portal page names it); built once.
OWN_CLIENT = select(Client).where(Client.id == bindparam("client_id"), Client.user_id == bindparam("user_id"),
                                  Client.status != "archived").options(joinedload(Client.workspace))


@bp.url_value_preprocessor
def load_client(endpoint, values):
    """The client record behind /portal/c/<client_id>/…, only if it is the person's own: the
    request reaches that client's rows only (`scoped_get_or_404`)."""
    client_id = (values or {}).get("client_id")
    if client_id is None or not current_user.is_authenticated:
        return
    client = db.session.execute(OWN_CLIENT, {"client_id": client_id, "user_id": current_user.id}).scalar_one_or_none()
    if client is None:
        abort(404)
    g.portal_client = client
    enter_scope("client_id", client.id)


@bp.url_defaults
def keep_client_id(endpoint, values):
    if "client_id" not in values and g.get("portal_client") is not None and endpoint.startswith("portal."):
        values.setdefault("client_id", g.portal_client.id)


@bp.get("")
def home():
    clients = service.clients_of_user(current_user)
    if len(clients) == 1:
        return redirect(url_for("portal.inbox", client_id=clients[0].id))
    return page("portal/choose.html", clients=clients)


@bp.get("/c/<int:client_id>/badges")
def badges(client_id):
    client = g.portal_client
    endpoint, values, path = page_in_view()
    open_thread = values.get("thread_id") if endpoint == "portal.thread" else None
    return partial("portal/_badges.html", inbox_unread=reading.client_unread_count(client, except_thread_id=open_thread),
                   notifications_unread=notify.unread_count(current_user.id, client.id, except_about=path))


@bp.get("/c/<int:client_id>/inbox")
def inbox(client_id, form=None, status=200):
    before = parse_cursor(request.args.get("before", "")) if request.method == "GET" else None
    threads, after = reading.client_threads(g.portal_client, before=before)
    context = dict(threads=threads, before=before, local=viewer_clock(), thread_url=link_prefix("portal.thread", "thread_id"),
                   older_url=url_for("portal.inbox", before=cursor_text(after)) if after else None)
    if before and wants_fragment():  # "Older conversations" pressed with htmx: the rows that follow, in place
        return partial("portal/_thread_rows.html", **context)
    return page("portal/inbox.html", status=status, form=form or NewThreadForm(formdata=None), **context)


@bp.post("/c/<int:client_id>/threads")
def new_thread(client_id):
    form = NewThreadForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            thread = service.start_thread(g.portal_client, current_user, True, form.subject.data, form.body.data,
                                          request.files.getlist(form.files.name))
            return go_to(url_for("portal.thread", thread_id=thread.id))
    return inbox(client_id, form=form, status=422)


@bp.get("/c/<int:client_id>/threads/<int:thread_id>")
def thread(client_id, thread_id):
    return shared_views.open_thread(scoped_get_or_404(Thread, thread_id), "client")


@bp.get("/c/<int:client_id>/threads/<int:thread_id>/messages")
def new_messages(client_id, thread_id):
    return shared_views.new_messages(scoped_get_or_404(Thread, thread_id), "client")


@bp.post("/c/<int:client_id>/threads/<int:thread_id>/reply")
def reply(client_id, thread_id):
    return shared_views.reply(scoped_get_or_404(Thread, thread_id), "client")


@bp.get("/c/<int:client_id>/files/<int:file_id>")
def file(client_id, file_id):
    portal_file = scoped_get_or_404(PortalFile, file_id)
    if portal_file.deliverable_id:
        scoped_get_or_404(Deliverable, portal_file.deliverable_id).published_at or abort(404)
    return serve_portal_file(portal_file)


@bp.get("/c/<int:client_id>/deliverables")
def deliverables(client_id):
    return page("portal/deliverables.html", deliverables=service.client_deliverables(g.portal_client))


def published(deliverable_id):
    item = scoped_get_or_404(Deliverable, deliverable_id)
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
        with refusals_onto(form):
            thread = service.start_thread(g.portal_client, current_user, True, form.subject.data, form.body.data,
                                          request.files.getlist(form.files.name), deliverable=item)
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
