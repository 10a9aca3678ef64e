"""What every model is built from: the declarative base, the column types and the column shapes the
models share (an integer id, a time that defaults to now, a row owned by a workspace, a StrEnum
kept in a checked VARCHAR)."""
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, cast

from sqlalchemy import JSON, CheckConstraint, CursorResult, Dialect, Enum, ForeignKey, MetaData, Result
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import DateTime, TypeDecorator

# Named constraints keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def containing(text: str) -> str:
    """A LIKE pattern (used with escape="/") for values that hold `text` in any case: its own %, _
    and / are escaped, so a search for "100%" finds "100%" and nothing else."""
    return "%" + re.sub(r"([/%_])", r"/\1", text.lower()) + "%"


def tune_sqlite(connection: Any, record: Any) -> None:
    """Each SQLite connection writes ahead (WAL): readers go on reading while one writer commits,
    and a commit is an append rather than a rewrite of the journal, synced at checkpoints (a power
    cut may lose the last commits, never the file). The web processes, the scheduler's threads and
    the coach's writers share one file; with the default journal a commit blocks every reader."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime, on SQLite too (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base (Flask-SQLAlchemy builds `db.Model` from it; models subclass
    `studio.extensions.Model`). Every table has an integer primary key `id`; an annotation alone
    gives the column type: a `datetime` is a UTCDateTime, a `dict` or `list` is JSON."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict: JSON(), list: JSON()},
    )

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


# A moment that defaults to when the row was made: `created_at: Mapped[timestamp]`.
timestamp = Annotated[datetime, mapped_column(default=utcnow)]

# The workspace a row belongs to, deleted with it, indexed for "all of this workspace's rows". A table
# whose composite indexes lead with workspace_id needs no index of its own: `= mapped_column(index=False)`.
workspace_fk = Annotated[int, mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)]


def enum_type(values: type[StrEnum], length: int) -> Enum:
    """The column type of a StrEnum: its values in a VARCHAR(length), read back as its members.
    Plain strings are accepted too (a StrEnum member is one). The table's `one_of` CHECK keeps
    anything else out."""
    return Enum(values, native_enum=False, length=length, values_callable=_values)


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """CHECK (column IN (the enum's values)), named ck_<table>_<column>. A NULL passes, so a nullable
    column may still be empty."""
    return CheckConstraint(f"{column} IN ({', '.join(repr(member.value) for member in values)})", name=column)


def _values(values: type[StrEnum]) -> list[Any]:
    return [member.value for member in values]


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (a conditional update's "did I win?")."""
    return cast(CursorResult[Any], result).rowcount
