"""execution.tool_transcript: the MCP tool calls /ask made (tool, arguments, truncated result)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('execution', sa.Column('tool_transcript', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('execution') as batch:
        batch.drop_column('tool_transcript')
