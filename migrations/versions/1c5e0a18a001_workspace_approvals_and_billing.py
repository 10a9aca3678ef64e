"""workspaces: who approves posts (approval_mode none, internal or client), the Stripe customer
beside the subscription, and the plan named by a plan's key (the old default "free" is "starter")

Revision ID: 1c5e0a18a001
Revises: f9fb8dfa860a
Create Date: 2026-12-02 14:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '1c5e0a18a001'
down_revision = 'f9fb8dfa860a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_customer_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('approval_mode', sa.Enum('none', 'internal', 'client', name='approvalmode',
                                                               native_enum=False, length=10),
                                      server_default='none', nullable=False))
        batch_op.create_check_constraint(op.f('ck_workspaces_approval_mode'),
                                         "approval_mode IN ('none', 'internal', 'client')")
    op.execute("UPDATE workspaces SET plan = 'starter' WHERE plan = 'free'")


def downgrade():
    op.execute("UPDATE workspaces SET plan = 'free' WHERE plan = 'starter'")
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_workspaces_approval_mode'), type_='check')
        batch_op.drop_column('approval_mode')
        batch_op.drop_column('stripe_customer_id')
