"""statuses checked by the database: every status, state, kind, role, type and outcome column holds
one of its enum's values, or is refused by a CHECK constraint named ck_<table>_<column>; notification
types are lower case like every other such value ("NEW_MESSAGE" becomes "new_message", "BADGE" "badge").

Revision ID: 4c2e7a1b9d30
Revises: 3b9d1e0f5a21
Create Date: 2026-12-02 05:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '4c2e7a1b9d30'
down_revision = '3b9d1e0f5a21'
branch_labels = None
depends_on = None

ROLES = ("owner", "admin", "editor", "viewer")

# The values each column may hold, as the models' enums had them when this migration was written
# (a migration keeps its own copy: the enums may grow later, each time with a migration of its own).
# A NULL passes a CHECK, so the columns that may be empty (invitations.role, posts.recurrence,
# media_assets.orientation) need no more than their values.
CHECKS = {
    "memberships": {"role": ROLES},
    "invitations": {"role": ROLES},
    "platform_connections": {"status": ("active", "expired", "revoked")},
    "media_assets": {
        "kind": ("video", "image"),
        "status": ("processing", "ready", "failed"),
        "orientation": ("vertical", "horizontal", "square"),
    },
    "posts": {
        "status": ("draft", "scheduled", "publishing", "published", "partially_failed", "failed", "cancelled", "missed"),
        "recurrence": ("daily", "weekly", "monthly", "cron"),
    },
    "deliveries": {"status": ("pending", "publishing", "published", "failed", "unconfirmed", "cancelled", "missed")},
    "publish_attempts": {
        "outcome": ("published", "recovered", "retryable", "quota", "unconfirmed", "lease_lost", "released", "auth",
                    "permanent"),
    },
    "clients": {"status": ("invited", "active", "paused", "completed", "archived")},
    "threads": {"state": ("open", "resolved")},
    "notifications": {
        "type": ("new_deliverable", "new_message", "milestone_reminder", "account_update", "event_reminder", "mention",
                 "badge"),
    },
    "sandbox_media": {"kind": ("image", "video"), "status": ("uploading", "ready")},
    "sandbox_calls": {"kind": ("token", "revoke", "create", "media", "lookup", "api")},
}


def one_of(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    op.execute("UPDATE notifications SET type = lower(type)")
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
    op.execute("UPDATE notifications SET type = upper(type)")
