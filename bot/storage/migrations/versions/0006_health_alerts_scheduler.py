"""health samples, alert state, scheduler slots

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # covering index for the hourly series of reports: a time-range scan that never touches the table
    op.create_index('ix_execution_created_status_latency', 'execution', ['created_at', 'status', 'latency_ms'])
    op.create_table(
        'health_sample',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ts', sa.Float(), nullable=False),
        sa.Column('metric', sa.String(length=200), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_health_sample_metric_ts', 'health_sample', ['metric', 'ts'])
    op.create_index('ix_health_sample_ts', 'health_sample', ['ts'])
    op.create_table(
        'alert_instance',
        sa.Column('rule', sa.String(length=100), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('pending_since', sa.Float(), nullable=True),
        sa.Column('fired_at', sa.Float(), nullable=True),
        sa.Column('resolved_at', sa.Float(), nullable=True),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('rule', 'target'),
    )
    op.create_table(
        'alert_group',
        sa.Column('rule', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=True),
        sa.Column('last_sent_at', sa.Float(), nullable=True),
        sa.Column('resolved_at', sa.Float(), nullable=True),
        sa.Column('refs', sa.JSON(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('rendered', sa.String(length=64), nullable=True),
        sa.Column('acked_by', sa.String(length=255), nullable=True),
        sa.Column('acked_at', sa.Float(), nullable=True),
        sa.Column('silenced_until', sa.Float(), nullable=True),
        sa.Column('silenced_by', sa.String(length=255), nullable=True),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('rule'),
    )
    op.create_table(
        'scheduler_slot',
        sa.Column('job', sa.String(length=64), nullable=False),
        sa.Column('slot', sa.String(length=64), nullable=False),
        sa.Column('ran_at', sa.Float(), nullable=False),
        sa.Column('owner', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('job'),
    )
    op.create_table(
        'scheduler_lease',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('owner', sa.String(length=128), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_index('ix_execution_created_status_latency', table_name='execution')
    op.drop_table('scheduler_lease')
    op.drop_table('scheduler_slot')
    op.drop_table('alert_group')
    op.drop_table('alert_instance')
    op.drop_index('ix_health_sample_ts', table_name='health_sample')
    op.drop_index('ix_health_sample_metric_ts', table_name='health_sample')
    op.drop_table('health_sample')
