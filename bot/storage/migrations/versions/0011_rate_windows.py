"""rate_window: request counts per rate-limit key and fixed window, shared by every process

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


def downgrade() -> None:
    op.drop_table('rate_window')
