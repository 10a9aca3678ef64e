from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from studio.accounts.forms import ONE_LINE, limit


class PickAccountsForm(FlaskForm):
    accounts = SelectMultipleField("Pages to connect", choices=[], widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(),
                                   validators=[InputRequired("Choose at least one Page.")])


class SocialLinkForm(FlaskForm):
    label = StringField("Label", validators=[InputRequired("Name the link, e.g. Instagram."), limit(60), ONE_LINE],
                        filters=[lambda v: v.strip() if v else v])
    url = URLField("Address", validators=[InputRequired("Enter the profile's address."), limit(500)],
                   filters=[lambda v: v.strip() if v else v])

    def validate_url(self, field):
        parts = urlsplit(field.data or "")
        if parts.scheme not in ("http", "https") or not parts.netloc or "." not in parts.netloc:
            raise ValidationError("Enter a full web address starting with https://")
