"""calls: the transfer's second leg (kind, the receiving phone, answered and ended)

Revision ID: 0007_call_legs
Revises: 0006_notifications
Create Date: 2026-12-03 10:30:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007_call_legs'
down_revision = '0006_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('transfer_interface', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('transfer_channel', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('transfer_answered_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transfer_ended_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_transfer_interface'), ['transfer_interface'], unique=False)
        batch_op.create_check_constraint(
            'transfer_kind', "transfer_kind IS NULL OR transfer_kind IN ('blind', 'attended')")


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_calls_transfer_kind'), type_='check')
        batch_op.drop_index(batch_op.f('ix_calls_transfer_interface'))
        batch_op.drop_column('transfer_ended_at')
        batch_op.drop_column('transfer_answered_at')
        batch_op.drop_column('transfer_channel')
        batch_op.drop_column('transfer_interface')
        batch_op.drop_column('transfer_kind')
