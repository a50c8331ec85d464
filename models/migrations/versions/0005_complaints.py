"""complaint register, enquiry call-backs, deadline flags; work orders' channel,
urgency, online acceptance and warranty

Revision ID: 0005_complaints
Revises: 0004_call_wrapup
Create Date: 2026-12-02 22:00:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0005_complaints'
down_revision = '0004_call_wrapup'
branch_labels = None
depends_on = None

UTC = models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), server_default='phone', nullable=False))
        batch_op.add_column(sa.Column('urgency', sa.String(length=16), server_default='normal', nullable=False))
        batch_op.add_column(sa.Column('message_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('accept_due_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('accepted_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('warranty_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('warranty_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('warranty_override_reason', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_work_orders_channel'), "channel IN ('phone', 'walk_in', 'letter', 'wechat', 'qq', 'web', 'staff_report')")
        batch_op.create_check_constraint(op.f('ck_work_orders_urgency'), "urgency IN ('emergency', 'urgent', 'normal')")

    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', UTC, nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('respondent_person', sa.String(length=80), nullable=False),
    sa.Column('respondent_department', sa.String(length=32), nullable=True),
    sa.Column('resident_request', sa.String(length=500), nullable=False),
    sa.Column('effective', sa.Boolean(), nullable=False),
    sa.Column('escalation', sa.String(length=16), nullable=False),
    sa.Column('escalated_at', UTC, nullable=True),
    sa.Column('acknowledged_at', UTC, nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', UTC, nullable=True),
    sa.Column('result', sa.String(length=1000), nullable=False),
    sa.Column('result_known_at', UTC, nullable=True),
    sa.Column('resident_told_at', UTC, nullable=True),
    sa.Column('resident_told_by', sa.String(length=16), nullable=True),
    sa.Column('told_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("escalation IN ('none', 'pending', 'notified', 'acknowledged')", name=op.f('ck_complaints_escalation')),
    sa.CheckConstraint("resident_told_by IS NULL OR resident_told_by IN ('phone', 'visit', 'message')", name=op.f('ck_complaints_told_by')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['console_users.id'], name=op.f('fk_complaints_acknowledged_by_id_console_users')),
    sa.ForeignKeyConstraint(['told_by_id'], ['console_users.id'], name=op.f('fk_complaints_told_by_id_console_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_complaints_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_complaints_work_order_id'))
    )
    op.create_table('enquiry_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('reply_due_at', UTC, nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('replied_at', UTC, nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['console_users.id'], name=op.f('fk_enquiry_callbacks_assigned_to_id_console_users')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['console_users.id'], name=op.f('fk_enquiry_callbacks_replied_by_id_console_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_enquiry_callbacks_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enquiry_callbacks')),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_enquiry_callbacks_work_order_id'))
    )
    with op.batch_alter_table('enquiry_callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enquiry_callbacks_reply_due_at'), ['reply_due_at'], unique=False)

    op.create_table('deadline_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.String(length=16), nullable=False),
    sa.Column('flag', sa.String(length=8), nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.Column('raised_at', UTC, nullable=False),
    sa.CheckConstraint("flag IN ('due', 'missed')", name=op.f('ck_deadline_flags_flag')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_deadline_flags_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_flags')),
    sa.UniqueConstraint('work_order_id', 'deadline', 'flag', name='order_deadline_flag')
    )
    with op.batch_alter_table('deadline_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_flags_work_order_id'), ['work_order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deadline_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_flags_work_order_id'))
    op.drop_table('deadline_flags')
    with op.batch_alter_table('enquiry_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enquiry_callbacks_reply_due_at'))
    op.drop_table('enquiry_callbacks')
    op.drop_table('complaints')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_work_orders_urgency'), type_='check')
        batch_op.drop_constraint(op.f('ck_work_orders_channel'), type_='check')
        batch_op.drop_column('warranty_override_reason')
        batch_op.drop_column('warranty_until')
        batch_op.drop_column('warranty_status')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('accept_due_at')
        batch_op.drop_column('message_at')
        batch_op.drop_column('urgency')
        batch_op.drop_column('channel')
