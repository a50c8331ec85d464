"""night_log_entries: calls that came in on the line out of hours (the night-duty
phone rung, its answer, the call's recording, the voicemail), logged by nobody

Revision ID: 0017_night_line
Revises: 0016_purge_log
Create Date: 2026-12-03 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_night_line'
down_revision = '0016_purge_log'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('night_log_entries', schema=None) as batch_op:
        batch_op.alter_column('logged_by_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('duty_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duty_answered', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('recording', sa.String(length=255), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('voicemail', sa.String(length=255), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_night_log_entries_duty_user_id_console_users'),
                                    'console_users', ['duty_user_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_night_log_entries_source'),
                                        "source IN ('line')")


def downgrade() -> None:
    # The line's entries were logged by nobody; the old schema needs a logger, so
    # they are given the night-duty worker's name, or dropped when there was none.
    op.execute("UPDATE night_log_entries SET logged_by_id = duty_user_id "
               "WHERE logged_by_id IS NULL")
    op.execute("DELETE FROM night_log_entries WHERE logged_by_id IS NULL")
    with op.batch_alter_table('night_log_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_night_log_entries_source'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_night_log_entries_duty_user_id_console_users'),
                                 type_='foreignkey')
        batch_op.drop_column('voicemail')
        batch_op.drop_column('recording')
        batch_op.drop_column('duty_answered')
        batch_op.drop_column('duty_user_id')
        batch_op.drop_column('source')
        batch_op.alter_column('logged_by_id', existing_type=sa.Integer(), nullable=False)
