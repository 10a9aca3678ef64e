from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, NumberRange, Optional, Regexp

from studio.accounts.forms import ONE_LINE, limit, single_line_breaks
from studio.content.forms import CheckboxList
from studio.storefront.inquiries import MESSAGE_LENGTH
from studio.storefront.models import ServiceType, ShowcaseKind
from studio.storefront.service import CURRENCIES
from studio.storefront.visitors import COMMENT_LENGTH

SERVICE_TYPE_LABELS = {
    ServiceType.ARTISAN: "Artisan: craft or creative work",
    ServiceType.AGENT: "Agent: sales or representation",
    ServiceType.DRIVER: "Driver: delivery or transport",
}
SHOWCASE_KIND_LABELS = {ShowcaseKind.SHORT: "Short", ShowcaseKind.LONG: "Long", ShowcaseKind.DEMO: "Demo"}


class ProfileForm(FlaskForm):
    display_name = StringField("Name on the page", validators=[InputRequired("Give the page a name."), limit(120), ONE_LINE])
    headline = StringField("Headline", description="One line under your name: what you make, for whom.",
                           validators=[Optional(), limit(160), ONE_LINE])
    bio = TextAreaField("About", validators=[Optional(), limit(2000)], filters=[single_line_breaks])
    country = StringField("Country", description="Its two-letter code, e.g. DE, US or BR.",
                          validators=[Optional(), Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter country code, e.g. DE.")])
    avatar = SelectField("Picture", coerce=int, choices=[], validate_choice=False)
    show_followers = BooleanField("Show my accounts' follower counts")


class ServiceForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Name the service."), limit(120), ONE_LINE])
    description = TextAreaField("Description", validators=[Optional(), limit(2000)], filters=[single_line_breaks])
    price = DecimalField("Price", places=2, validators=[InputRequired("Enter a price (0 for free or on request)."),
                                                        NumberRange(0, 1_000_000, "Use a price from 0 to 1,000,000.")])
    currency = SelectField("Currency", choices=[SelectChoice(code, code) for code in CURRENCIES], default="EUR")
    type = SelectField("Kind", choices=[SelectChoice(kind.value, label) for kind, label in SERVICE_TYPE_LABELS.items()])
    active = BooleanField("Shown on the page", default=True)


class UpdateForm(FlaskForm):
    body = TextAreaField("Update", validators=[InputRequired("Write something for the update."), limit(3000)],
                         filters=[single_line_breaks])
    images = CheckboxList("Images from your library", coerce=int, choices=[], validate_choice=False)


class ShowcaseForm(FlaskForm):
    shown = BooleanField("In the showcase")
    kind = SelectField("Kind", choices=[SelectChoice(kind.value, label) for kind, label in SHOWCASE_KIND_LABELS.items()])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[InputRequired("Write a comment first."), limit(COMMENT_LENGTH)],
                         filters=[single_line_breaks])


class InquiryForm(FlaskForm):
    name = StringField("Your name", validators=[InputRequired("Tell us your name."), limit(120), ONE_LINE])
    email = EmailField("Your e-mail", description="We send a link to confirm it; answers arrive there too.",
                       validators=[InputRequired("Enter your e-mail address."), Email("Enter a valid e-mail address."), limit(254)])
    body = TextAreaField("Your question", validators=[InputRequired("Write your question."), limit(MESSAGE_LENGTH)],
                         filters=[single_line_breaks])


class ReplyForm(FlaskForm):
    body = TextAreaField("Message", validators=[InputRequired("Write your message."), limit(MESSAGE_LENGTH)],
                         filters=[single_line_breaks])
