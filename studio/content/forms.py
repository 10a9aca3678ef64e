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
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from studio.accounts.forms import ONE_LINE, limit, single_line_breaks
from studio.accounts.models import ApprovalMode
from studio.platforms import all_platforms

APPROVAL_MODE_LABELS = {
    ApprovalMode.NONE: "None: posts are scheduled when they are ready",
    ApprovalMode.INTERNAL: "The team: an owner or admin approves each post before it can be scheduled",
    ApprovalMode.CLIENT: "The team, then the client: a post for a client's accounts also waits for the client",
}


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def platform_choices() -> list[SelectChoice]:
    return [SelectChoice(p.key, p.name) for p in all_platforms() if p.key != "sandbox"] + [SelectChoice("sandbox", "Sandbox")]


class RequestForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give the request a title."), limit(200), ONE_LINE])
    goal = StringField("Goal", description="What it should achieve: a launch, sign-ups, a trend…",
                       validators=[Optional(), limit(200), ONE_LINE])
    brief = TextAreaField("Brief", description="What to say, to whom, and anything to avoid.",
                          validators=[Optional(), limit(5000)], filters=[single_line_breaks])
    platforms = CheckboxList("Platforms", choices=[], validate_choice=True)
    due_on = DateField("Due", validators=[Optional()])
    references = CheckboxList("Files from the library", coerce=int, choices=[], validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.platforms.choices = platform_choices()


class StaffRequestForm(RequestForm):
    client = SelectField("For client", coerce=int, choices=[], validators=[Optional()])
    assignee = SelectField("Assignee", coerce=int, choices=[], validators=[Optional()])


class VersionForm(FlaskForm):
    text = TextAreaField("Text", validators=[InputRequired("Write the version's text."), limit(5000)],
                         filters=[single_line_breaks])
    hashtags = StringField("Hashtags", description="Separated by spaces.", validators=[Optional(), limit(500), ONE_LINE])
    image_prompt = TextAreaField("Image prompt", validators=[Optional(), limit(1000)], filters=[single_line_breaks])


class EditVersionForm(FlaskForm):
    text = TextAreaField("Text", validators=[InputRequired("Write the version's text."), limit(5000)],
                         filters=[single_line_breaks])
    reason = StringField("Why (optional)", validators=[Optional(), limit(300), ONE_LINE])


class DraftsForm(FlaskForm):
    count = IntegerField("How many versions", default=3, validators=[InputRequired(), NumberRange(1, 5)])


class AssignForm(FlaskForm):
    assignee = SelectField("Assignee", coerce=int, choices=[])


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", description="@name tells a team member.",
                         validators=[InputRequired("Write something first."), limit(5000)], filters=[single_line_breaks])
    internal = BooleanField("Team only (the client does not see it)")
    parent_id = HiddenField()


class ChangesForm(FlaskForm):
    reason = TextAreaField("What should change", validators=[InputRequired("Say what should change, so whoever edits it knows."),
                                                             limit(2000)], filters=[single_line_breaks])


class ApprovalModeForm(FlaskForm):
    approval_mode = RadioField("Who approves posts", choices=[SelectChoice(mode.value, label)
                                                              for mode, label in APPROVAL_MODE_LABELS.items()])
