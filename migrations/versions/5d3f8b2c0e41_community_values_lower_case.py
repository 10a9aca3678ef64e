"""community values lower case and checked: channel, topic and event types and RSVP answers become
lower case like every other such value in Studio ("GOING" becomes "going", "QA" "qa"), and each of
those columns, and a report's status, holds one of its enum's values or is refused by a CHECK
constraint named ck_<table>_<column>. None of these columns has a server default.

Revision ID: 5d3f8b2c0e41
Revises: 4c2e7a1b9d30
Create Date: 2026-12-02 06:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d3f8b2c0e41'
down_revision = '4c2e7a1b9d30'
branch_labels = None
depends_on = None

# The values each column may hold, as the community's enums had them when this migration was written
# (a migration keeps its own copy: the enums may grow later, each time with a migration of its own).
CHECKS = {
    "channels": {"type": ("announcement", "general", "niche", "month", "qa", "resources")},
    "topics": {"type": ("text", "question", "win", "resource", "event")},
    "events": {"type": ("coaching", "coworking", "hotseat", "meetup", "panel")},
    "event_rsvps": {"status": ("going", "maybe", "not_going")},
    "reports": {"status": ("open", "hidden", "dismissed")},
}
# The columns that held upper-case values before ("open", "hidden" and "dismissed" always were lower case).
WERE_UPPER_CASE = [("channels", "type"), ("topics", "type"), ("events", "type"), ("event_rsvps", "status")]


def one_of(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    for table, column in WERE_UPPER_CASE:
        op.execute(f"UPDATE {table} SET {column} = lower({column})")
    for table, columns in CHECKS.items():
        # One batch per table: SQLite rebuilds the table once for all of its constraints.
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), one_of(column, values))


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    for table, column in WERE_UPPER_CASE:
        op.execute(f"UPDATE {table} SET {column} = upper({column})")
