from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from studio.accounts.forms import ONE_LINE, email_field, limit, name_field, single_line_breaks
from studio.portal.models import ClientStatus

MONTHS = [SelectChoice(month, f"Month {month}") for month in range(1, 9)]


class ClientForm(FlaskForm):
    name = name_field("Name")
    email = email_field("E-mail")
    niche = StringField("Niche", validators=[Optional(), limit(80), ONE_LINE])
    program_start = DateField("Program start", validators=[Optional()])
    current_month = SelectField("Current month", choices=MONTHS, coerce=int, default=1)


class EditClientForm(ClientForm):
    email = None  # the address is the log-in; it does not change here
    status = SelectField("Status", choices=[SelectChoice(s, s.title()) for s in ClientStatus])


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=[InputRequired("Write a message."), limit(20_000)],
                         filters=[single_line_breaks])
    files = MultipleFileField("Attach files")


class NewThreadForm(MessageForm):
    subject = StringField("Subject", validators=[InputRequired("Give the conversation a subject."), limit(200),
                                                 ONE_LINE])


class DeliverableForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give the deliverable a title."), limit(200), ONE_LINE])
    program_month = SelectField("Program month", choices=MONTHS, coerce=int, default=1)
    body = TextAreaField("What it is", validators=[limit(50_000)], filters=[single_line_breaks])
    files = MultipleFileField("Files")


class EmailPreferencesForm(FlaskForm):
    new_message = BooleanField("New messages from the agency")
    new_deliverable = BooleanField("New deliverables")
    milestone_reminder = BooleanField("Program milestone reminders")
    weekly_summary = BooleanField("A weekly summary on Mondays")


class ClientAccountForm(FlaskForm):
    connection = SelectField("Account", coerce=int, validators=[InputRequired("Choose an account.")],
                             validate_choice=False)  # the service checks it is this workspace's


class ThreadStateForm(FlaskForm):
    state = SelectField("State", choices=[SelectChoice("open", "Open"), SelectChoice("resolved", "Resolved")])


class PageNumber(FlaskForm):
    class Meta:
        csrf = False

    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)], default=1)
