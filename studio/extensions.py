"""The shared extension instances, created unbound and bound in create_app."""
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from apscheduler.schedulers.background import BackgroundScheduler
from authlib.integrations.flask_client import OAuth
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.query import Query
from flask_wtf import CSRFProtect
from sqlalchemy import Executable, Result
from sqlalchemy.dialects import postgresql, sqlite

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


def insert_in_dialect(model: Any) -> Any:
    """INSERT for `model` in the database's own dialect, which has ON CONFLICT (SQLite and PostgreSQL
    spell it alike): upserts and insert-unless-there."""
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert(model)


def read_rows(statement: Executable, values: Mapping[str, Any]) -> Result[*tuple[Any, ...]]:
    """The rows of a statement that selects columns (not mapped objects), for a page to draw: run on
    the session's connection, without the ORM's work around each query, which takes about as long
    again as SQLite takes to answer a short one. What the request changed is flushed first, as the
    ORM would, so a read sees this request's writes."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, values)
