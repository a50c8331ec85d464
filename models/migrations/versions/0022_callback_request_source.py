"""callback_requests.source: a keep-my-place request or an automatic lost-call call-back

Revision ID: 0022_callback_request_source
Revises: 0021_callback_requests
Create Date: 2026-12-04 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_callback_request_source'
down_revision = '0021_callback_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False,
                                      server_default='keep_place'))
        batch_op.create_check_constraint('source', "source IN ('keep_place', 'lost_call')")
        batch_op.create_index(batch_op.f('ix_callback_requests_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_source'))
        batch_op.drop_constraint(op.f('ck_callback_requests_source'), type_='check')
        batch_op.drop_column('source')
