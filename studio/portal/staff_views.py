"""The agency's side: clients (list, page, invitation, deliverables) and the inbox across them."""
from flask import abort, current_app, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from studio.notify.mail import MailError, send_mail
from studio.portal import reading, service, shared_views
from studio.portal.forms import (
    ClientAccountForm,
    ClientForm,
    DeliverableForm,
    EditClientForm,
    NewThreadForm,
    ThreadStateForm,
)
from studio.portal.models import Client, ClientStatus, Deliverable, PortalFile, Thread
from studio.portal.shared_views import (
    cursor_text,
    parse_cursor,
    serve_portal_file,
    thread_in_view,
)
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.urls import external_url
from studio.web import go_to, link_prefix, page, partial, refusals_onto, viewer_clock, wants_fragment

clients = workspace_blueprint("clients", __name__, "/clients")
inbox = workspace_blueprint("inbox", __name__, "/inbox")

CLIENT_PAGE_THREADS = 200  # a client's page lists this many of their latest threads; the inbox has the rest


def page_number():
    return max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))


# ---- clients -----------------------------------------------------------------------------------


def client_filters():
    status = request.args.get("status", "")
    return {"q": request.args.get("q", "").strip()[:100], "status": status if status in list(ClientStatus) else "",
            "niche": request.args.get("niche", "").strip()[:80]}


def clients_page(form=None, status=200):
    filters = client_filters()
    number = page_number()
    rows, total = service.clients_page(g.workspace, page=number, **filters)
    return page("clients/index.html", status=status, clients=rows, total=total, filters=filters, page_number=number,
                niches=service.niches(g.workspace), form=form or ClientForm(formdata=None), statuses=list(ClientStatus),
                per_page=service.PAGE_SIZE)


@clients.get("", endpoint="index")
def clients_home():
    return clients_page()


@clients.post("")
@requires_role("editor")
def create():
    form = ClientForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            client = service.create_client(g.workspace, form.name.data, form.email.data, form.niche.data,
                                           form.program_start.data, form.current_month.data)
            flash(f"{client.name} added. Invite them to the portal when you are ready.", "success")
            return go_to(url_for("clients.detail", client_id=client.id))
    return clients_page(form=form, status=422)


def client_page(client, status=200, **forms):
    threads, more = reading.client_threads(client, side="staff", limit=CLIENT_PAGE_THREADS)
    deliverables = service.client_deliverables(client, published_only=False)
    return page("clients/detail.html", status=status, client=client, threads=threads, more_threads=more is not None,
                thread_url=link_prefix("inbox.thread", "thread_id"), local=viewer_clock(), deliverables=deliverables,
                invite=service.latest_invite(client), accounts=service.client_accounts(client),
                account_form=forms.get("account_form") or account_form(client),
                edit_form=forms.get("edit_form") or EditClientForm(formdata=None, obj=client),
                deliverable_form=forms.get("deliverable_form") or DeliverableForm(formdata=None,
                                                                                  program_month=client.current_month),
                thread_form=forms.get("thread_form") or NewThreadForm(formdata=None))


def account_form(client, formdata=None):
    form = ClientAccountForm(formdata=formdata)
    form.connection.choices = [(c.id, f"@{c.username} ({c.platform})") for c in service.unassigned_accounts(client)]
    return form


@clients.post("/<int:client_id>/accounts")
@requires_role("editor")
def link_account(client_id):
    client = scoped_get_or_404(Client, client_id)
    form = account_form(client, request.form)
    if form.validate_on_submit():
        with refusals_onto(form):
            connection = service.link_account(client, form.connection.data)
            flash(f"@{connection.username} is {client.name}’s own account: their coach reads its numbers.", "success")
            return go_to(url_for("clients.detail", client_id=client.id))
    return client_page(client, status=422, account_form=form)


@clients.post("/<int:client_id>/accounts/<int:connection_id>/unlink")
@requires_role("editor")
def unlink_account(client_id, connection_id):
    client = scoped_get_or_404(Client, client_id)
    connection = service.unlink_account(client, connection_id) or abort(404)
    flash(f"@{connection.username} is no longer {client.name}’s account.", "success")
    return go_to(url_for("clients.detail", client_id=client.id))


@clients.get("/<int:client_id>")
def detail(client_id):
    return client_page(scoped_get_or_404(Client, client_id))


@clients.post("/<int:client_id>/edit")
@requires_role("editor")
def edit(client_id):
    client = scoped_get_or_404(Client, client_id)
    form = EditClientForm()
    if form.validate_on_submit():
        service.update_client(client, form.name.data, form.niche.data, form.program_start.data, form.current_month.data,
                              form.status.data)
        flash("Saved.", "success")
        return go_to(url_for("clients.detail", client_id=client.id))
    return client_page(client, status=422, edit_form=form)


@clients.post("/<int:client_id>/invite")
@requires_role("editor")
def invite(client_id):
    client = scoped_get_or_404(Client, client_id)
    with refusals_onto():
        _, token, replaced = service.invite_client(client, current_user)
        email_portal_invitation(client, token, replaced)
    return go_to(url_for("clients.detail", client_id=client.id))


def email_portal_invitation(client, token, replaced):
    """Send the link; a mail outage keeps the invitation (Resend works) and says so."""
    try:
        send_mail(client.email, f"{g.workspace.name} invited you to your client portal", "portal_invitation",
                  client=client, workspace=g.workspace, inviter=current_user,
                  link=external_url("portal.invitation", token=token), days=current_app.config["PORTAL_INVITE_DAYS"])
    except MailError as error:
        current_app.logger.warning("portal invitation to %s failed: %s", client.email, error)
        flash("The invitation is saved, but the e-mail could not be sent. Try Resend in a moment.", "warning")
    else:
        flash(f"Portal invitation sent to {client.email}." + (" The earlier link no longer works." if replaced else ""),
              "success")


