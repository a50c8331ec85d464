"""cashier's desk: the 'cashier' role, payment_entries (how a desk payment was made), ivr_callback_calls

Revision ID: 0011_cashier
Revises: 0010_callback_attempts
Create Date: 2026-12-03 16:25:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0011_cashier'
down_revision = '0010_callback_attempts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_console_users_role'), type_='check')
        batch_op.create_check_constraint(
            'role', "role IN ('agent', 'supervisor', 'admin', 'department', 'cashier')")

    op.create_table('payment_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('cash', 'wechat', 'alipay', 'bank_transfer', 'card')", name=op.f('ck_payment_entries_method')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['console_users.id'], name=op.f('fk_payment_entries_recorded_by_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_entries')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_payment_entries_payment_id'))
    )
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_entries_recorded_by_id'), ['recorded_by_id'], unique=False)

    op.create_table('ivr_callback_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('placed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('placed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['ivr_callback_requests.id'], name=op.f('fk_ivr_callback_calls_request_id_ivr_callback_requests')),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_ivr_callback_calls_user_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_callback_calls'))
    )
    with op.batch_alter_table('ivr_callback_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ivr_callback_calls_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ivr_callback_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ivr_callback_calls_request_id'))
    op.drop_table('ivr_callback_calls')
    with op.batch_alter_table('payment_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_entries_recorded_by_id'))
    # The payments themselves stay in the ledger: only how they were taken is lost.
    op.drop_table('payment_entries')
    # Cashiers cannot stay under the narrower role check: they are disabled agents
    # afterwards (their rows stay; payments and calls pointed at them).
    op.execute("UPDATE console_users SET role = 'agent', active = false WHERE role = 'cashier'")
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_console_users_role'), type_='check')
        batch_op.create_check_constraint(
            'role', "role IN ('agent', 'supervisor', 'admin', 'department')")
