from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired

from studio.accounts.forms import ONE_LINE, limit


class RenameForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give it a title."), limit(200), ONE_LINE],
                        filters=[lambda value: value.strip() if value else value])
