"""The cashier's data layer on SQLite and PostgreSQL: a payment written to the ledger
changes the balance the IVR reads at once, a duplicate receipt is refused (also when
another desk wins the race), the collection rate by community, building and fee kind
counted by hand, and the IVR's call-back requests as a worklist."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agent_console.cashier import worklist
from households import payments
from households.fees import Quarter, balance_summary
from households.payments import PaymentDraft, PaymentRefused
from models.cashier import PaymentEntry
from models.console import User
from models.fees import Payment
from telephony.ivr.data import DatabaseIvrBackend, money_to_fen
from tests.support.cashier import UTC, callback_request, cashier_ledger
from tests.support.demo import household_terms
from workflow.errors import WorkflowError

NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
Q4 = dt.date(2026, 10, 1)


@pytest.fixture
def ledger(session_factory):
    with session_factory() as session:
        rows = cashier_ledger(session)
        session.add(User(username="cash01", role="cashier", password_hash="x"))
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


def _draft(household_id: int, amount: str, receipt: str, kind: str = "management") -> PaymentDraft:
    return PaymentDraft(household_id, Decimal(amount), kind, Q4, "cash", receipt)


def test_a_payment_is_heard_by_the_ivr_at_once(session_factory, ledger, cashier_id, ivr):
    terms = household_terms()
    before = ivr.balance(ledger.a)
    with session_factory() as session:
        assert money_to_fen(balance_summary(session, ledger.a, terms.today(),
                                            terms.late_fee_daily_rate).total_due) \
            == before.total_due_fen
        payments.record_payment(session, _draft(ledger.a, "150.00", "DESK-0001"), cashier_id,
                                terms.today())
        session.commit()
    after = ivr.balance(ledger.a)
    with session_factory() as session:
        summary = balance_summary(session, ledger.a, terms.today(), terms.late_fee_daily_rate)
        entry = session.scalar(select(PaymentEntry))
        assert (entry.method, entry.period_start, entry.recorded_by_id) == ("cash", Q4, cashier_id)
    assert summary.outstanding == Decimal("300.00")  # 450 owed, 150 paid
    assert after.total_due_fen == money_to_fen(summary.total_due)
    assert before.total_due_fen - after.total_due_fen >= 15000
    assert after.late_fee_fen < before.late_fee_fen  # less overdue, less late fee


def test_a_duplicate_receipt_is_refused_whatever_its_case_or_width(session_factory, ledger,
                                                                 cashier_id):
    with session_factory() as session:
        for receipt in ("SUN-R0001", "sun-r0001"):
            with pytest.raises(PaymentRefused) as refused:
                payments.record_payment(session, _draft(ledger.c, "100", receipt), cashier_id,
                                        dt.date(2026, 12, 3))
            assert refused.value.by_field() == {"receipt_number": "duplicate"}
        assert session.scalar(select(func.count()).select_from(Payment)) == 2


def test_the_race_for_a_receipt_is_lost_cleanly(session_factory, ledger, cashier_id,
                                                monkeypatch):
    """Two desks check the same new receipt, one commits first: the unique index
    refuses the second, which is told so, and its session goes on."""
    with session_factory() as session:
        payments.record_payment(session, _draft(ledger.c, "50", "RACE-1"), cashier_id,
                                dt.date(2026, 12, 3))
        session.commit()
    monkeypatch.setattr(payments, "receipt_taken", lambda session, receipt: False)
    with session_factory() as session:
        with pytest.raises(PaymentRefused) as refused:
            payments.record_payment(session, _draft(ledger.c, "50", "RACE-1"), cashier_id,
                                    dt.date(2026, 12, 3))
        assert refused.value.by_field() == {"receipt_number": "duplicate"}
        payments.record_payment(session, _draft(ledger.c, "50", "RACE-2"), cashier_id,
                                dt.date(2026, 12, 3))
        session.commit()
        assert session.scalar(select(func.count()).select_from(PaymentEntry)) == 2


def test_the_largest_amount_and_longest_receipt_fit_the_columns(session_factory, ledger,
                                                               cashier_id):
    """PostgreSQL enforces Numeric(12, 2) and VARCHAR(40): the rules' limits fit them."""
    longest = "R" * payments.RECEIPT_MAX_CHARS
    with session_factory() as session:
        payments.record_payment(session, _draft(ledger.c, str(payments.MAX_AMOUNT), longest),
                                cashier_id, dt.date(2026, 12, 3))
        session.commit()
    with session_factory() as session:
        stored = session.scalar(select(Payment).where(Payment.receipt_number == longest))
        assert stored.amount == Decimal("100000.00")


