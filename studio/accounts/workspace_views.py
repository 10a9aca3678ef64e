"""A workspace's own pages: its dashboard, members and invitations, and settings."""
from datetime import datetime, timedelta

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user

from studio.accounts import service
from studio.accounts.forms import InviteForm, RoleForm, WorkspaceForm
from studio.accounts.models import Invitation, InvitationKind, Membership
from studio.analytics import dashboard as analytics
from studio.analytics.alerts import recent_alerts
from studio.connections import service as connections
from studio.connections.forms import SocialLinkForm
from studio.content import approvals
from studio.journey import service as journey
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.publishing import service as publishing
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.urls import external_url
from studio.web import go_to, page, refusals_onto, safe_next_url, show_form, viewer_zone, wants_fragment

bp = workspace_blueprint("workspaces", __name__)


TEAM_PREVIEW = 8
INVITATIONS_SHOWN = 50


@bp.get("/")
def dashboard():
    service.remember_workspace(current_user, g.workspace)
    return page(
        "workspaces/dashboard.html",
        members=service.first_members(g.workspace, TEAM_PREVIEW),
        member_count=service.count_members(g.workspace),
        invitation_count=service.count_pending_invitations(g.workspace),
        links=connections.social_links(g.workspace),
        alerts=recent_alerts(g.workspace.id),
        next_posts=publishing.next_posts(g.workspace),
        attention=publishing.attention_count(g.workspace),
        to_approve=None if g.workspace.approval_mode == "none" else approvals.waiting_count(g.workspace),
        program_attention=journey.needing_attention(g.workspace),
        unread_notifications=notify.unread_count(current_user.id, None, workspace_id=g.workspace.id),
        week=analytics.week_totals(g.workspace.id, analytics.range_ending(datetime.now(viewer_zone()).date(), 7)),
        zone=viewer_zone(),
    )


# ---- members and invitations -------------------------------------------------------------------


def invite_form_for(membership, submitted=False):
    """The invitation form, offering only the roles this member may grant."""
    form = InviteForm() if submitted else InviteForm(formdata=None)
    if membership.role != "owner":
        form.role.choices = [choice for choice in form.role.choices if choice.value not in ("owner", "admin")]
    return form


def members_page(invite_form=None, status=200):
    return page(
        "workspaces/members.html",
        block="panel",
        status=status,
        members=service.members_page(g.workspace, request.args.get("page", 1, type=int)),
        invitations=service.pending_invitations(g.workspace, limit=INVITATIONS_SHOWN),
        invitation_count=service.count_pending_invitations(g.workspace),
        invite_form=invite_form or invite_form_for(g.membership),
        role_form=RoleForm(formdata=None),
    )


def members_changed(message=None, category="success"):
    """After a change (or a refusal, already flashed): htmx gets the refreshed panel, a plain form
    post a redirect to the page."""
    if message:
        flash(message, category)
    if wants_fragment():
        return members_page()
    return go_to(url_for("workspaces.members"))


def invite_ttl():
    return timedelta(hours=current_app.config["INVITE_TTL_HOURS"])


def email_invitation(invitation, token):
    """Send the invitation; True when it left. A mail outage keeps the invitation (Resend works)."""
    try:
        send_invitation_mail(invitation, token)
    except MailError as error:
        current_app.logger.warning("invitation e-mail to %s failed: %s", invitation.email, error)
        return False
    return True


def send_invitation_mail(invitation, token):
    send_mail(
        invitation.email,
        f"{current_user.name} invited you to {g.workspace.name} on Studio",
        "invitation",
        invitation=invitation,
        inviter=current_user,
        workspace=g.workspace,
        link=external_url("accounts.invitation", token=token),
        hours=current_app.config["INVITE_TTL_HOURS"],
    )


@bp.get("/members")
def members():
    return members_page()


