"""plans (starter, pro, agency) with their limits; usage counters by the first day of their month
(was "YYYY-MM"), uploads counted as `uploads` (was files_uploaded)

Revision ID: 2b7d0a18b002
Revises: 1c5e0a18a001
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '2b7d0a18b002'
down_revision = '1c5e0a18a001'
branch_labels = None
depends_on = None

# key, name, price label, position, AI generations, scheduled posts, uploads (a month), seats, connected accounts
DEFAULT_PLANS = [
    ("starter", "Starter", "Free", 0, 10, 30, 50, 2, 3),
    ("pro", "Pro", "$29 / month", 1, 100, 300, 500, 5, 10),
    ("agency", "Agency", "$99 / month", 2, 1000, 3000, 5000, 25, 50),
]


def upgrade():
    plans = op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('price_label', sa.String(length=60), nullable=False),
    sa.Column('stripe_price_id', sa.String(length=255), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('ai_generations', sa.Integer(), nullable=True),
    sa.Column('scheduled_posts', sa.Integer(), nullable=True),
    sa.Column('uploads', sa.Integer(), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=True),
    sa.Column('connected_accounts', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('key', name=op.f('uq_plans_key')),
    sa.UniqueConstraint('stripe_price_id', name=op.f('uq_plans_stripe_price_id'))
    )
    columns = ("key", "name", "price_label", "position", "ai_generations", "scheduled_posts", "uploads", "seats",
               "connected_accounts")
    op.bulk_insert(plans, [dict(zip(columns, plan)) for plan in DEFAULT_PLANS])

    with op.batch_alter_table('usage_counters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        batch_op.alter_column('files_uploaded', new_column_name='uploads', existing_type=sa.Integer(),
                              existing_nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE usage_counters SET period_start = CAST(period || '-01' AS DATE)")
    else:  # SQLite keeps a date as its ISO text
        op.execute("UPDATE usage_counters SET period_start = period || '-01'")
    with op.batch_alter_table('usage_counters', schema=None) as batch_op:
        batch_op.alter_column('period_start', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_usage_counters_workspace_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_usage_counters_workspace_id'), ['workspace_id', 'period_start'])
        batch_op.drop_column('period')


def downgrade():
    with op.batch_alter_table('usage_counters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.String(length=7), nullable=True))
    op.execute("UPDATE usage_counters SET period = substr(CAST(period_start AS VARCHAR), 1, 7)")
    with op.batch_alter_table('usage_counters', schema=None) as batch_op:
        batch_op.alter_column('period', existing_type=sa.String(length=7), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_usage_counters_workspace_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_usage_counters_workspace_id'), ['workspace_id', 'period'])
        batch_op.alter_column('uploads', new_column_name='files_uploaded', existing_type=sa.Integer(),
                              existing_nullable=False)
        batch_op.drop_column('period_start')

    op.drop_table('plans')
