from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from studio.accounts.forms import ONE_LINE, TIMEZONES, limit, single_line_breaks
from studio.journey.models import PROGRAM_MONTHS, StepKind

KIND_LABELS = {StepKind.DELIVERABLE: "Deliverable (shared with the client)", StepKind.REMINDER: "Reminder to the client",
               StepKind.CELEBRATION: "Celebration", StepKind.CHECK_IN: "Check-in with the client",
               StepKind.ESCALATION: "Escalation to the team"}


class StartProgramForm(FlaskForm):
    start = DateField("Program starts", validators=[InputRequired("Choose the program's first day.")])
    zone = SelectField("The client's time zone", choices=[SelectChoice(z, z) for z in TIMEZONES], default="UTC")


class PauseForm(FlaskForm):
    reason = StringField("Why it pauses", description="The client sees it.",
                         validators=[InputRequired("Say why the program pauses (the client sees it)."), limit(300), ONE_LINE])


class StepForm(FlaskForm):
    month = IntegerField("Month", default=1, validators=[InputRequired(), NumberRange(1, PROGRAM_MONTHS, f"Use 1 to {PROGRAM_MONTHS}.")])
    day_offset = IntegerField("Days into the month", default=0, validators=[InputRequired(), NumberRange(0, 27, "Use 0 to 27.")])
    hour = IntegerField("Hour (client's time)", default=9, validators=[InputRequired(), NumberRange(0, 23, "Use 0 to 23.")])
    kind = SelectField("What happens", choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()])
    title = StringField("Title", description="{first_name}, {name}, {month} and {agency} are filled in.",
                        validators=[InputRequired("Give the step a title."), limit(200), ONE_LINE])
    body = TextAreaField("Text", validators=[Optional(), limit(5000)], filters=[single_line_breaks])
