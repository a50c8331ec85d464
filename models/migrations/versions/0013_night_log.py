"""night_log_entries: the night duty log and what became of each entry at handover

Revision ID: 0013_night_log
Revises: 0012_rota
Create Date: 2026-12-03 17:05:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0013_night_log'
down_revision = '0012_rota'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('night_log_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('logged_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('logged_by_id', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=True),
    sa.Column('caller_number', sa.String(length=40), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('disposition', sa.String(length=16), nullable=True),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('closed_reason', sa.String(length=300), nullable=False),
    sa.Column('disposed_by_id', sa.Integer(), nullable=True),
    sa.Column('disposed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("disposition IN ('order', 'closed')", name=op.f('ck_night_log_entries_disposition')),
    sa.ForeignKeyConstraint(['disposed_by_id'], ['console_users.id'], name=op.f('fk_night_log_entries_disposed_by_id_console_users')),
    sa.ForeignKeyConstraint(['logged_by_id'], ['console_users.id'], name=op.f('fk_night_log_entries_logged_by_id_console_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_night_log_entries_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_night_log_entries'))
    )
    with op.batch_alter_table('night_log_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_night_log_entries_callid'), ['callid'], unique=False)
        batch_op.create_index(batch_op.f('ix_night_log_entries_logged_at'), ['logged_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('night_log_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_night_log_entries_logged_at'))
        batch_op.drop_index(batch_op.f('ix_night_log_entries_callid'))
    op.drop_table('night_log_entries')
