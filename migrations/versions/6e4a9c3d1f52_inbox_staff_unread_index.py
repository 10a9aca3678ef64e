"""inbox: a partial index of the threads the team has not read (a client wrote after the team last
read the thread), by workspace and last message time. The unread badge, polled by every open staff
page, counts this index's entries for one workspace (as many as there are unread threads, however
long the history), and "Unread only" reads its page from it, newest first.

Revision ID: 6e4a9c3d1f52
Revises: 5d3f8b2c0e41
Create Date: 2026-12-02 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6e4a9c3d1f52'
down_revision = '5d3f8b2c0e41'
branch_labels = None
depends_on = None

# Written as studio.portal.reading.unread_for_staff renders it: SQLite uses a partial index only for
# a query whose WHERE holds each of these terms.
UNREAD_FOR_STAFF = ("last_client_message_at IS NOT NULL AND "
                    "(staff_read_at IS NULL OR last_client_message_at > staff_read_at)")


def upgrade():
    op.create_index("ix_threads_staff_unread", "threads", ["workspace_id", "last_message_at"],
                    sqlite_where=sa.text(UNREAD_FOR_STAFF), postgresql_where=sa.text(UNREAD_FOR_STAFF))


def downgrade():
    op.drop_index("ix_threads_staff_unread", table_name="threads")
