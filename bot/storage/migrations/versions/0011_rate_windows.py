"""rate_window: request counts per rate-limit key and fixed window, shared by every process;
confirmation: one-time nonces of writing-tool confirmations; effect_marker: side effects started

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_window',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('window', sa.BigInteger(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', 'window'),
    )
    op.create_table(
        'confirmation',
        sa.Column('nonce_hash', sa.String(length=64), nullable=False),
        sa.Column('requester', sa.String(length=255), nullable=False),
        sa.Column('tool', sa.String(length=255), nullable=False),
        sa.Column('arguments', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.Column('used_at', sa.Float(), nullable=True),
        sa.Column('used_by', sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint('nonce_hash'),
    )
    op.create_table(
        'effect_marker',
        sa.Column('execution_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('execution_id', 'key'),
    )


def downgrade() -> None:
    op.drop_table('effect_marker')
    op.drop_table('confirmation')
    op.drop_table('rate_window')
