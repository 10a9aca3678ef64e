"""What both sides of the portal answer with, the client's (`side="client"`, under /portal/c/<id>/)
and the agency's (`side="staff"`, the workspace's inbox): a thread's page, its new messages, a
reply, an attached file, and which page a background poll came from."""
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, g, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from studio.library.storage import LocalStorage, storage
from studio.notify import service as notify
from studio.portal import reading, service
from studio.portal.forms import MessageForm, ThreadStateForm
from studio.portal.models import PortalFile, Thread
from studio.portal.reading import Cursor
from studio.web import go_to, htmx, link_prefix, page, partial, refusals_onto, viewer_clock

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime", "video/webm",
                "application/pdf"}

THREAD_TEMPLATE = {"client": "portal/thread.html", "staff": "inbox/thread.html"}
THREAD_ENDPOINT = {"client": "portal.thread", "staff": "inbox.thread"}


def serve_portal_file(portal_file: PortalFile):
    """Images, video and PDF open in the browser; anything else downloads. Never sniffed as HTML."""
    target = storage()
    inline = portal_file.content_type in INLINE_TYPES
    source = (target.path(portal_file.storage_key) if isinstance(target, LocalStorage)  # a path, or a stream from S3
              else target.open(portal_file.storage_key))
    response = send_file(source, mimetype=portal_file.content_type, as_attachment=not inline,
                         download_name=portal_file.filename, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def page_in_view():
    """(endpoint, values, path) of the page a background poll came from (htmx sends its address),
    or (None, {}, None)."""
    path = urlsplit(htmx.current_url).path
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None, {}, None
    return endpoint, values, path


def thread_in_view(endpoint: str):
    """The thread shown by the page a poll came from, if it is an `endpoint` page: it reads its own
    new messages as they arrive, so the badges must not count them meanwhile."""
    shown, values, _ = page_in_view()
    return values.get("thread_id") if shown == endpoint else None


def cursor_text(cursor: Cursor | None) -> str | None:
    """An inbox page's place as its "Older" address carries it (read back by parse_cursor)."""
    return f"{cursor[0].isoformat()}_{cursor[1]}" if cursor else None


def parse_cursor(value: str) -> Cursor | None:
    """The cursor of an "Older" address; None (the first page) for anything this page did not make."""
    moment_text, _, thread_id = value.rpartition("_")
    if not thread_id.isdigit() or len(thread_id) > 18:
        return None
    try:
        moment = datetime.fromisoformat(moment_text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment, int(thread_id)


def read(thread: Thread, side: str) -> None:
    """The side has seen the thread: if there was news, its read receipt moves and the client's
    notifications about it (made with that news) are read too. Nothing new, nothing written."""
    if service.mark_read(thread, by_client=side == "client") and side == "client":
        notify.mark_read_about(current_user.id, thread.client_id, url_for("portal.thread", thread_id=thread.id))


def conversation_context(thread: Thread, side: str) -> dict:
    """What the messages of a conversation link to and say, worked out once per page, not per message."""
    if side == "client":
        file_url = link_prefix("portal.file", "file_id", client_id=thread.client_id)
        poll_url = url_for("portal.new_messages", client_id=thread.client_id, thread_id=thread.id)
        team = g.portal_client.workspace.name
    else:
        file_url = link_prefix("inbox.file_in_thread", "file_id", thread_id=thread.id)
        poll_url = url_for("inbox.new_messages", thread_id=thread.id)
        team = "team"
    return {"thread": thread, "side": side, "file_url": file_url, "poll_url": poll_url, "team": team,
            "local": viewer_clock()}


def thread_page(thread: Thread, side: str, form=None, status=200):
    extra = {"state_form": ThreadStateForm(formdata=None, state=thread.state)} if side == "staff" else {}
    return page(THREAD_TEMPLATE[side], status=status, messages=reading.thread_messages(thread),
                form=form or MessageForm(formdata=None), **conversation_context(thread, side), **extra)


def open_thread(thread: Thread, side: str):
    response = thread_page(thread, side)
    read(thread, side)
    return response


def new_messages(thread: Thread, side: str):
    """The messages after `?after=` (for live updates), read as they are shown."""
    after = request.args.get("after", 0, type=int)
    messages = reading.thread_messages(thread, after_id=after)
    response = partial("inbox/_new_messages.html", messages=messages, after=messages[-1].id if messages else after,
                       **conversation_context(thread, side))
    if messages:
        read(thread, side)  # after drawing them: the commit would have the page load the thread again
    return response


def reply(thread: Thread, side: str):
    """A message from the client or from the team, with its files; a refused file shows beside the
    field with nothing kept."""
    form = MessageForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            service.add_message(thread, current_user, side == "client", form.body.data,
                                request.files.getlist(form.files.name))
            return go_to(url_for(THREAD_ENDPOINT[side], thread_id=thread.id))
    return thread_page(thread, side, form=form, status=422)
