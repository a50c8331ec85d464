"""Reversing a payment saved in error, on SQLite and PostgreSQL: a correcting ledger
entry with its reason and who (never a delete), after which the balance, the
screen-pop and the IVR answer the figure from before the payment at once; a payment
is reversed once, a correcting entry never, a reason is required."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from households import payments, reversals
from households.fees import Quarter, balance_summary
from households.reversals import ReversalRefused
from households.screen_pop import build_screen_pop
from models.cashier import PaymentReversal
from models.console import User
from models.fees import Payment
from telephony.ivr.data import DatabaseIvrBackend
from tests.support.cashier import cashier_ledger
from tests.support.demo import household_terms

Q4 = dt.date(2026, 10, 1)


@pytest.fixture
def ledger(session_factory):
    with session_factory() as session:
        rows = cashier_ledger(session)
        session.add(User(username="cash01", role="cashier", display_name="钱出纳",
                         password_hash="x"))
        session.commit()
    return rows


@pytest.fixture
def cashier_id(session_factory, ledger):
    with session_factory() as session:
        return session.scalar(select(User.id).where(User.username == "cash01"))


@pytest.fixture
def ivr(session_factory):
    backend = DatabaseIvrBackend(session_factory, 5, household_terms())
    yield backend
    backend.shutdown()


def _pay(session_factory, household_id, amount, receipt, cashier_id) -> int:
    terms = household_terms()
    draft = payments.PaymentDraft(household_id, Decimal(amount), "management", Q4, "cash", receipt)
    with session_factory() as session:
        payment = payments.record_payment(session, draft, cashier_id, terms.today())
        session.commit()
        return payment.id


def _figures(session_factory, household_id, ivr):
    terms = household_terms()
    with session_factory() as session:
        balance = balance_summary(session, household_id, terms.today(), terms.late_fee_daily_rate)
        pop = build_screen_pop(session, household_id, None, terms=terms)["balance"]
    return str(balance.total_due), pop["total_due"], ivr.balance(household_id).total_due_fen


def test_a_reversal_restores_the_balance_pop_and_ivr_at_once(session_factory, ledger,
                                                             cashier_id, ivr):
    before = _figures(session_factory, ledger.a, ivr)
    wrong = _pay(session_factory, ledger.a, "1500.00", "DESK-9", cashier_id)  # 150.00 meant
    assert _figures(session_factory, ledger.a, ivr) != before
    with session_factory() as session:
        reversals.reverse_payment(session, ledger.a, wrong, "  金额多打了一个0  ", cashier_id)
        session.commit()
    assert _figures(session_factory, ledger.a, ivr) == before
    with session_factory() as session:
        terms = household_terms()
        # The last payment is again July's: the reversed one and its correction do not count.
        assert balance_summary(session, ledger.a, terms.today(), terms.late_fee_daily_rate
                               ).last_payment_on == dt.date(2026, 7, 5)
        original = session.get(Payment, wrong)
        assert original.amount == Decimal("1500.00")  # kept, never edited or deleted
        link = session.scalar(select(PaymentReversal))
        correction = session.get(Payment, link.reversal_payment_id)
        assert (correction.amount, correction.paid_on, correction.fee_kind_id) == (
            Decimal("-1500.00"), original.paid_on, original.fee_kind_id)
        assert (link.reason, link.reversed_by_id) == ("金额多打了一个0", cashier_id)
        rows = reversals.payment_rows(session, ledger.a)
    assert [(row.receipt_number, row.can_reverse) for row in rows] == [
        (f"冲正-{wrong}", False), ("DESK-9", False), ("SUN-R0001", True)]
    assert rows[1].reversed_reason == "金额多打了一个0" and rows[1].reversed_by == "钱出纳"
    assert rows[0].reverses_receipt == "DESK-9"


def test_the_collection_rate_counts_the_corrected_figure(session_factory, ledger, cashier_id):
    terms = household_terms()
    with session_factory() as session:
        before = payments.collection_report(session, Quarter.containing(Q4), terms.today())
    wrong = _pay(session_factory, ledger.c, "100.00", "DESK-C", cashier_id)
    with session_factory() as session:
        reversals.reverse_payment(session, ledger.c, wrong, "别家的钱", cashier_id)
        session.commit()
        after = payments.collection_report(session, Quarter.containing(Q4), terms.today())
    assert after.overall.collected == before.overall.collected


def test_refusals(session_factory, ledger, cashier_id):
    wrong = _pay(session_factory, ledger.a, "10.00", "DESK-1", cashier_id)
    with session_factory() as session:
        for reason, code in (("   ", "reason_required"), ("x" * 301, "reason_too_long")):
            with pytest.raises(ReversalRefused) as refused:
                reversals.reverse_payment(session, ledger.a, wrong, reason, cashier_id)
            assert refused.value.code == code
        with pytest.raises(ReversalRefused, match="not_found"):  # another household's
            reversals.reverse_payment(session, ledger.b, wrong, "错", cashier_id)
        reversals.reverse_payment(session, ledger.a, wrong, "x" * 300, cashier_id)
        session.commit()
        with pytest.raises(ReversalRefused, match="already_reversed"):
            reversals.reverse_payment(session, ledger.a, wrong, "again", cashier_id)
        correction = session.scalar(select(PaymentReversal.reversal_payment_id))
        with pytest.raises(ReversalRefused, match="is_reversal"):
            reversals.reverse_payment(session, ledger.a, correction, "undo", cashier_id)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Payment)) == 4

