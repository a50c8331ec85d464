"""line_figures: blocked calls and the announced wait beside the actual one, from queue_log

Revision ID: 0020_line_figures
Revises: 0019_call_quality
Create Date: 2026-12-04 01:25:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0020_line_figures'
down_revision = '0019_call_quality'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blocked_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=32), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('caller_number', sa.String(length=64), nullable=True),
    sa.Column('blocked_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_calls')),
    sa.UniqueConstraint('host', 'callid', name=op.f('uq_blocked_calls_host'))
    )
    with op.batch_alter_table('blocked_calls', schema=None) as batch_op:
        batch_op.create_index('ix_blocked_calls_blocked_at', ['blocked_at'], unique=False)
    op.create_table('wait_estimates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=32), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('entered_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('estimated_s', sa.Integer(), nullable=False),
    sa.Column('waited_s', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wait_estimates')),
    sa.UniqueConstraint('host', 'callid', name=op.f('uq_wait_estimates_host'))
    )
    with op.batch_alter_table('wait_estimates', schema=None) as batch_op:
        batch_op.create_index('ix_wait_estimates_entered_at', ['entered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wait_estimates', schema=None) as batch_op:
        batch_op.drop_index('ix_wait_estimates_entered_at')
    op.drop_table('wait_estimates')
    with op.batch_alter_table('blocked_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_blocked_calls_blocked_at')
    op.drop_table('blocked_calls')
