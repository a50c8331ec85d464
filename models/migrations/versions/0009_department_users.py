"""department users: the 'department' role, user_departments, department_tasks (work contact sheets)

Revision ID: 0009_department_users
Revises: 0008_followup_attempts
Create Date: 2026-12-03 15:50:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0009_department_users'
down_revision = '0008_followup_attempts'
branch_labels = None
depends_on = None

DEPARTMENTS = "'engineering', 'security', 'cleaning_greening', 'finance'"


def upgrade() -> None:
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_console_users_role'), type_='check')
        batch_op.create_check_constraint(
            'role', "role IN ('agent', 'supervisor', 'admin', 'department')")

    op.create_table('user_departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.CheckConstraint(f"department IN ({DEPARTMENTS})", name=op.f('ck_user_departments_department')),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_user_departments_user_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_departments')),
    sa.UniqueConstraint('user_id', 'department', name='user_department')
    )
    with op.batch_alter_table('user_departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_departments_user_id'), ['user_id'], unique=False)

    op.create_table('department_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('dispatched_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accept_due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('promised_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('work_minutes', sa.Integer(), nullable=True),
    sa.Column('materials', sa.String(length=500), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=True),
    sa.Column('rejected_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_by_id', sa.Integer(), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=False),
    sa.Column('late_accept_notified_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late_promise_notified_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(f"department IN ({DEPARTMENTS})", name=op.f('ck_department_tasks_department')),
    sa.CheckConstraint("state IN ('open', 'accepted', 'completed', 'rejected')", name=op.f('ck_department_tasks_state')),
    sa.CheckConstraint('work_minutes IS NULL OR work_minutes > 0', name=op.f('ck_department_tasks_work_minutes')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_department_tasks_work_order_id_work_orders')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['console_users.id'], name=op.f('fk_department_tasks_accepted_by_id_console_users')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['console_users.id'], name=op.f('fk_department_tasks_completed_by_id_console_users')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['console_users.id'], name=op.f('fk_department_tasks_rejected_by_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_tasks')),
    sa.UniqueConstraint('work_order_id', 'dispatched_at', name='order_dispatch')
    )
    with op.batch_alter_table('department_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_tasks_work_order_id'), ['work_order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('department_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_tasks_work_order_id'))
    op.drop_table('department_tasks')
    with op.batch_alter_table('user_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_departments_user_id'))
    op.drop_table('user_departments')
    # Department users cannot stay under the narrower role check: they are disabled
    # agents afterwards (their rows stay, their events and notifications point at them).
    op.execute("UPDATE console_users SET role = 'agent', active = false WHERE role = 'department'")
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_console_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('agent', 'supervisor', 'admin')")