@bp.post("/members/invite")
@requires_role("admin")
def invite():
    form = invite_form_for(g.membership, submitted=True)
    if form.validate_on_submit():
        with refusals_onto(form):
            invitation, token = service.invite(g.membership, form.email.data, form.role.data, invite_ttl())
            if not email_invitation(invitation, token):
                return members_changed(f"The invitation for {invitation.email} is saved, but the e-mail could not be "
                                       "sent. Try Resend in a moment.", "warning")
            return members_changed(f"Invitation sent to {invitation.email}.")
    return members_page(invite_form=form, status=422)


def member_invitation_or_404(invitation_id):
    """One of the workspace's invitations to its team (a client's portal invitation is not one)."""
    invitation = scoped_get_or_404(Invitation, invitation_id)
    if invitation.kind != InvitationKind.MEMBER:
        abort(404)
    return invitation


@bp.post("/invitations/<int:invitation_id>/resend")
@requires_role("admin")
def resend_invitation(invitation_id):
    invitation = member_invitation_or_404(invitation_id)
    with refusals_onto():
        token = service.resend_invitation(invitation, invite_ttl())
        if not email_invitation(invitation, token):
            return members_changed(f"The e-mail to {invitation.email} could not be sent. Try again in a moment.", "warning")
        return members_changed(f"Invitation sent again to {invitation.email}. The earlier link no longer works.")
    return members_changed()


@bp.post("/invitations/<int:invitation_id>/revoke")
@requires_role("admin")
def revoke_invitation(invitation_id):
    invitation = member_invitation_or_404(invitation_id)
    service.revoke_invitation(invitation)
    return members_changed(f"Invitation for {invitation.email} withdrawn.")


@bp.post("/members/<int:membership_id>/role")
@requires_role("admin")
def change_role(membership_id):
    target = scoped_get_or_404(Membership, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return members_changed("Choose one of the listed roles.", "error")
    with refusals_onto():
        service.change_role(g.membership, target, form.role.data)
        return members_changed(f"{target.user.name} is now {target.role}.")
    return members_changed()


@bp.post("/members/<int:membership_id>/remove")
@requires_role("admin")
def remove_member(membership_id):
    target = scoped_get_or_404(Membership, membership_id)
    name, removed_self = target.user.name, target.user_id == current_user.id
    with refusals_onto():
        service.remove_member(g.membership, target)
        if removed_self:
            # An owner who leaves can no longer see this workspace: take them home.
            flash(f"You left {g.workspace.name}.", "success")
            return go_to(url_for("accounts.index"))
        return members_changed(f"{name} no longer belongs to {g.workspace.name}.")
    return members_changed()


# ---- settings ----------------------------------------------------------------------------------


def settings_page(form):
    return show_form("workspaces/settings.html", form, links=connections.social_links(g.workspace),
                     link_form=SocialLinkForm(formdata=None))


@bp.get("/settings")
def settings():
    return settings_page(WorkspaceForm(obj=g.workspace))


@bp.post("/settings")
@requires_role("admin")
def save_settings():
    form = WorkspaceForm()
    if form.validate_on_submit():
        service.rename_workspace(g.workspace, form.name.data)
        flash("Workspace settings saved.", "success")
        return go_to(url_for("workspaces.settings"))
    return settings_page(form)


# ---- the team's notifications ------------------------------------------------------------------


@bp.get("/notifications")
def notifications():
    """What the person was told in this workspace: approvals waiting, changes asked, mentions,
    program escalations, alerts (also e-mailed)."""
    unread_only = request.args.get("unread") == "1"
    return page("workspaces/notifications.html", unread_only=unread_only,
                notifications=notify.notifications_for(current_user.id, None, unread_only, workspace_id=g.workspace.id))


@bp.get("/notifications/<int:notification_id>")
def open_notification(notification_id):
    item = notify.open_notification(current_user.id, notification_id, workspace_id=g.workspace.id, client_id=None)
    if item is None:
        abort(404)
    return redirect(safe_next_url(item.action_url, url_for("workspaces.notifications")))
