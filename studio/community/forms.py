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
    TimeField,
)
from wtforms.validators import URL, InputRequired, NumberRange, Optional, ValidationError

from studio.accounts.forms import ONE_LINE, TIMEZONES, limit, single_line_breaks
from studio.community.models import ChannelType, EventType, TopicType

TOPIC_LABELS = {TopicType.TEXT: "Discussion", TopicType.QUESTION: "Question", TopicType.WIN: "Win",
                TopicType.RESOURCE: "Resource", TopicType.EVENT: "Event"}


class TopicForm(FlaskForm):
    type = SelectField("Kind", choices=[SelectChoice(t, TOPIC_LABELS[t]) for t in TopicType],
                       default=TopicType.TEXT)
    title = StringField("Title", validators=[InputRequired("Give your post a title."), limit(200, least=3), ONE_LINE])
    body = TextAreaField("Post", description="Markdown works: **bold**, _italic_, lists, links, `code`. Mention with @username.",
                         validators=[InputRequired("Write something."), limit(20_000)], filters=[single_line_breaks])
    files = MultipleFileField("Attach files")


class ReplyForm(FlaskForm):
    body = TextAreaField("Reply", validators=[InputRequired("Write a reply."), limit(10_000)], filters=[single_line_breaks])
    parent_id = IntegerField(validators=[Optional()])


class EditForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), limit(200, least=3), ONE_LINE])
    body = TextAreaField("Text", validators=[InputRequired("The text cannot be empty."), limit(20_000)],
                         filters=[single_line_breaks])


class ReportForm(FlaskForm):
    reason = StringField("Why should a moderator look at this?", validators=[InputRequired("Say what is wrong."),
                                                                             limit(500), ONE_LINE])


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=[InputRequired("Write a message."), limit(5_000)],
                         filters=[single_line_breaks])


class ProfileForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired("Choose a username."), limit(30, least=2)])
    bio = TextAreaField("Bio", validators=[limit(1_000)], filters=[single_line_breaks])
    location = StringField("Location", validators=[Optional(), limit(80), ONE_LINE])
    links = TextAreaField("Links", description="One address per line (up to 5).", validators=[limit(1_500)],
                          filters=[single_line_breaks])
    allow_dms = BooleanField("Let members send me direct messages")
    email_notifications = BooleanField("E-mail me about mentions and replies")

    def validate_links(self, field: TextAreaField) -> None:
        links = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if len(links) > 5:
            raise ValidationError("At most 5 links.")
        for link in links:
            if not link.startswith(("https://", "http://")) or " " in link or len(link) > 300:
                raise ValidationError(f"“{link[:60]}” is not a web address (http:// or https://).")


class EventForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give the event a title."), limit(200), ONE_LINE])
    type = SelectField("Kind", choices=[SelectChoice(t, t.name.title()) for t in EventType])
    description = TextAreaField("Description", validators=[limit(10_000)], filters=[single_line_breaks])
    date = DateField("Date", validators=[InputRequired("Choose a date.")])
    starts_time = TimeField("Starts", validators=[InputRequired("Choose a start time.")])
    ends_time = TimeField("Ends", validators=[InputRequired("Choose an end time.")])
    timezone = SelectField("Time zone", choices=[SelectChoice(z, z) for z in TIMEZONES])
    meeting_url = StringField("Meeting link", description="Shown only to members who are going.",
                              validators=[Optional(), URL(message="Enter a web address."), limit(500)])
    capacity = IntegerField("Places", description="Leave empty for no limit.",
                            validators=[Optional(), NumberRange(min=1, max=100_000)])


class ChannelForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Name the channel."), limit(80), ONE_LINE])
    type = SelectField("Kind", choices=[SelectChoice(t, t.name.title()) for t in ChannelType],
                       default=ChannelType.GENERAL)
    description = StringField("Description", validators=[Optional(), limit(300), ONE_LINE])
