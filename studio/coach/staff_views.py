"""The agency's side of the coach: ratings and conversations, hand-offs waiting for a person, the
coach's settings (with a connection test) and the program playbook."""
from flask import flash, g, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from studio.coach import reading, service
from studio.coach.forms import ANY_MONTH, ArticleForm, CoachSettingsForm, keyword_list
from studio.coach.models import CoachConversation, PlaybookArticle
from studio.coach.providers import OpenAICompatible, ProviderError, ProviderSettings
from studio.notify import service as notify
from studio.portal.models import Client
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.security.sanitize import render_markdown
from studio.web import go_to, is_htmx, page, refusals_onto, show_form

bp = workspace_blueprint("coach", __name__, "/coach")

WITH_CLIENT = (joinedload(CoachConversation.client),)


@bp.app_template_filter("markdown")
def markdown(source: str | None) -> Markup:
    """Coach answers, notices and playbook articles are Markdown: drawn as sanitised HTML."""
    return Markup(render_markdown(source))


@bp.get("", endpoint="index")
def overview():
    client_id = request.args.get("client", type=int)
    client = scoped_get_or_404(Client, client_id) if client_id else None
    waiting_only = request.args.get("waiting") == "1"
    return page("coach/staff_index.html", ratings=reading.ratings_of(g.workspace.id), client=client, waiting_only=waiting_only,
                handoffs=reading.unread_handoffs(current_user.id, g.workspace.id),
                conversations=reading.workspace_conversations(g.workspace.id, client_id, waiting_only),
                thumbs_down=reading.thumbs_down(g.workspace.id),
                uses_model=service.provider_settings(service.config_for(g.workspace.id)) is not None)


@bp.get("/conversations/<int:conversation_id>")
def conversation(conversation_id):
    item = scoped_get_or_404(CoachConversation, conversation_id, *WITH_CLIENT)
    notify.mark_read_about(current_user.id, None, url_for("coach.conversation", conversation_id=item.id))
    return page("coach/staff_conversation.html", conversation=item, messages=service.messages_of(item))


@bp.post("/conversations/<int:conversation_id>/hand-back")
@requires_role("editor")
def hand_back(conversation_id):
    item = scoped_get_or_404(CoachConversation, conversation_id, *WITH_CLIENT)
    with refusals_onto():
        service.hand_back(item, current_user)
        flash(f"The coach answers {item.client.name} in this conversation again.", "success")
    return go_to(url_for("coach.conversation", conversation_id=item.id))


def settings_form(config):
    if request.method == "POST":
        return CoachSettingsForm()
    form = CoachSettingsForm(obj=config, api_key=None)
    form.escalation_keywords.data = "\n".join(config.escalation_keywords or [])
    return form


@bp.route("/settings", methods=["GET", "POST"])
@requires_role("admin")
def settings():
    config = service.config_for(g.workspace.id)
    form = settings_form(config)
    if form.validate_on_submit():
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        values["escalation_keywords"] = keyword_list(form.escalation_keywords.data)
        values["api_url"], values["model"] = (values["api_url"] or "").strip(), (values["model"] or "").strip()
        service.update_config(config, current_user, values)
        flash("Coach settings saved.", "success")
        return go_to(url_for("coach.settings"))
    return show_form("coach/staff_settings.html", form, config=config, effective=service.provider_settings(config))


@bp.post("/settings/test")
@requires_role("admin")
def test_connection():
    """Ask the model server named in the form (or, with none, the one in use) which models it has."""
    config = service.config_for(g.workspace.id)
    url = (request.form.get("api_url") or "").strip()
    if url:
        # The stored key goes only to the server it was saved for, never to another address typed here.
        stored_key = (config.api_key or "") if url.rstrip("/") == config.api_url.rstrip("/") else ""
        settings = ProviderSettings(api_url=url, model=(request.form.get("model") or "").strip(),
                                    api_key=request.form.get("api_key") or stored_key)
    else:
        settings = service.provider_settings(config)
    if settings is None:
        result, kind = "No model server is set: the coach answers from the playbook.", "warning"
    else:
        try:
            result, kind = OpenAICompatible(settings).check(), "success"
        except ProviderError as error:
            result, kind = str(error), "error"
    if not is_htmx():  # without JavaScript the settings page shows the result
        flash(result, kind)
        return go_to(url_for("coach.settings"))
    return Markup(f'<p class="flash flash-{kind}" role="status">{escape(result)}</p>')


@bp.get("/playbook")
def playbook():
    return page("coach/staff_playbook.html", articles=reading.articles_of(g.workspace.id), form=ArticleForm(formdata=None))


@bp.route("/playbook/new", methods=["GET", "POST"])
@requires_role("editor")
def new_article():
    return edit_article_page(None)


@bp.route("/playbook/<int:article_id>", methods=["GET", "POST"])
@requires_role("editor")
def edit_article(article_id):
    return edit_article_page(scoped_get_or_404(PlaybookArticle, article_id))


def edit_article_page(article):
    form = ArticleForm(obj=article) if request.method == "GET" and article else ArticleForm()
    if request.method == "GET" and article:
        form.program_month.data = article.program_month or ANY_MONTH
    if form.validate_on_submit():
        month = form.program_month.data or None
        saved = reading.save_article(g.workspace.id, article, month, form.title.data, form.body.data)
        flash(f"“{saved.title}” saved.", "success")
        return go_to(url_for("coach.playbook") + f"#article-{saved.id}")
    return show_form("coach/staff_article.html", form, article=article)


@bp.post("/playbook/<int:article_id>/delete")
@requires_role("editor")
def delete_article(article_id):
    article = scoped_get_or_404(PlaybookArticle, article_id)
    reading.delete_article(article)
    flash(f"“{article.title}” deleted.", "success")
    return go_to(url_for("coach.playbook"))
