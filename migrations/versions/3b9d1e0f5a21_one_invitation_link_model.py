"""one invitation-link model: a client's portal invitation is a row of `invitations` (kind
'client', for a client) beside the team's (kind 'member', for a role); portal_invites goes.
Every row is carried over with its token hash, so links already e-mailed keep working.

Revision ID: 3b9d1e0f5a21
Revises: 7c1f0a2d9e31
Create Date: 2026-12-02 04:05:00

"""
from alembic import op
import sqlalchemy as sa

import studio.database


# revision identifiers, used by Alembic.
revision = '3b9d1e0f5a21'
down_revision = '7c1f0a2d9e31'
branch_labels = None
depends_on = None

KIND_FITS = ("(kind = 'member' AND role IS NOT NULL AND client_id IS NULL)"
             " OR (kind = 'client' AND client_id IS NOT NULL AND role IS NULL)")

# The columns both tables share; a portal invitation had no last_sent_at (it was sent when made),
# no role and no record of who accepted it.
SHARED = "workspace_id, email, token_hash, invited_by_id, expires_at, sent_count, accepted_at, revoked_at, created_at"


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        # Every row there so far invites a member; the default is only for them.
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='member'))
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.alter_column('role', existing_type=sa.String(length=20), nullable=True)
        batch_op.create_index(batch_op.f('ix_invitations_client_id'), ['client_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invitations_client_id_clients'), 'clients', ['client_id'], ['id'],
                                    ondelete='CASCADE')

    op.execute(
        f"INSERT INTO invitations (kind, client_id, role, last_sent_at, accepted_by_id, {SHARED}) "
        f"SELECT 'client', client_id, NULL, created_at, NULL, {SHARED} FROM portal_invites ORDER BY id"
    )

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=10), existing_nullable=False, server_default=None)
        batch_op.create_check_constraint(op.f('ck_invitations_kind_fits'), KIND_FITS)

    with op.batch_alter_table('portal_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_invites_client_id'))
        batch_op.drop_index(batch_op.f('ix_portal_invites_workspace_id'))
    op.drop_table('portal_invites')


def downgrade():
    op.create_table('portal_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', studio.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('accepted_at', studio.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', studio.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', studio.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_portal_invites_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_portal_invites_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_portal_invites_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_invites_token_hash'))
    )
    with op.batch_alter_table('portal_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_invites_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_invites_workspace_id'), ['workspace_id'], unique=False)

    op.execute(
        f"INSERT INTO portal_invites (client_id, {SHARED}) "
        f"SELECT client_id, {SHARED} FROM invitations WHERE kind = 'client' ORDER BY id"
    )
    op.execute("DELETE FROM invitations WHERE kind = 'client'")

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invitations_kind_fits'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_invitations_client_id_clients'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invitations_client_id'))
        batch_op.alter_column('role', existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column('client_id')
        batch_op.drop_column('kind')