@clients.post("/<int:client_id>/invite/revoke")
@requires_role("editor")
def revoke_invite(client_id):
    client = scoped_get_or_404(Client, client_id)
    if service.revoke_invite(client):
        flash(f"The invitation for {client.email} was withdrawn.", "success")
    return go_to(url_for("clients.detail", client_id=client.id))


@clients.post("/<int:client_id>/deliverables")
@requires_role("editor")
def add_deliverable(client_id):
    client = scoped_get_or_404(Client, client_id)
    form = DeliverableForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            deliverable = service.create_deliverable(client, current_user, form.title.data, form.program_month.data,
                                                     form.body.data or "", request.files.getlist(form.files.name))
            flash(f"“{deliverable.title}” is published to {client.name}.", "success")
            return go_to(url_for("clients.detail", client_id=client.id))
    return client_page(client, status=422, deliverable_form=form)


@clients.post("/<int:client_id>/threads")
@requires_role("editor")
def start_thread(client_id):
    client = scoped_get_or_404(Client, client_id)
    form = NewThreadForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            thread = service.start_thread(client, current_user, False, form.subject.data, form.body.data,
                                          request.files.getlist(form.files.name))
            return go_to(url_for("inbox.thread", thread_id=thread.id))
    return client_page(client, status=422, thread_form=form)


@clients.get("/<int:client_id>/files/<int:file_id>")
def file(client_id, file_id):
    portal_file = scoped_get_or_404(PortalFile, file_id)
    if portal_file.client_id != client_id:
        abort(404)
    return serve_portal_file(portal_file)


@clients.get("/<int:client_id>/deliverables/<int:deliverable_id>")
def deliverable(client_id, deliverable_id):
    item = scoped_get_or_404(Deliverable, deliverable_id)
    if item.client_id != client_id:
        abort(404)
    return page("clients/deliverable.html", deliverable=item, client=item.client)


# ---- the inbox ---------------------------------------------------------------------------------


def inbox_filters():
    state = request.args.get("state", "")
    return {"unread": request.args.get("unread") == "1", "client_id": request.args.get("client", type=int),
            "client_name": request.args.get("client_name", "").strip()[:100],
            "state": state if state in ("open", "resolved") else "", "q": request.args.get("q", "").strip()[:100]}


def filter_arguments(filters):
    """The filters as the inbox's address spells them (for the "Older" link)."""
    return {"q": filters["q"] or None, "unread": 1 if filters["unread"] else None, "client": filters["client_id"],
            "client_name": filters["client_name"] or None, "state": filters["state"] or None}


@inbox.get("", endpoint="index")
def inbox_home():
    filters = inbox_filters()
    before = parse_cursor(request.args.get("before", ""))
    rows_only = bool(before) and wants_fragment()  # "Older conversations" pressed with htmx: the rows that follow, in place
    threads, total, after = reading.staff_inbox(g.workspace, before=before, count=not rows_only, **filters)
    context = dict(threads=threads, total=total, filters=filters, before=before, local=viewer_clock(),
                   thread_url=link_prefix("inbox.thread", "thread_id"),
                   older_url=url_for("inbox.index", before=cursor_text(after), **filter_arguments(filters)) if after else None)
    if rows_only:
        return partial("inbox/_rows.html", **context)
    one_client = reading.client_name(g.workspace, filters["client_id"]) if filters["client_id"] else None
    return page("inbox/index.html", one_client=one_client, **context)


@inbox.get("/client-names")
def client_names():
    """Suggestions for the client filter as its field is typed in (a <datalist>): an agency may
    have hundreds of clients, too many for a menu drawn on every view of the inbox."""
    return partial("inbox/_client_names.html",
                   names=reading.client_names(g.workspace, request.args.get("client_name", "").strip()[:100]))


@inbox.get("/badge")
def badge():
    """The unread count in the navigation, polled so it changes without a reload."""
    return partial("inbox/_badge.html",
                   unread=reading.staff_unread_count(g.workspace, except_thread_id=thread_in_view("inbox.thread")))


THREAD_HEADER = (joinedload(Thread.client), joinedload(Thread.deliverable))  # a thread's page names both


@inbox.get("/<int:thread_id>")
def thread(thread_id):
    item = scoped_get_or_404(Thread, thread_id, *THREAD_HEADER)
    return shared_views.open_thread(item, "staff")


@inbox.get("/<int:thread_id>/messages")
def new_messages(thread_id):
    return shared_views.new_messages(scoped_get_or_404(Thread, thread_id), "staff")


@inbox.post("/<int:thread_id>/reply")
@requires_role("editor")
def reply(thread_id):
    return shared_views.reply(scoped_get_or_404(Thread, thread_id), "staff")


@inbox.post("/<int:thread_id>/state")
@requires_role("editor")
def set_state(thread_id):
    item = scoped_get_or_404(Thread, thread_id)
    form = ThreadStateForm()
    if form.validate_on_submit():
        service.set_state(item, form.state.data)
        flash("Marked resolved." if form.state.data == "resolved" else "Reopened.", "success")
    return go_to(url_for("inbox.thread", thread_id=item.id))


@inbox.get("/<int:thread_id>/files/<int:file_id>")
def file_in_thread(thread_id, file_id):
    item = scoped_get_or_404(Thread, thread_id)
    portal_file = scoped_get_or_404(PortalFile, file_id)
    if portal_file.client_id != item.client_id:
        abort(404)
    return serve_portal_file(portal_file)
