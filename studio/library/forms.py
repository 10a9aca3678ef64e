from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from studio.accounts.forms import ONE_LINE


class RenameForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give it a title."), Length(max=200), ONE_LINE],
                        filters=[lambda value: value.strip() if value else value])
