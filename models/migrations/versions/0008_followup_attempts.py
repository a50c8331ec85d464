"""follow_ups: one row per attempt (attempt number, when a retry is offered, solved or not)

Revision ID: 0008_followup_attempts
Revises: 0007_call_legs
Create Date: 2026-12-03 11:40:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0008_followup_attempts'
down_revision = '0007_call_legs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_follow_ups_work_order_id'), type_='unique')
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('offered_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('problem_solved', sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f('ix_follow_ups_work_order_id'), ['work_order_id'], unique=False)


def downgrade() -> None:
    # Keeps the latest attempt of each order: the unique constraint allows one row.
    op.execute("DELETE FROM follow_ups WHERE id NOT IN "
               "(SELECT max_id FROM (SELECT MAX(id) AS max_id FROM follow_ups "
               "GROUP BY work_order_id) AS latest)")
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_work_order_id'))
        batch_op.drop_column('problem_solved')
        batch_op.drop_column('offered_at')
        batch_op.drop_column('attempt')
        batch_op.create_unique_constraint(op.f('uq_follow_ups_work_order_id'), ['work_order_id'])
