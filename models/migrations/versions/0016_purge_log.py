"""purge_runs, purge_run_kinds, purged_recordings: the retention purge's log

Revision ID: 0016_purge_log
Revises: 0015_campaigns
Create Date: 2026-12-03 18:36:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0016_purge_log'
down_revision = '0015_campaigns'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purge_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('run_by', sa.String(length=64), nullable=False),
    sa.Column('policy_file', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purge_runs'))
    )
    with op.batch_alter_table('purge_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purge_runs_started_at'), ['started_at'], unique=False)
    op.create_table('purge_run_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=False),
    sa.Column('cutoff', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('oldest', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('newest', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('recordings', 'caller_numbers', 'identity_numbers', 'audit_log')", name=op.f('ck_purge_run_kinds_kind')),
    sa.ForeignKeyConstraint(['run_id'], ['purge_runs.id'], name=op.f('fk_purge_run_kinds_run_id_purge_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purge_run_kinds'))
    )
    with op.batch_alter_table('purge_run_kinds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purge_run_kinds_run_id'), ['run_id'], unique=False)
    op.create_table('purged_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('call_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['purge_runs.id'], name=op.f('fk_purged_recordings_run_id_purge_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purged_recordings')),
    sa.UniqueConstraint('callid', name=op.f('uq_purged_recordings_callid'))
    )
    with op.batch_alter_table('purged_recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purged_recordings_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('purged_recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purged_recordings_run_id'))
    op.drop_table('purged_recordings')
    with op.batch_alter_table('purge_run_kinds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purge_run_kinds_run_id'))
    op.drop_table('purge_run_kinds')
    with op.batch_alter_table('purge_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purge_runs_started_at'))
    op.drop_table('purge_runs')
