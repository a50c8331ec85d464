"""calls.host: the Asterisk host of each call (several hosts behind Kamailio)

Revision ID: 0014_call_host
Revises: 0013_night_log
Create Date: 2026-12-03 18:45:00

Rows from before are backfilled from their callid: a Uniqueid of a host with a
systemname starts with it ("b-1796164084.2" was host b); one without (the only
host there was) gets the default host, "main".
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0014_call_host'
down_revision = '0013_night_log'
branch_labels = None
depends_on = None

DEFAULT_HOST = 'main'
SYSTEMNAME_PREFIX = re.compile(r'^([A-Za-z0-9_-]{1,32})-\d+\.\d+$')


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sa.String(length=32), nullable=False,
                                      server_default=DEFAULT_HOST))
        batch_op.create_index('ix_calls_host_entered', ['host', 'entered_queue_at'], unique=False)
    _backfill_hosts(op.get_bind())


def _backfill_hosts(connection) -> None:
    calls = sa.table('calls', sa.column('id', sa.Integer), sa.column('callid', sa.String),
                     sa.column('host', sa.String))
    # Only callids with a dash can carry a systemname: the rest keep the default.
    rows = connection.execute(sa.select(calls.c.id, calls.c.callid)
                              .where(calls.c.callid.like('%-%'))).all()
    by_host: dict = {}
    for row_id, callid in rows:
        match = SYSTEMNAME_PREFIX.match(callid or '')
        if match:
            by_host.setdefault(match.group(1), []).append(row_id)
    for host, ids in by_host.items():
        for start in range(0, len(ids), 500):
            connection.execute(sa.update(calls).where(calls.c.id.in_(ids[start:start + 500]))
                               .values(host=host))


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_host_entered')
        batch_op.drop_column('host')
