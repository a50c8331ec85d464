"""callback_attempts: call-backs to residents whose call was lost in the queue

Revision ID: 0010_callback_attempts
Revises: 0009_department_users
Create Date: 2026-12-03 16:05:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0010_callback_attempts'
down_revision = '0009_department_users'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('placed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.String(length=500), nullable=False),
    sa.Column('recorded_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("result IN ('reached', 'no_answer', 'busy', 'wrong_number', 'closed')", name=op.f('ck_callback_attempts_result')),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_callback_attempts_user_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempts_callid'), ['callid'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_attempts_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempts_user_id'))
        batch_op.drop_index(batch_op.f('ix_callback_attempts_callid'))
    op.drop_table('callback_attempts')
