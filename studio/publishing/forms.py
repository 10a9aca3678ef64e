from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from studio.publishing.recurrence import WEEKDAYS, check
from studio.refusal import Refused
from studio.schedule_rules import PAST_TIME, has_passed


def checkboxes(label):
    return SelectMultipleField(label, coerce=int, choices=[], widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput())


class ZonedForm(FlaskForm):
    """A form whose date and time are wall-clock times in the person's zone (`zone=`)."""

    def __init__(self, *args, zone="UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def time_has_passed(self):
        return bool(self.date.data and self.time.data) and has_passed(self.date.data, self.time.data, self.zone)


class ComposeForm(ZonedForm):
    connections = checkboxes("Publish to")
    message = TextAreaField("Message", validators=[Length(max=63206)])
    media = checkboxes("Media from the library")
    showcase = BooleanField("Add its video to my storefront's showcase once published")
    when = RadioField("When", choices=[SelectChoice("schedule", "Schedule"), SelectChoice("now", "Post now"),
                                       SelectChoice("draft", "Save as draft")],
                      default="schedule")
    date = DateField("Date", validators=[Optional()])
    time = TimeField("Time", validators=[Optional()])
    repeat = SelectField("Repeat", default="", choices=[
        SelectChoice("", "Does not repeat"), SelectChoice("daily", "Every day"),
        SelectChoice("weekly", "Every week on…"), SelectChoice("monthly", "Every month on this day"),
        SelectChoice("cron", "Custom (cron)")])
    weekdays = SelectMultipleField("On", choices=[SelectChoice(d, d.title()) for d in WEEKDAYS],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    cron = StringField("Cron line", validators=[Optional(), Length(max=120)],
                       description="Minute hour day month weekday, in your time zone, e.g. 0 9 * * mon-fri")
    until = DateField("Until", validators=[Optional()])
    count = IntegerField("Times in all", validators=[Optional(), NumberRange(2, 366, "Use 2 to 366.")])

    def validate_cron(self, field):
        if self.repeat.data == "cron":
            if not (field.data or "").strip():
                raise ValidationError("Write the cron line, e.g. 0 9 * * mon-fri.")
            try:
                check(field.data)
            except Refused as error:
                raise ValidationError(str(error))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.repeat.data and self.when.data != "schedule":
            self.repeat.errors = list(self.repeat.errors) + ["Only a scheduled post can repeat."]
            ok = False
        if not self.connections.data:
            self.connections.errors = list(self.connections.errors) + ["Choose at least one account."]
            ok = False
        if self.when.data == "schedule" and not (self.date.data and self.time.data):
            self.date.errors = list(self.date.errors) + ["Choose the date and time to publish."]
            ok = False
        elif self.when.data == "schedule" and self.time_has_passed():
            self.date.errors = list(self.date.errors) + [PAST_TIME]
            ok = False
        return self.repeat_rule_is_sound() and ok

    def repeat_rule_is_sound(self):
        """A repeat rule that would silently do something else than it says is refused."""
        ok = True
        if self.repeat.data == "weekly" and not self.weekdays.data:
            self.weekdays.errors = list(self.weekdays.errors) + ["Tick at least one day of the week."]
            ok = False
        if self.repeat.data and self.until.data and self.date.data and self.until.data < self.date.data:
            self.until.errors = list(self.until.errors) + [
                f"The series would end before it starts: choose {self.date.data:%-d %B %Y} or later."]
            ok = False
        return ok


class RescheduleForm(ZonedForm):
    version = HiddenField(validators=[InputRequired()])
    date = DateField("Date", validators=[InputRequired("Choose a date.")])
    time = TimeField("Time", validators=[InputRequired("Choose a time.")])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.time_has_passed():
            self.date.errors = list(self.date.errors) + [PAST_TIME]
            ok = False
        return ok


class VersionForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class EditForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    message = TextAreaField("Message", validators=[Length(max=63206)])
    reason = StringField("Why (optional)", description="Kept in the post's history.",
                         validators=[Optional(), Length(max=300)])
