"""ivr identity: household PINs (hashed) and failed checks per household

Revision ID: 0003_ivr_identity
Revises: 0002_dead_letters
Create Date: 2026-12-02 17:25:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0003_ivr_identity'
down_revision = '0002_dead_letters'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ivr_household_pins',
    sa.Column('household_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('set_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_ivr_household_pins'))
    )
    op.create_table('ivr_identity_throttle',
    sa.Column('household_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_ivr_identity_throttle'))
    )
    with op.batch_alter_table('ivr_identity_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ivr_identity_throttle_locked_until'),
                              ['locked_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ivr_identity_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ivr_identity_throttle_locked_until'))

    op.drop_table('ivr_identity_throttle')
    op.drop_table('ivr_household_pins')
