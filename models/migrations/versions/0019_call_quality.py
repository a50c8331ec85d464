"""call_quality: the softphone's audio figures of a call, one row per call and user

Revision ID: 0019_call_quality
Revises: 0018_payment_reversals
Create Date: 2026-12-03 20:20:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0019_call_quality'
down_revision = '0018_payment_reversals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_quality',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('packets_received', sa.Integer(), nullable=False),
    sa.Column('packets_lost', sa.Integer(), nullable=False),
    sa.Column('packets_sent', sa.Integer(), nullable=False),
    sa.Column('codec', sa.String(length=40), nullable=False),
    sa.Column('jitter_ms_mean', sa.Float(), nullable=True),
    sa.Column('jitter_ms_max', sa.Float(), nullable=True),
    sa.Column('rtt_ms_mean', sa.Float(), nullable=True),
    sa.Column('reported_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_call_quality_user_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_quality')),
    sa.UniqueConstraint('callid', 'user_id', name=op.f('uq_call_quality_callid'))
    )
    with op.batch_alter_table('call_quality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_quality_callid'), ['callid'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_quality_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('call_quality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_quality_user_id'))
        batch_op.drop_index(batch_op.f('ix_call_quality_callid'))
    op.drop_table('call_quality')
