"""rota: rota_shifts (each agent's shifts per office day, for adherence)

Revision ID: 0012_rota
Revises: 0011_cashier
Create Date: 2026-12-03 16:45:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0012_rota'
down_revision = '0011_cashier'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rota_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('day', 'evening', 'night')", name=op.f('ck_rota_shifts_kind')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_rota_shifts_ends_after_start')),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_rota_shifts_user_id_console_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['console_users.id'], name=op.f('fk_rota_shifts_created_by_id_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_shifts'))
    )
    with op.batch_alter_table('rota_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_rota_shifts_day_user', ['day', 'user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rota_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_rota_shifts_day_user')
    op.drop_table('rota_shifts')
