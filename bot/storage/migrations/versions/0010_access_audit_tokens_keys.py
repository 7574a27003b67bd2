"""access: runtime role grants, the audit trail, web tokens, one-time login links, encrypted provider keys;
execution.roles (the roles the gate found for the requester when the request was admitted)

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('execution', sa.Column('roles', sa.String(length=255), nullable=False, server_default=''))
    op.create_table(
        'access_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('granted_by', sa.String(length=255), nullable=False),
        sa.Column('granted_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subject', 'role', name='uq_access_grant_subject_role'),
    )
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('place', sa.String(length=255), nullable=False),
        sa.Column('action', sa.String(length=128), nullable=False),
        sa.Column('target', sa.String(length=255), nullable=True),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.Column('execution_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_event_at', 'audit_event', ['at'])
    op.create_index('ix_audit_event_actor_at', 'audit_event', ['actor', 'at'])
    op.create_index('ix_audit_event_execution_id', 'audit_event', ['execution_id'])
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=True),
        sa.Column('revoked_at', sa.Float(), nullable=True),
        sa.Column('last_used_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash', name='uq_api_token_hash'),
    )
    op.create_table(
        'login_link',
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.Column('used_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('secret_hash'),
    )
    op.create_table(
        'stored_secret',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('ciphertext', sa.Text(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    for table in ('stored_secret', 'login_link', 'api_token', 'audit_event', 'access_grant'):
        op.drop_table(table)
    op.drop_column('execution', 'roles')
