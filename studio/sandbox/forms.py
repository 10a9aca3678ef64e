from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from studio.accounts.forms import ONE_LINE, limit


class ConsentForm(FlaskForm):
    handle = StringField(
        "Sandbox handle",
        validators=[InputRequired("Choose a handle."), limit(31),  # 30, and an @ in front if one likes
                    Regexp(r"^@?[A-Za-z0-9_]{2,30}$", message="2 to 30 letters, digits or underscores.")],
        description="The sandbox account to sign in as; a new handle creates the account.",
    )
    display_name = StringField("Display name", validators=[Optional(), limit(80), ONE_LINE])
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")


def percent(label):
    return IntegerField(label, default=0, validators=[InputRequired("Enter a percentage."),
                                                      NumberRange(0, 100, "Use 0 to 100.")])


class FaultsForm(FlaskForm):
    error_rate = percent("Server errors (503), % of calls")
    rate_limit_rate = percent("Rate limits (429), % of calls")
    retry_after_seconds = IntegerField("Retry-After on a 429, seconds", default=30,
                                       validators=[InputRequired(), NumberRange(1, 3600, "Use 1 to 3,600 seconds.")])
    latency_ms = IntegerField("Added latency, milliseconds", default=0,
                              validators=[InputRequired(), NumberRange(0, 10000, "Use 0 to 10,000 ms.")])

    def validate_rate_limit_rate(self, field):
        if (self.error_rate.data or 0) + (field.data or 0) > 100:
            raise ValidationError("Errors and rate limits together cannot pass 100%.")
