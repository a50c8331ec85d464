"""payment_reversals: a payment saved in error and the correcting entry that cancels it

Revision ID: 0018_payment_reversals
Revises: 0017_night_line
Create Date: 2026-12-03 18:55:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0018_payment_reversals'
down_revision = '0017_night_line'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_reversals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('reversal_payment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('reversed_by_id', sa.Integer(), nullable=False),
    sa.Column('reversed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_reversals_payment_id_payments')),
    sa.ForeignKeyConstraint(['reversal_payment_id'], ['payments.id'], name=op.f('fk_payment_reversals_reversal_payment_id_payments')),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['console_users.id'], name=op.f('fk_payment_reversals_reversed_by_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_reversals')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_payment_reversals_payment_id')),
    sa.UniqueConstraint('reversal_payment_id', name=op.f('uq_payment_reversals_reversal_payment_id'))
    )
    with op.batch_alter_table('payment_reversals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_reversals_reversed_by_id'), ['reversed_by_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_reversals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_reversals_reversed_by_id'))
    op.drop_table('payment_reversals')
