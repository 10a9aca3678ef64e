"""Sign-up, log-in, password reset, profile, and accepting an invitation to a workspace's team."""
from flask import Blueprint, current_app, flash, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from studio.accounts import service
from studio.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
    WorkspaceForm,
)
from studio.accounts.invitation_views import accept_page, invitation_page, refused_link
from studio.accounts.links import LinkRefused
from studio.accounts.models import Invitation, InvitationKind, User
from studio.notify.mail import MailError, send_mail
from studio.portal.service import clients_of_user
from studio.refusal import Refused
from studio.urls import external_url
from studio.web import go_to, page, refusals_onto, safe_next_url, show_form, show_refusal

bp = Blueprint("accounts", __name__)
bp.app_errorhandler(LinkRefused)(refused_link)  # a spent or forged link, wherever it was opened


def login_limits():
    config = current_app.config
    return {
        "per_account": config["LOGIN_FAILURES_PER_ACCOUNT"],
        "per_address": config["LOGIN_FAILURES_PER_ADDRESS"],
        "window": config["LOGIN_FAILURE_WINDOW_SECONDS"],
    }




def workspace_home(user):
    workspace = service.home_workspace(user)
    if workspace is None:
        if clients_of_user(user):  # a client of an agency lands in their portal
            return url_for("portal.home")
        return url_for("accounts.new_workspace")
    return url_for("workspaces.dashboard", ws=workspace.slug)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return go_to(workspace_home(current_user))
    return go_to(url_for("accounts.login"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return go_to(workspace_home(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            user, workspace = service.sign_up(form.name.data, form.email.data, form.password.data, form.timezone.data)
            login_user(user)
            flash(f"Welcome to Studio, {user.name}. This is your workspace.", "success")
            return go_to(url_for("workspaces.dashboard", ws=workspace.slug))
    return show_form("accounts/signup.html", form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next_url(request.args.get("next"), None)
    if current_user.is_authenticated:
        return go_to(next_url or workspace_home(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data, request.remote_addr or "", login_limits())
        except service.LoginThrottled as refusal:  # not a form mistake: 429, Too Many Requests
            show_refusal(form, refusal)
            return page("accounts/login.html", form=form, status=429)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            login_user(user, remember=form.remember.data)
            return go_to(next_url or workspace_home(user))
    return show_form("accounts/login.html", form)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return go_to(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = service.find_user_by_email(form.email.data)
        if user is not None:
            token = service.make_reset_token(user, current_app.config["SECRET_KEY"])
            try:
                send_mail(
                    user.email,
                    "Reset your Studio password",
                    "password_reset",
                    user=user,
                    link=external_url("accounts.reset_password", token=token),
                    minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"],
                )
            except MailError as error:
                current_app.logger.error("password reset e-mail failed: %s", error)
                form.email.errors = ["We could not send the e-mail just now. Try again in a few minutes."]
                return show_form("accounts/forgot.html", form)
        # The same answer whether or not the account exists, so the form reveals no addresses.
        return page("accounts/forgot_sent.html", email=form.email.data)
    return show_form("accounts/forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = service.user_for_reset_token(
        token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_TTL_MINUTES"] * 60
    )
    form = ResetPasswordForm(user)
    if form.validate_on_submit():
        service.reset_password(user, form.password.data)
        flash("Your password is changed. Log in with the new one.", "success")
        return go_to(url_for("accounts.login"))
    return show_form("accounts/reset.html", form, token=token)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        service.update_profile(current_user, form.name.data, form.timezone.data)
        flash("Profile saved.", "success")
        return go_to(url_for("accounts.profile"))
    return show_form("accounts/profile.html", form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(current_user)
    if form.validate_on_submit():
        with refusals_onto(form):
            service.change_password(current_user, form.current_password.data, form.new_password.data)
            # A new password ends every other session (see User.session_stamp); keep this one.
            login_user(current_user._get_current_object())
            flash("Your password is changed. Other devices are logged out.", "success")
            return go_to(url_for("accounts.profile"))
    return show_form("accounts/password.html", form)


@bp.route("/workspaces/new", methods=["GET", "POST"])
@login_required
def new_workspace():
    form = WorkspaceForm()
    if form.validate_on_submit():
        workspace = service.add_workspace(current_user, form.name.data)
        flash(f"Workspace “{workspace.name}” created.", "success")
        return go_to(url_for("workspaces.dashboard", ws=workspace.slug))
    return show_form("accounts/new_workspace.html", form)


# ---- invitations to the team, from the e-mailed link ---------------------------------------------


def join_workspace(invite: Invitation, user: User, signed_up: bool) -> tuple[str, str]:
    service.accept_invitation(invite, user)
    welcome = f"Welcome to {invite.workspace.name}." if signed_up else f"You joined {invite.workspace.name}."
    return welcome, url_for("workspaces.dashboard", ws=invite.workspace.slug)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token):
    return invitation_page(token, InvitationKind.MEMBER, "accounts/invitation.html", join_workspace)


@bp.post("/invite/<token>/accept")
@login_required
def accept_invitation(token):
    return accept_page(token, InvitationKind.MEMBER, "accounts/invitation.html", join_workspace)
