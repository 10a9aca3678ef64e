from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


def checkboxes(label):
    return SelectMultipleField(label, coerce=int, choices=[], widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput())


class ComposeForm(FlaskForm):
    connections = checkboxes("Publish to")
    message = TextAreaField("Message", validators=[Length(max=63206)])
    media = checkboxes("Media from the library")
    when = RadioField("When", choices=[SelectChoice("schedule", "Schedule"), SelectChoice("now", "Post now"),
                                       SelectChoice("draft", "Save as draft")],
                      default="schedule")
    date = DateField("Date", validators=[Optional()])
    time = TimeField("Time", validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.connections.data:
            self.connections.errors = list(self.connections.errors) + ["Choose at least one account."]
            ok = False
        if self.when.data == "schedule" and not (self.date.data and self.time.data):
            self.date.errors = list(self.date.errors) + ["Choose the date and time to publish."]
            ok = False
        return ok


class RescheduleForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    date = DateField("Date", validators=[InputRequired("Choose a date.")])
    time = TimeField("Time", validators=[InputRequired("Choose a time.")])


class VersionForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class EditForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    message = TextAreaField("Message", validators=[Length(max=63206)])
