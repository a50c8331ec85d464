"""call wrap-up: reason and summary per answered call; calls linked to a household by hand

Revision ID: 0004_call_wrapup
Revises: 0003_ivr_identity
Create Date: 2026-12-02 18:06:45.010606
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0004_call_wrapup'
down_revision = '0003_ivr_identity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_household_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['linked_by_id'], ['console_users.id'], name=op.f('fk_call_household_links_linked_by_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_household_links')),
    sa.UniqueConstraint('callid', name=op.f('uq_call_household_links_callid'))
    )
    with op.batch_alter_table('call_household_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_household_links_household_id'), ['household_id'], unique=False)

    op.create_table('call_wrapups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callid', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('interface', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('saved_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('repair', 'complaint', 'fee_enquiry', 'enquiry', 'praise', 'wrong_number', 'other')", name=op.f('ck_call_wrapups_reason')),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_call_wrapups_user_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_wrapups')),
    sa.UniqueConstraint('callid', name=op.f('uq_call_wrapups_callid'))
    )
    with op.batch_alter_table('call_wrapups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_wrapups_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_wrapups_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('call_wrapups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_wrapups_user_id'))
        batch_op.drop_index(batch_op.f('ix_call_wrapups_household_id'))

    op.drop_table('call_wrapups')
    with op.batch_alter_table('call_household_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_household_links_household_id'))

    op.drop_table('call_household_links')
