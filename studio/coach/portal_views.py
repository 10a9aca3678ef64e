"""The client's coach, inside their portal (the portal blueprint's client scope: another client's
conversation or answer answers 404)."""
from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_login import current_user
from markupsafe import escape
from sqlalchemy.orm import joinedload

from studio.coach import service, streams
from studio.coach.forms import QuestionForm, RatingForm
from studio.coach.models import CoachConversation, CoachMessage, PlaybookArticle
from studio.extensions import db
from studio.portal.views import bp
from studio.security.access import scoped_get_or_404
from studio.sse import event, event_stream
from studio.web import go_to, is_htmx, page, partial, refusals_onto

WITH_CONVERSATION = (joinedload(CoachMessage.conversation),)


def coach_page(conversation: CoachConversation | None, form: QuestionForm | None = None, status: int = 200):
    client = g.portal_client
    messages = service.messages_of(conversation) if conversation else []
    for message in messages:
        streams.settle_if_abandoned(message)
    config = service.config_for(client.workspace_id)
    return page("coach/portal.html", status=status, conversation=conversation, messages=messages,
                conversations=service.conversations_of(client), form=form or QuestionForm(formdata=None),
                budget=service.budget_of(client, config), config=config,
                uses_model=service.provider_settings(config) is not None)


@bp.get("/c/<int:client_id>/coach")
def coach(client_id):
    return coach_page(None)


@bp.get("/c/<int:client_id>/coach/<int:conversation_id>")
def coach_conversation(client_id, conversation_id):
    return coach_page(scoped_get_or_404(CoachConversation, conversation_id))


@bp.post("/c/<int:client_id>/coach/ask")
def coach_ask(client_id):
    return ask_in(None)


@bp.post("/c/<int:client_id>/coach/<int:conversation_id>/ask")
def coach_ask_more(client_id, conversation_id):
    return ask_in(scoped_get_or_404(CoachConversation, conversation_id))


def ask_in(conversation: CoachConversation | None):
    form = QuestionForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            conversation, asked = service.ask(g.portal_client, current_user, conversation, form.question.data)
            if asked.plan is not None and asked.answer is not None:
                streams.start(asked.answer.id, asked.plan)
            return go_to(url_for("portal.coach_conversation", conversation_id=conversation.id) + "#latest")
    return coach_page(conversation, form=form, status=422)


@bp.get("/c/<int:client_id>/coach/answers/<int:message_id>")
def coach_answer(client_id, message_id):
    """One answer as it stands (the page without JavaScript reloads this; the stream ends with it)."""
    message = scoped_get_or_404(CoachMessage, message_id, *WITH_CONVERSATION)
    streams.settle_if_abandoned(message)
    return message_partial(message)


def message_partial(message: CoachMessage, status: int = 200, **context):
    return partial("coach/_message.html", status=status, message=message, conversation=message.conversation,
                   last_id=service.last_message_id(message.conversation_id), **context)


@bp.get("/c/<int:client_id>/coach/answers/<int:message_id>/stream")
def coach_stream(client_id, message_id):
    """The answer's text past `from` (or the Last-Event-ID the browser sends when it reconnects),
    as it arrives, then the finished answer drawn whole."""
    message_id = scoped_get_or_404(CoachMessage, message_id).id
    offset = request.headers.get("Last-Event-ID", type=int) or request.args.get("from", type=int) or 0
    app = current_app._get_current_object()
    settings = app.config

    def events():
        for item in streams.follow(app, message_id, offset, settings["COACH_POLL_SECONDS"]):
            if item is None:
                yield None
            elif item[0] == "delta":
                yield event("delta", str(escape(item[1])), item[2])
            else:
                yield event("done", finished_html(message_id))
                db.session.remove()

    return event_stream(events())


def finished_html(message_id: int) -> str:
    message = db.session.execute(db.select(CoachMessage).where(CoachMessage.id == message_id)
                                 .options(*WITH_CONVERSATION)).scalar_one()
    return render_template("coach/_message.html", message=message, conversation=message.conversation,
                           last_id=service.last_message_id(message.conversation_id), finished=True)


def own_answer(message_id: int) -> CoachMessage:
    return scoped_get_or_404(CoachMessage, message_id, *WITH_CONVERSATION)


@bp.post("/c/<int:client_id>/coach/answers/<int:message_id>/stop")
def coach_stop(client_id, message_id):
    message = own_answer(message_id)
    if not service.stop(message):
        flash("That answer had already finished.", "info")
    return go_to(conversation_url(message))


@bp.post("/c/<int:client_id>/coach/answers/<int:message_id>/regenerate")
def coach_regenerate(client_id, message_id):
    message = own_answer(message_id)
    with refusals_onto():
        answer, plan = service.regenerate(g.portal_client, message)
        streams.start(answer.id, plan)
    return go_to(conversation_url(message))


@bp.post("/c/<int:client_id>/coach/answers/<int:message_id>/rate")
def coach_rate(client_id, message_id):
    message = own_answer(message_id)
    form = RatingForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            service.rate(message, form.verdict.data == "up", form.feedback.data)
            if not is_htmx():  # without JavaScript, back to the conversation, the rating shown
                return go_to(conversation_url(message, f"#coach-message-{message.id}"))
            return message_partial(message)
    if not is_htmx():
        for error in form.verdict.errors + form.feedback.errors:
            flash(error, "error")
        return go_to(conversation_url(message, f"#coach-message-{message.id}"))
    return message_partial(message, status=422, rating_form=form)


def conversation_url(message: CoachMessage, anchor: str = "#latest") -> str:
    return url_for("portal.coach_conversation", conversation_id=message.conversation_id) + anchor


@bp.get("/c/<int:client_id>/coach/playbook/<int:article_id>")
def coach_article(client_id, article_id):
    article = db.session.get(PlaybookArticle, article_id)
    if article is None or article.workspace_id != g.portal_client.workspace_id:
        abort(404)
    return page("coach/article.html", article=article)

