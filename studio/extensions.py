"""The shared extension instances, created unbound and bound in create_app."""
from typing import TYPE_CHECKING, ClassVar

from apscheduler.schedulers.background import BackgroundScheduler
from authlib.integrations.flask_client import OAuth
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.query import Query
from flask_wtf import CSRFProtect

from studio.database import Base

db = SQLAlchemy(model_class=Base)

# Every model subclasses `Model`. At run time it is Flask-SQLAlchemy's `db.Model`: Base's registry
# and metadata, with the `Model.query` property and bind keys. A type checker cannot take an
# attribute of an object as a base class (python/mypy#8603), so it is shown what that class is.
if TYPE_CHECKING:
    class Model(Base):
        __abstract__ = True
        query: ClassVar[Query]
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
oauth = OAuth()
scheduler = BackgroundScheduler(timezone="UTC")
