"""Ledger and IVR call-back requests for the cashier's tests (households.samples rows)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from households.samples import add_charge, add_household, add_payment
from models.ivr import IvrCallbackRequest, IvrSession

UTC = dt.timezone.utc


@dataclasses.dataclass(frozen=True)
class CashierLedger:
    a: int   # SUN 1-1-101: 2026Q3 300 paid; 2026Q4 management 300 and parking 150 owed
    b: int   # SUN 2-1-201: 2026Q4 200, paid
    c: int   # MOON 10-1-101: 2026Q4 100 owed


def cashier_ledger(session) -> CashierLedger:
    a = add_household(session, "1-1-101", owner="王伟", phones=["13800138001"], community="SUN")
    b = add_household(session, "2-1-201", owner="李娜", phones=["13800138002"], community="SUN")
    c = add_household(session, "10-1-101", owner="张伟", phones=["13800138003"], community="MOON")
    add_charge(session, a.id, "2026Q3", Decimal("300.00"))
    add_charge(session, a.id, "2026Q4", Decimal("300.00"))
    add_charge(session, a.id, "2026Q4", Decimal("150.00"), kind="parking")
    add_payment(session, a.id, dt.date(2026, 7, 5), Decimal("300.00"), "SUN-R0001")
    add_charge(session, b.id, "2026Q4", Decimal("200.00"))
    add_payment(session, b.id, dt.date(2026, 10, 3), Decimal("200.00"), "SUN-R0002")
    add_charge(session, c.id, "2026Q4", Decimal("100.00"))
    session.flush()
    return CashierLedger(a.id, b.id, c.id)


def callback_request(session, household_id: int | None, number: str, minutes_ago: int,
                     now: dt.datetime, total_due_fen: int | None = None) -> IvrCallbackRequest:
    started = now - dt.timedelta(minutes=minutes_ago)
    ivr = IvrSession(callid=f"ivr-{number}-{minutes_ago}", caller_number=number,
                     household_id=household_id, started_at=started, outcome="callback", steps=[])
    session.add(ivr)
    session.flush()
    request = IvrCallbackRequest(ivr_session_id=ivr.id, household_id=household_id,
                                 callback_number=number, total_due_fen=total_due_fen,
                                 created_at=started + dt.timedelta(seconds=40))
    session.add(request)
    session.flush()
    return request


def add_cashier(session, username: str, interface: str, display_name: str) -> None:
    """A cashier who logs in with the console stack's password, in Chinese."""
    from werkzeug.security import generate_password_hash

    from models.console import User
    from tests.support.console_stack import PASSWORD

    session.add(User(username=username, role="cashier", phone_interface=interface,
                     display_name=display_name, language="zh",
                     password_hash=generate_password_hash(PASSWORD)))


def ivr_total_due(database_url: str, household_id: int) -> str:
    """What the fee IVR would say the household owes now, as the pages show money."""
    from models.session import session_factory
    from telephony.ivr.data import DatabaseIvrBackend
    from tests.support.demo import household_terms

    backend = DatabaseIvrBackend(session_factory(database_url), 5, household_terms())
    try:
        fen = backend.balance(household_id).total_due_fen
    finally:
        backend.shutdown()
    return f"¥{fen / 100:,.2f}"
