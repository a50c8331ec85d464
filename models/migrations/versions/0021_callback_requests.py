"""callback_requests: keep-my-place callbacks and their placeholder attempts

Revision ID: 0021_callback_requests
Revises: 0020_line_figures
Create Date: 2026-12-04 01:30:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0021_callback_requests'
down_revision = '0020_line_figures'
branch_labels = None
depends_on = None

STATES = "state IN ('booked', 'queued', 'retry', 'completed', 'failed', 'closed')"
OUTCOMES = ("outcome IN ('placed', 'reached', 'no_answer', 'busy', 'no_agent', "
            "'not_placed', 'lost')")


def upgrade() -> None:
    op.create_table('callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=32), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('caller_number', sa.String(length=40), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('joined_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exit_position', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_note', sa.String(length=200), nullable=False),
    sa.CheckConstraint(STATES, name=op.f('ck_callback_requests_state')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['console_users.id'], name=op.f('fk_callback_requests_closed_by_id_console_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_callback_requests_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests')),
    sa.UniqueConstraint('host', 'callid', name=op.f('uq_callback_requests_host'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_requests_callid'), ['callid'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_requests_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_requests_created_at'), ['created_at'], unique=False)
    op.create_table('callback_request_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('placed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('dial_status', sa.String(length=16), nullable=False),
    sa.Column('ended_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(OUTCOMES, name=op.f('ck_callback_request_attempts_outcome')),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_callback_request_attempts_request_id_callback_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_request_attempts')),
    sa.UniqueConstraint('callid', name=op.f('uq_callback_request_attempts_callid')),
    sa.UniqueConstraint('request_id', 'number', name=op.f('uq_callback_request_attempts_request_id'))
    )
    with op.batch_alter_table('callback_request_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_request_attempts_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_table('callback_request_attempts')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_callback_requests_state'))
        batch_op.drop_index(batch_op.f('ix_callback_requests_callid'))
    op.drop_table('callback_requests')
