"""execution: drop ix_execution_created, a prefix of ix_execution_created_status_latency

Every query on created_at can use the wider index (its first column), so the single-column one only
cost a B-tree insert per execution on the acknowledgement path.

Revision ID: 0009
Revises: 0008
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_execution_created', table_name='execution')


def downgrade() -> None:
    op.create_index('ix_execution_created', 'execution', ['created_at'], unique=False)
