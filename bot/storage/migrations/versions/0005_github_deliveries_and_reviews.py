"""github deliveries (dedupe) and PR review state

Revision ID: 0005
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'github_delivery',
        sa.Column('delivery_id', sa.String(length=64), nullable=False),
        sa.Column('event', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=True),
        sa.Column('repo', sa.String(length=255), nullable=True),
        sa.Column('executions', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('received_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('delivery_id'),
    )
    op.create_table(
        'github_review',
        sa.Column('repo', sa.String(length=255), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('head_sha', sa.String(length=64), nullable=True),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('notes', sa.JSON(), nullable=False),
        sa.Column('rounds', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('repo', 'number'),
    )


def downgrade() -> None:
    op.drop_table('github_review')
    op.drop_table('github_delivery')
