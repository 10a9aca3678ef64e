from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from studio.accounts.forms import ONE_LINE, limit, single_line_breaks
from studio.coach.models import Capability
from studio.coach.service import QUESTION_LIMIT

CAPABILITY_LABELS = {
    Capability.PLAYBOOK: "Quote the program playbook, cited",
    Capability.PROGRAM: "Know the client's program month",
    Capability.DELIVERABLES: "Know the client's open deliverables",
    Capability.NUMBERS: "Know the client's latest posts and their numbers",
}
ANY_MONTH = 0
MONTH_CHOICES = [SelectChoice(ANY_MONTH, "Any month")] + [SelectChoice(month, f"Month {month}") for month in range(1, 9)]


class QuestionForm(FlaskForm):
    question = TextAreaField("Ask the coach", validators=[InputRequired("Write a question for the coach."),
                                                          limit(QUESTION_LIMIT)], filters=[single_line_breaks])


class RatingForm(FlaskForm):
    verdict = RadioField("Was this helpful?", choices=[SelectChoice("up", "Helpful"), SelectChoice("down", "Not helpful")],
                         validators=[InputRequired("Choose helpful or not helpful.")])
    feedback = TextAreaField("What was wrong? (optional)", validators=[limit(1000)])


def keyword_list(text: str | None) -> list[str]:
    """One keyword or phrase per line or comma."""
    words = [part.strip() for line in (text or "").splitlines() for part in line.split(",")]
    return list(dict.fromkeys(word for word in words if word))[:50]


def http_url(form, field):
    if field.data and not field.data.startswith(("http://", "https://")):
        raise ValidationError("Give the server's address starting with http:// or https://, e.g. http://localhost:11434/v1.")


class CoachSettingsForm(FlaskForm):
    is_active = BooleanField("The coach answers clients")
    system_prompt = TextAreaField("System prompt", validators=[InputRequired("Write the coach's instructions."), limit(8000)],
                                  description="Sent first with every question to a model. The playbook coach does not use it.",
                                  render_kw={"rows": 6})
    max_tokens_per_message = IntegerField("Tokens per answer at most", validators=[
        InputRequired("Give a number of tokens."), NumberRange(50, 8000, "Between 50 and 8,000 tokens.")])
    max_tokens_per_day = IntegerField("Tokens per client per day", validators=[
        InputRequired("Give a number of tokens."), NumberRange(100, 1_000_000, "Between 100 and 1,000,000 tokens.")],
        description="Counted from the provider's reported usage; resets at midnight UTC.")
    capabilities = SelectMultipleField("What the coach may use", choices=[SelectChoice(c.value, CAPABILITY_LABELS[c]) for c in Capability],
                                       option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
                                       render_kw={"class": "check-list"})
    escalation_keywords = TextAreaField("Hand-off words", validators=[limit(2000)], render_kw={"rows": 4},
                                        description="One per line or comma. A question with one of them, or asking for a "
                                                    "person, goes to your team and the coach goes quiet in that conversation.")
    api_url = URLField("Model server (OpenAI-compatible)", validators=[Optional(), limit(300), http_url],
                       description="Leave empty to use the server's COACH_API_URL setting; with neither, the coach "
                                   "answers from the playbook.")
    model = StringField("Model", validators=[limit(120), ONE_LINE])
    api_key = PasswordField("API key", validators=[limit(500)], description="Stored encrypted. Leave empty to keep the current key.")
    forget_api_key = BooleanField("Forget the stored key")

    def validate_model(self, field):
        if self.api_url.data and not (field.data or "").strip():
            raise ValidationError("Name the model to use on that server (e.g. llama3.1 or gpt-4o-mini).")


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give the article a title."), limit(200), ONE_LINE])
    program_month = SelectField("Program month", choices=MONTH_CHOICES, coerce=int, default=ANY_MONTH)
    body = TextAreaField("Article (Markdown)", validators=[InputRequired("Write the article."), limit(20_000)],
                         filters=[single_line_breaks], render_kw={"rows": 16})
