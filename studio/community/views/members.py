"""Members' pages: profiles, editing one's own, the leaderboard, notifications, bookmarks and search."""
from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user

from studio.community import members, reading, search
from studio.community.forms import ProfileForm
from studio.community.views.blueprint import bp, member_by_username
from studio.notify import service as notify
from studio.web import go_to, page, refusals_onto, safe_next_url, show_form


@bp.get("/u/<username>")
def profile(username):
    person = member_by_username(username)
    return page("community/profile.html", person=person, badges=members.BADGES,
                topics=reading.topics_by(g.space, person.user_id, current_user, g.role))


@bp.route("/profile", methods=["GET", "POST"])
def edit_profile():
    mine = g.profile
    if request.method == "GET":
        form = ProfileForm(obj=mine)
        form.links.data = "\n".join(mine.links or [])  # the column holds a list; the box, one address a line
    else:
        form = ProfileForm()
    if form.validate_on_submit():
        links = [line.strip() for line in (form.links.data or "").splitlines() if line.strip()]
        with refusals_onto(form):
            members.update_profile(mine, form.username.data, form.bio.data or "", form.location.data or "", links,
                                   form.allow_dms.data, form.email_notifications.data)
            flash("Profile saved.", "success")
            return go_to(url_for("community.profile", username=mine.username))
    return show_form("community/edit_profile.html", form)


@bp.get("/leaderboard")
def leaderboard():
    period = request.args.get("period", "week")
    period = period if period in ("week", "month", "all") else "week"
    return page("community/leaderboard.html", period=period, leaders=members.leaderboard(g.space, period))


@bp.get("/notifications")
def notifications():
    return page("community/notifications.html", notifications=members.community_notifications(g.space, current_user))


@bp.get("/notifications/<int:notification_id>")
def open_notification(notification_id):
    item = notify.open_notification(current_user.id, notification_id, workspace_id=g.space.id, client_id=None)
    if item is None:
        abort(404)
    return redirect(safe_next_url(item.action_url, url_for("community.notifications")))


@bp.get("/bookmarks")
def bookmarks():
    return page("community/bookmarks.html", topics=reading.bookmarks(g.space, current_user, g.role))


@bp.get("/search", endpoint="search")
def find():
    query = request.args.get("q", "").strip()[:200]
    return page("community/search.html", query=query, results=search.search(g.space, query, current_user, g.role))
