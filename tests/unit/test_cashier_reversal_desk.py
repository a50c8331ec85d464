"""Reversing a payment at the cashier's desk through the Flask client: a reason is
required (said next to its field, what was typed kept), then the correcting entry is
saved and the balance, the agent's pop and the IVR say the corrected figure at once;
a reversed payment offers no second reversal; a forged post is refused."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from households.screen_pop import build_screen_pop
from models.cashier import PaymentReversal
from models.fees import Payment
from telephony.ivr.data import DatabaseIvrBackend
from tests.support.cashier import cashier_ledger
from tests.support.console_client import csrf_token_from, log_in
from tests.support.demo import household_terms


@pytest.fixture
def ledger(console_sessions):
    with console_sessions() as session:
        rows = cashier_ledger(session)
        session.commit()
    return rows


@pytest.fixture
def cashier_client(app, make_user):
    make_user("cash01", "cashier", "PJSIP/8060")
    client = app.test_client()
    assert log_in(client, "cash01").status_code == 302
    return client


def _page(household_id: int) -> str:
    return f"/cashier/households/{household_id}/payment"


def _post(client, path: str, household_id: int, **fields):
    token = csrf_token_from(client, _page(household_id))
    return client.post(path, data={"csrf_token": token, **fields})


def test_reverse_a_payment_saved_in_error(cashier_client, ledger, console_sessions):
    terms = household_terms()
    ivr = DatabaseIvrBackend(console_sessions, 5, terms)
    try:
        before = ivr.balance(ledger.a)
        saved = _post(cashier_client, _page(ledger.a), ledger.a, amount="1500",
                      charge="management:2026-10-01", method="cash", receipt_number="DESK-77")
        assert saved.status_code == 303
        assert ivr.balance(ledger.a) != before
        with console_sessions() as session:
            wrong = session.scalar(select(Payment.id).where(Payment.receipt_number == "DESK-77"))
        reverse = f"/cashier/households/{ledger.a}/payments/{wrong}/reverse"
        refused = _post(cashier_client, reverse, ledger.a, reason="   ")
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert re.search(rf'id="rev-reason-{wrong}-error"[^>]*>Say why this payment is reversed',
                         page)
        assert ivr.balance(ledger.a) != before
        done = _post(cashier_client, reverse, ledger.a, reason="typed 1500 for 150")
        assert done.status_code == 303
        after = ivr.balance(ledger.a)
    finally:
        ivr.shutdown()
    assert after == before
    page = cashier_client.get(_page(ledger.a)).get_data(as_text=True)
    due = f"¥{after.total_due_fen / 100:,.2f}"
    assert f"Payment of ¥1,500.00 (receipt DESK-77) reversed. Total due now: {due}." in page
    assert f'id="rev-reason-{wrong}"' not in page  # no second reversal offered
    assert "Reversed by Cash01" in page and "typed 1500 for 150" in page
    assert "Correcting entry for receipt DESK-77" in page and "\u2212¥1,500.00" in page
    with console_sessions() as session:
        pop = build_screen_pop(session, ledger.a, None, terms=terms)
        assert pop["balance"]["total_due"] == f"{after.total_due_fen / 100:.2f}"
        assert session.get(Payment, wrong).amount == 1500  # the original kept
        assert session.scalar(select(PaymentReversal.reason)) == "typed 1500 for 150"
    again = _post(cashier_client, reverse, ledger.a, reason="twice")
    assert again.status_code == 422 and "This payment is reversed already." in \
        again.get_data(as_text=True)


def test_a_long_reason_is_kept_and_refused_by_its_field(cashier_client, ledger,
                                                        console_sessions):
    with console_sessions() as session:
        payment = session.scalar(select(Payment.id).where(Payment.receipt_number == "SUN-R0001"))
    reason = "原因" * 151
    refused = _post(cashier_client, f"/cashier/households/{ledger.a}/payments/{payment}/reverse",
                    ledger.a, reason=reason)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "At most 300 characters." in page
    assert f'value="{reason}"' in page


def test_another_households_payment_and_a_forged_post_are_refused(cashier_client, ledger,
                                                                   console_sessions):
    with console_sessions() as session:
        payment = session.scalar(select(Payment.id).where(Payment.receipt_number == "SUN-R0002"))
    wrong_household = _post(cashier_client,
                            f"/cashier/households/{ledger.a}/payments/{payment}/reverse",
                            ledger.a, reason="not theirs")
    assert wrong_household.status_code == 404
    forged = cashier_client.post(f"/cashier/households/{ledger.b}/payments/{payment}/reverse",
                                 data={"reason": "no token"})
    assert forged.status_code == 400
    with console_sessions() as session:
        assert session.scalar(select(PaymentReversal)) is None


def test_agents_cannot_reverse(agent_client, ledger):
    response = agent_client.post(f"/cashier/households/{ledger.a}/payments/1/reverse",
                                 data={"reason": "x"})
    assert response.status_code in (400, 403)
