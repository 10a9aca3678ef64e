"""Connected accounts: the connections page, the OAuth callback, refresh, reconnect, disconnect."""
from flask import Blueprint, abort, flash, g, request, session, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from studio.accounts.forms import WorkspaceForm
from studio.accounts.roles import role_at_least
from studio.connections import service
from studio.connections.forms import PickAccountsForm, SocialLinkForm
from studio.connections.models import PlatformConnection, SocialLink
from studio.platforms import PLATFORM_CLASSES, all_platforms, get_platform
from studio.platforms.errors import AuthError, RetryableError
from studio.refusal import Refused
from studio.security.access import (
    load_membership,
    requires_role,
    scoped_get_or_404,
    workspace_blueprint,
)
from studio.urls import external_url
from studio.web import go_to, page, refusals_onto, show_form, wants_fragment

bp = workspace_blueprint("connections", __name__)
callbacks = Blueprint("connection_callbacks", __name__)

MAX_FLOWS_IN_SESSION = 5


def platform_or_404(key):
    if key not in PLATFORM_CLASSES:
        abort(404)
    return key


def redirect_uri(platform_key):
    return external_url("connection_callbacks.callback", platform=platform_key)


def connections_page(status=200):
    platforms = all_platforms()
    return page("connections/index.html", block="panel", status=status, connections=service.connections_of(g.workspace),
                platforms=platforms, by_key={platform.key: platform for platform in platforms}, redirect_uri=redirect_uri)


def connections_changed(message, category="success"):
    flash(message, category)
    return back_to_connections()


def back_to_connections():
    """After a change: the panel again for htmx (with what was flashed), else the page."""
    if wants_fragment():
        return connections_page()
    return go_to(url_for("connections.index"))


@bp.get("/connections")
def index():
    return connections_page()


def begin(platform_key, reconnect_id=None, login_hint=None):
    with refusals_onto():
        url, state, flow = service.start_authorization(platform_key, g.workspace, redirect_uri(platform_key), reconnect_id,
                                                       login_hint)
        flows = dict(session.get("oauth_flows", {}))
        flows[state] = flow
        # Keep only the newest few unfinished flows: the session is a cookie.
        session["oauth_flows"] = dict(sorted(flows.items(), key=lambda item: item[1]["started"])[-MAX_FLOWS_IN_SESSION:])
        return go_to(url)
    return back_to_connections()


@bp.post("/connections/<platform>/connect")
@requires_role("editor")
def connect(platform):
    return begin(platform_or_404(platform))


@bp.post("/connections/<int:connection_id>/reconnect")
@requires_role("editor")
def reconnect(connection_id):
    connection = scoped_get_or_404(PlatformConnection, connection_id)
    return begin(connection.platform, connection.id, connection.username)


@bp.post("/connections/<int:connection_id>/refresh")
@requires_role("editor")
def refresh(connection_id):
    connection = scoped_get_or_404(PlatformConnection, connection_id)
    try:
        service.refresh_connection(connection)
    except service.CannotRefresh as error:
        return connections_changed(str(error), "warning")
    except AuthError as error:
        return connections_changed(f"@{connection.username} needs reconnecting: {error}", "error")
    except RetryableError as error:
        return connections_changed(f"Could not refresh @{connection.username} right now: {error}", "warning")
    return connections_changed(f"Refreshed @{connection.username}.")


@bp.post("/connections/<int:connection_id>/disconnect")
@requires_role("admin")
def disconnect(connection_id):
    connection = scoped_get_or_404(PlatformConnection, connection_id)
    name = f"{get_platform(connection.platform).name} account @{connection.username}"
    problem = service.disconnect(connection)
    if problem:
        return connections_changed(f"Disconnected {name}. The platform could not confirm the revocation: {problem}", "warning")
    return connections_changed(f"Disconnected {name}; its tokens are deleted and revoked.")


@bp.route("/connections/pick/<int:pending_id>", methods=["GET", "POST"])
@requires_role("editor")
def pick(pending_id):
    pending = service.find_pending(g.workspace, current_user, pending_id)
    if pending is None:
        abort(404)
    choices = service.pending_choices(pending)
    form = PickAccountsForm()
    form.accounts.choices = [SelectChoice(item.account.id, item.account.display_name or item.account.username)
                             for item in choices]
    if form.validate_on_submit():
        connections = service.connect_chosen(pending, form.accounts.data, current_user)
        names = ", ".join(connection.display_name or connection.username for connection in connections)
        flash(f"Connected {names}.", "success")
        return go_to(url_for("connections.index"))
    return show_form("connections/pick.html", form, platform=get_platform(pending.platform), pending=pending)


# ---- profile links -----------------------------------------------------------------------------


@bp.post("/links")
@requires_role("admin")
def add_link():
    form = SocialLinkForm()
    if form.validate_on_submit():
        service.add_social_link(g.workspace, form.label.data, form.url.data)
        flash("Profile link added.", "success")
        return go_to(url_for("workspaces.settings"))
    # The settings page draws both forms; this one comes back with its errors.
    return page("workspaces/settings.html", status=422, form=WorkspaceForm(obj=g.workspace), link_form=form,
                links=service.social_links(g.workspace))


@bp.post("/links/<int:link_id>/remove")
@requires_role("admin")
def remove_link(link_id):
    service.remove_social_link(scoped_get_or_404(SocialLink, link_id))
    flash("Profile link removed.", "success")
    return go_to(url_for("workspaces.settings"))


# ---- the OAuth callback (one fixed address per platform, as platforms require) -------------------


@callbacks.get("/connections/callback/<platform>")
@login_required
def callback(platform):
    platform_or_404(platform)
    flows = dict(session.get("oauth_flows", {}))
    flow = flows.pop(request.args.get("state", ""), None)
    session["oauth_flows"] = flows  # a state works once
    name = get_platform(platform).name
    if not service.flow_is_fresh(flow) or flow["platform"] != platform:
        return oauth_error(name, "This sign-in could not be matched to one you started here (the state did not "
                                 "match or has expired), so nothing was connected. Start again from Connections.")
    membership = load_membership(current_user.id, flow["slug"])
    if membership is None or not role_at_least(membership.role, "editor"):
        return oauth_error(name, "You can no longer connect accounts in that workspace.", status=403)
    try:
        outcome, result = service.complete_authorization(platform, flow, request.args, redirect_uri(platform), current_user)
    except Refused as refusal:  # this page, not the flash area: the person arrived from the platform
        return oauth_error(name, str(refusal), slug=flow["slug"])
    except RetryableError as error:
        return oauth_error(name, str(error), status=502, slug=flow["slug"])
    if outcome == "pick":
        return go_to(url_for("connections.pick", ws=flow["slug"], pending_id=result.id))
    names = ", ".join(f"@{connection.username}" for connection in result)
    flash(f"Connected {name} account {names}.", "success")
    return go_to(url_for("connections.index", ws=flow["slug"]))


def oauth_error(platform_name, message, status=400, slug=None):
    return page("connections/oauth_error.html", platform_name=platform_name, message=message, slug=slug, status=status)
