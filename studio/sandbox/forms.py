from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField
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


def milliseconds(label):
    return IntegerField(label, default=0, validators=[InputRequired("Enter a number of milliseconds."),
                                                      NumberRange(0, 60000, "Use 0 to 60,000 ms.")])


class FaultsForm(FlaskForm):
    error_rate = percent("Server errors (503), % of calls")
    rate_limit_rate = percent("Rate limits (429), % of calls")
    retry_after_seconds = IntegerField("Retry-After on a 429, seconds", default=30,
                                       validators=[InputRequired(), NumberRange(1, 3600, "Use 1 to 3,600 seconds.")])
    latency_ms = milliseconds("Added latency on every call, milliseconds")
    create_latency_ms = milliseconds("More latency when creating a post, milliseconds")
    media_latency_ms = milliseconds("More latency on media uploads, milliseconds")
    token_latency_ms = milliseconds("More latency at the token endpoint, milliseconds")
    lookup_latency_ms = milliseconds("More latency when looking a post up, milliseconds")
    error_after_create_rate = percent("Post stored, then a server error (500), % of create calls")
    drop_after_create_rate = percent("Post stored, then the connection dropped, % of create calls")
    no_idempotency = BooleanField("No idempotency: a repeated client reference makes a second post (as on X)")
    lookup_lag_seconds = IntegerField("Look-ups lag behind creates by, seconds", default=0,
                                      description="A post younger than this is not found by its reference yet.",
                                      validators=[InputRequired("Enter a number of seconds."),
                                                  NumberRange(0, 3600, "Use 0 to 3,600 seconds.")])

    def validate_rate_limit_rate(self, field):
        if (self.error_rate.data or 0) + (field.data or 0) > 100:
            raise ValidationError("Errors and rate limits together cannot pass 100%.")

    def validate_drop_after_create_rate(self, field):
        if (self.error_after_create_rate.data or 0) + (field.data or 0) > 100:
            raise ValidationError("Errors and dropped connections after a create together cannot pass 100%.")
