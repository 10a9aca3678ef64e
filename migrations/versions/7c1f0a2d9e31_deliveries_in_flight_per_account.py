"""deliveries in flight per account: the claim asks whether another delivery of the same account is
being published right now, once per candidate, so that question is read off an index

Revision ID: 7c1f0a2d9e31
Revises: be278207fb49
Create Date: 2026-12-02 02:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1f0a2d9e31'
down_revision = 'be278207fb49'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_in_flight', ['connection_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_in_flight')