def test_charge_choices_put_what_is_owed_first(session_factory, ledger):
    terms = household_terms()
    with session_factory() as session:
        choices = payments.charge_choices(session, ledger.a, terms.today(),
                                          terms.late_fee_daily_rate)
    assert [(c.fee_kind, c.period_start.isoformat(), str(c.outstanding)) for c in choices] == [
        ("management", "2026-10-01", "300.00"), ("parking", "2026-10-01", "150.00"),
        ("management", "2026-07-01", "0.00")]


def _rates(rows, key):
    return {key(row): (str(row.billed), str(row.collected), row.meets_target) for row in rows}


def test_collection_rate_by_community_building_and_fee_kind(session_factory, ledger,
                                                           cashier_id):
    terms = household_terms()
    with session_factory() as session:
        report = payments.collection_report(session, Quarter(2026, 4), terms.today())
    # A's 300 settled its Q3 charge (the oldest first): nothing of A's Q4 is collected.
    assert (str(report.overall.billed), str(report.overall.collected)) == ("750.00", "200.00")
    assert round(report.overall.rate, 4) == Decimal("0.2667")
    assert _rates(report.by_community, lambda r: r.community) == {
        "MOON": ("100.00", "0.00", False), "SUN": ("650.00", "200.00", False)}
    assert [(r.community, r.building) for r in report.by_building] == [
        ("MOON", "10"), ("SUN", "1"), ("SUN", "2")]
    assert _rates(report.by_building, lambda r: r.building)["2"] == ("200.00", "200.00", True)
    kinds = {row.fee_kind: row for row in report.by_fee_kind}
    assert kinds["parking"].target == Decimal("1.00") and kinds["management"].target == Decimal("0.95")
    with session_factory() as session:
        payments.record_payment(session, _draft(ledger.a, "150.00", "DESK-2", kind="parking"),
                                cashier_id, terms.today())
        payments.record_payment(session, _draft(ledger.c, "100.00", "DESK-3"), cashier_id,
                                terms.today())
        session.commit()
        report = payments.collection_report(session, Quarter(2026, 4), terms.today())
        q3 = payments.collection_report(session, Quarter(2026, 3), terms.today())
        empty = payments.collection_report(session, Quarter(2025, 1), terms.today())
    assert _rates(report.by_community, lambda r: r.community)["MOON"] == ("100.00", "100.00", True)
    # Settled oldest first as in the balance: A's 150 went to Q4 management (billed before parking).
    assert _rates(report.by_fee_kind, lambda r: r.fee_kind) == {
        "management": ("600.00", "450.00", False), "parking": ("150.00", "0.00", False)}
    assert (str(q3.overall.billed), str(q3.overall.collected)) == ("300.00", "300.00")
    assert empty.overall.rate is None and empty.by_community == []


def test_the_worklist_is_oldest_first_and_done_needs_a_note(session_factory, ledger, cashier_id):
    with session_factory() as session:
        newer = callback_request(session, ledger.a, "13800138001", 5, NOW, 45000)
        older = callback_request(session, ledger.c, "13800138003", 50, NOW)
        withheld = callback_request(session, None, "", 20, NOW)
        session.commit()
        ids = (older.id, withheld.id, newer.id)
    with session_factory() as session:
        items = worklist.open_requests(session)
        assert [item.request.id for item in items] == list(ids)
        assert (items[0].room, items[0].owner) == ("10-1-101", "张伟")
        assert items[2].told_total_due == Decimal("450")
        cashier = session.get(User, cashier_id)
        with pytest.raises(WorkflowError, match="no number"):
            worklist.place_call(session, items[1].request, cashier, NOW)
        worklist.place_call(session, items[0].request, cashier, NOW)
        with pytest.raises(WorkflowError, match="say what was done"):
            worklist.mark_done(session, items[0].request, cashier, "  ", NOW)
        with pytest.raises(WorkflowError, match="too long"):
            worklist.mark_done(session, items[0].request, cashier, "x" * 501, NOW)
        worklist.mark_done(session, items[0].request, cashier, "已告知欠费，明日来缴", NOW)
        session.commit()
    with session_factory() as session:
        items = worklist.open_requests(session)
        assert [item.request.id for item in items] == [withheld.id, newer.id]
        assert worklist.open_count(session) == 2
        with pytest.raises(WorkflowError, match="not open"):
            worklist.open_request(session, older.id)
