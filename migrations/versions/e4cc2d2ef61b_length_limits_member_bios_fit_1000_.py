"""length limits: member bios fit 1000 characters; over-long names and titles cut to their columns

Every text a person types now has a limit in its form and a column as long. A bio was unbounded
TEXT; it becomes VARCHAR(1000), the form's limit, after cutting any longer one to fit (PostgreSQL
would refuse the change otherwise). SQLite never enforced VARCHAR lengths, so a name or title saved
longer than its column before the forms refused it (a 10,000-character name was) is cut to the
column here; on PostgreSQL those updates find nothing.

Revision ID: e4cc2d2ef61b
Revises: 3d639befcdde
Create Date: 2026-12-02 01:42:57.051303

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4cc2d2ef61b'
down_revision = '3d639befcdde'
branch_labels = None
depends_on = None

# (table, column, length): what people type, cut to the column it lives in. Unique columns
# (handles, usernames, slugs) are not cut: two cut values could collide, and their forms never
# allowed more than their column.
CUT_TO_FIT = [
    ("users", "name", 120), ("workspaces", "name", 120), ("clients", "name", 120), ("clients", "niche", 80),
    ("threads", "subject", 200), ("deliverables", "title", 200), ("channels", "name", 80),
    ("channels", "description", 300), ("topics", "title", 200), ("events", "title", 200),
    ("reports", "reason", 500), ("member_profiles", "location", 80), ("member_profiles", "bio", 1000),
    ("social_links", "label", 60), ("media_assets", "title", 200), ("sandbox_accounts", "display_name", 80),
]


def upgrade():
    for table, column, length in CUT_TO_FIT:
        op.execute(f"UPDATE {table} SET {column} = substr({column}, 1, {length}) WHERE length({column}) > {length}")
    with op.batch_alter_table('member_profiles', schema=None) as batch_op:
        batch_op.alter_column('bio',
               existing_type=sa.TEXT(),
               type_=sa.String(length=1000),
               existing_nullable=False)


def downgrade():
    # What was cut stays cut; the bio column takes any length again.
    with op.batch_alter_table('member_profiles', schema=None) as batch_op:
        batch_op.alter_column('bio',
               existing_type=sa.String(length=1000),
               type_=sa.TEXT(),
               existing_nullable=False)
