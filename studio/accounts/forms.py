from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length, Regexp, ValidationError

from studio.accounts.models import Role
from studio.accounts.passwords import MAX_LENGTH, password_problem

INVITABLE_ROLES = [
    SelectChoice("viewer", "Viewer: sees everything, changes nothing"),
    SelectChoice("editor", "Editor: creates and schedules content"),
    SelectChoice("admin", "Admin: also manages members and settings"),
]
ROLE_CHOICES = [SelectChoice(role, role.title()) for role in Role]
TIMEZONES = sorted(available_timezones() - {"localtime", "Factory"})


def email_field(label="E-mail"):
    return EmailField(
        label,
        validators=[InputRequired("Enter your e-mail address."), limit(254), Email("Enter a valid e-mail address.")],
        filters=[lambda value: value.strip().lower() if value else value],
    )


def limit(most, least=0):
    """A length limit that says itself: refused beside the field in these words, shown under the
    field ("Up to N characters", macros/forms.html) and set as the input's maxlength."""
    if least:
        return Length(min=least, max=most, message=f"Use {least} to {most:,} characters.")
    return Length(max=most, message=f"Use at most {most:,} characters.")


def single_line_breaks(value):
    """A browser counts a line break as one character against maxlength but sends it as two (CR LF)."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


# Names go into e-mail headers and page titles: one line of printable text.
ONE_LINE = Regexp(r"^[^\x00-\x1f\x7f]*$", message="Use one line of text, without line breaks or control characters.")


def name_field(label="Name"):
    return StringField(
        label,
        validators=[InputRequired("Enter a name."), limit(120), ONE_LINE],
        filters=[lambda value: value.strip() if value else value],
    )


PASSWORD_HINT = "At least 10 characters; not a common password, your name or your e-mail."
ZONE_CHOICES = [SelectChoice(tz, tz.replace("_", " ")) for tz in TIMEZONES]


class BrowserTimezoneForm(FlaskForm):
    """A form whose Time zone starts at the browser's: the page's script reads Intl's zone into the
    field (marked data-browser-timezone) the first time the form is shown; it stays changeable, and
    without JavaScript the server's default (UTC) stands."""

    timezone = SelectField("Time zone", choices=ZONE_CHOICES, default="UTC",
                           description="Your browser's time zone; change it if it is not where you work.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():  # once submitted, the zone shown is the one chosen
            self.timezone.render_kw = {"data-browser-timezone": ""}


def check_strength(password, email, name):
    problem = password_problem(password or "", email or "", name or "")
    if problem:
        raise ValidationError(problem)


def strong_for_its_owner(form, field):
    """A new password may not be weak, nor made of its owner's e-mail or name (`form.owner()`)."""
    email, name = form.owner()
    check_strength(field.data, email, name)


def password_field(label="Password"):
    """A new password, for a form that says whose it is with `owner()`: (e-mail, name)."""
    return PasswordField(
        label,
        validators=[InputRequired("Choose a password."), limit(MAX_LENGTH), strong_for_its_owner],
        description=PASSWORD_HINT,
    )


class SignupForm(BrowserTimezoneForm):
    name = name_field("Your name")
    email = email_field()
    password = password_field()

    def owner(self):
        return self.email.data, self.name.data


class InvitedSignupForm(BrowserTimezoneForm):
    """Sign-up through an invitation: the e-mail is the invitation's and is not typed."""

    name = name_field("Your name")
    password = password_field()

    def __init__(self, invited_email, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email

    def owner(self):
        return self.invited_email, self.name.data


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), limit(MAX_LENGTH)])
    remember = BooleanField("Keep me logged in on this device")


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class UsersPasswordForm(FlaskForm):
    """A form that gives an existing account a new password."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def owner(self):
        return self.user.email, self.user.name


class ResetPasswordForm(UsersPasswordForm):
    password = password_field("New password")


class ChangePasswordForm(UsersPasswordForm):
    current_password = PasswordField("Current password", validators=[InputRequired("Enter your current password."),
                                                                     limit(MAX_LENGTH)])
    new_password = password_field("New password")


class ProfileForm(FlaskForm):
    name = name_field()
    timezone = SelectField("Time zone", choices=ZONE_CHOICES)


class WorkspaceForm(FlaskForm):
    name = StringField(
        "Workspace name",
        validators=[InputRequired("Name the workspace."), limit(120, least=2), ONE_LINE],
        filters=[lambda value: value.strip() if value else value],
    )


class InviteForm(FlaskForm):
    email = email_field("E-mail of the person to invite")
    role = SelectField("Role", choices=INVITABLE_ROLES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
