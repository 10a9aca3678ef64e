"""Direct messages: the member's conversations, one conversation, and the polls that bring new
messages and the unread count in the menu."""
from flask import abort, g, request, url_for
from flask_login import current_user

from studio.community import messages
from studio.community.forms import MessageForm
from studio.community.views.blueprint import bp, member_by_username
from studio.web import go_to, page, partial, refusals_onto, show_form


@bp.get("/messages", endpoint="messages")
def inbox():
    """The member's conversations; polled (the list block alone) so new messages show up."""
    return page("community/messages.html", block="conversations",
                conversations=messages.conversations(g.space, current_user))


@bp.get("/badges/messages")
def dm_badge():
    """The unread count in the community menu, polled; `reading` is the conversation open on the
    page, which reads its own new messages as they arrive."""
    return partial("community/_dm_badge.html",
                   unread_dms=messages.unread_dm_count(g.space, current_user, request.args.get("reading", type=int)))


@bp.get("/messages/c/<int:conversation_id>")
def new_dms(conversation_id):
    """The messages of an open conversation that came after `after`: they are read as they arrive."""
    found = messages.conversation_of(g.space, current_user, conversation_id)
    if found is None:
        abort(404)
    after = request.args.get("after", 0, type=int)
    items = messages.conversation_messages(found, after_id=after)
    if items:
        messages.mark_conversation_read(found, current_user)
    return partial("community/_new_dms.html", conversation=found, items=items, after=items[-1].id if items else after)


@bp.route("/messages/<username>", methods=["GET", "POST"])
def conversation(username):
    person = member_by_username(username)
    other = person.user
    form = MessageForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            messages.send_dm(g.space, current_user, other, form.body.data)
            return go_to(url_for("community.conversation", username=person.username))
    found = messages.conversation_between(g.space, current_user, other)
    items = messages.conversation_messages(found) if found else []
    if found:
        messages.mark_conversation_read(found, current_user)
    return show_form("community/conversation.html", form, person=person, items=items, conversation=found)
