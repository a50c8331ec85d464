"""Migration 0011 (the cashier's desk) on SQLite and PostgreSQL: the role check widens
for 'cashier' and still refuses others, payment_entries refuses an unknown method and
a second entry for one payment, and a downgrade leaves cashiers as disabled agents
and the payments in the ledger."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from models import migrate
from models.session import make_engine

USER_SQL = ("INSERT INTO console_users (username, password_hash, role, display_name, language,"
            " active, created_at) VALUES (:name, 'x', :role, :name, 'zh', :active,"
            " '2026-12-03 08:00:00+00:00')")
ENTRY_SQL = ("INSERT INTO payment_entries (payment_id, method, period_start, recorded_by_id,"
             " recorded_at) VALUES (:payment, :method, '2026-10-01', :user,"
             " '2026-12-03 08:00:00+00:00')")


def _run(engine, sql: str, **params):
    with engine.begin() as connection:
        return connection.execute(text(sql), params)


def _a_payment(engine) -> int:
    _run(engine, "INSERT INTO communities (code, name) VALUES ('sun', '阳光花园')")
    _run(engine, "INSERT INTO households (number, community_id, occupancy, renovation_status,"
                 " updated_at) VALUES ('H1', (SELECT id FROM communities), 'owner_occupied',"
                 " 'registered', '2026-12-03 08:00:00+00:00')")
    _run(engine, "INSERT INTO payments (household_id, receipt_number, paid_on, amount,"
                 " recorded_at) VALUES ((SELECT id FROM households), 'R-1', '2026-12-03',"
                 " 120.50, '2026-12-03 08:00:00+00:00')")
    return _run(engine, "SELECT id FROM payments").scalar_one()


def test_0011_up_and_down_with_a_cashier(empty_db_url):
    migrate.upgrade(empty_db_url, "0010_callback_attempts")
    engine = make_engine(empty_db_url)
    with pytest.raises(IntegrityError):
        _run(engine, USER_SQL, name="cash-before", role="cashier", active=True)
    payment_id = _a_payment(engine)
    engine.dispose()

    migrate.upgrade(empty_db_url, "0011_cashier")
    engine = make_engine(empty_db_url)
    _run(engine, USER_SQL, name="cash01", role="cashier", active=True)
    with pytest.raises(IntegrityError):
        _run(engine, USER_SQL, name="boss", role="owner", active=True)
    user_id = _run(engine, "SELECT id FROM console_users WHERE username = 'cash01'").scalar_one()
    with pytest.raises(IntegrityError):
        _run(engine, ENTRY_SQL, payment=payment_id, method="cheque", user=user_id)
    _run(engine, ENTRY_SQL, payment=payment_id, method="wechat", user=user_id)
    with pytest.raises(IntegrityError):
        _run(engine, ENTRY_SQL, payment=payment_id, method="cash", user=user_id)
    assert {"payment_entries", "ivr_callback_calls"} <= set(inspect(engine).get_table_names())
    engine.dispose()

    migrate.downgrade(empty_db_url, "0010_callback_attempts")
    engine = make_engine(empty_db_url)
    assert not {"payment_entries", "ivr_callback_calls"} & set(inspect(engine).get_table_names())
    rows = _run(engine, "SELECT username, role, active FROM console_users").all()
    assert [(name, role, bool(active)) for name, role, active in rows] == [
        ("cash01", "agent", False)]
    assert _run(engine, "SELECT receipt_number FROM payments").scalars().all() == ["R-1"]
    engine.dispose()
