"""Keeping order: hiding and pinning, the helpful answer, members' reports and the moderators' queue."""
from flask import abort, flash, g, request, url_for
from flask_login import current_user

from studio.community import moderation, posting
from studio.community.forms import ReportForm
from studio.community.models import Report
from studio.community.views.blueprint import bp, reply_url, visible_reply, visible_topic
from studio.security.access import can, requires_role, scoped_get_or_404
from studio.web import go_to, page, partial, refusals_onto, show_form, wants_fragment


@bp.post("/t/<int:topic_id>/hide")
def hide_topic(topic_id):
    item = visible_topic(topic_id)
    return toggle_hidden(item, item.id)


@bp.post("/r/<int:reply_id>/hide")
def hide_reply(reply_id):
    item = visible_reply(reply_id)
    return toggle_hidden(item, item.topic_id)


def toggle_hidden(item, topic_id):
    """Hide a topic or reply, or show it again (authors and moderators; see moderation.set_hidden)."""
    if not posting.may_edit(item, current_user, g.role):
        abort(403)
    with refusals_onto():
        moderation.set_hidden(item, current_user, g.role, not item.is_hidden)
    return go_to(url_for("community.topic", topic_id=topic_id))


@bp.get("/r/<int:reply_id>/actions")
def reply_actions(reply_id):
    """What the viewer may do with a reply besides Like and Reply, behind its More button: in place
    with htmx, a page of its own without JavaScript."""
    item = visible_reply(reply_id)
    topic = item.topic
    context = dict(reply=item, topic=topic, back=reply_url(topic.id, item.id),
                   may_edit=posting.may_edit(item, current_user, g.role),
                   may_mark_helpful=(topic.type == "question" and (can("moderator") or topic.author_id == current_user.id)
                                     and not item.is_helpful and item.author_id != topic.author_id))
    if wants_fragment():
        return partial("community/_reply_actions.html", **context)
    return page("community/reply_actions.html", **context)


@bp.post("/t/<int:topic_id>/pin")
@requires_role("moderator")
def pin(topic_id):
    item = visible_topic(topic_id)
    with refusals_onto():
        moderation.set_pinned(item, g.role, not item.is_pinned)
    return go_to(url_for("community.topic", topic_id=item.id))


@bp.post("/r/<int:reply_id>/helpful")
def helpful(reply_id):
    item = visible_reply(reply_id)
    topic = item.topic
    if not (can("moderator") or topic.author_id == current_user.id):
        abort(403)
    with refusals_onto():
        moderation.mark_helpful(g.space, topic, item, current_user, g.role)
        flash("Marked as the helpful answer: the topic shows solved.", "success")
    return go_to(reply_url(topic.id, item.id))


@bp.route("/t/<int:topic_id>/report", methods=["GET", "POST"])
def report_topic(topic_id):
    return report_form(visible_topic(topic_id), None)


@bp.route("/r/<int:reply_id>/report", methods=["GET", "POST"])
def report_reply(reply_id):
    item = visible_reply(reply_id)
    return report_form(item.topic, item)


def report_form(topic, reply):
    form = ReportForm()
    if form.validate_on_submit():
        moderation.report(g.space, current_user, form.reason.data, topic=None if reply else topic, reply=reply)
        flash("Thanks: a moderator will look at it.", "success")
        return go_to(url_for("community.topic", topic_id=topic.id))
    return show_form("community/report.html", form, topic=topic, reply=reply)


@bp.get("/moderation", endpoint="moderation")
@requires_role("moderator")
def queue():
    return page("community/moderation.html", reports=moderation.open_reports(g.space))


@bp.post("/moderation/<int:report_id>")
@requires_role("moderator")
def resolve(report_id):
    row = scoped_get_or_404(Report, report_id)
    action = request.form.get("action")
    if action in ("hide", "dismiss"):
        moderation.resolve_report(row, current_user, action)
        flash("Hidden." if action == "hide" else "Dismissed.", "success")
    return go_to(url_for("community.moderation"))
