"""Reversing a payment at the cashier's desk in Debian's chromium at 1366x768 (zh-CN,
then English): a payment typed ten times too big is saved, its reversal without a
reason is refused next to the field, then made with one; the balance on the page is
again the one the IVR computes, the reversed payment shows who reversed it and why,
and its correcting entry stands beside it. No horizontal scroll, no raw codes, no
untranslated English. Screenshots in test-artifacts/cashier/ (10-13).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models.fees import Payment
from models.session import session_factory
from tests.support.browser import launched_chromium
from tests.support.cashier import add_cashier, cashier_ledger, ivr_total_due
from tests.support.console_stack import PASSWORD, start_console_stack
from tests.support.page_review import page_review

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "cashier"
DESK = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("reversal"), ARTIFACTS):
        with session_factory(stack.database_url)() as session:
            stack.ledger = cashier_ledger(session)
            add_cashier(session, "cash02", "PJSIP/8041", "钱出纳")
            session.commit()
        yield stack


@pytest.fixture(scope="module")
def review(stack):
    return page_review(stack, ARTIFACTS)



def test_a_payment_saved_in_error_is_reversed(stack, review):
    found = []
    household = stack.ledger.a
    due = '#cashier-balance dd[data-key="total_due"]'
    with launched_chromium() as browser:
        page = browser.new_context(viewport=DESK, locale="zh-CN",
                                   timezone_id="Asia/Shanghai").new_page()
        page.goto(stack.base_url + "/login")
        page.fill("#username", "cash02")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(stack.base_url + "/cashier/")
        page.goto(f"{stack.base_url}/cashier/households/{household}/payment")
        before = ivr_total_due(stack.database_url, household)
        page.fill("#pay-amount", "1500")  # 150 meant
        page.select_option("#pay-charge", "management:2026-10-01")
        page.select_option("#pay-method", "cash")
        page.fill("#pay-receipt", "SUN-R0200")
        page.click("#pay-save")
        page.wait_for_selector("p.flash.ok")
        assert page.inner_text(due) != before
        with session_factory(stack.database_url)() as session:
            wrong = session.scalar(select(Payment.id).where(Payment.receipt_number == "SUN-R0200"))
        found += review.look(page, "10-reversal-offered")

        page.click(f"#rev-save-{wrong}")
        page.wait_for_selector(f"#rev-reason-{wrong}-error")
        assert page.inner_text(f"#rev-reason-{wrong}-error") == "请填写冲正原因。"
        assert page.inner_text(due) != before
        found += review.look(page, "11-reversal-needs-a-reason")

        page.fill(f"#rev-reason-{wrong}", "金额多录了一个0，应为150元")
        page.click(f"#rev-save-{wrong}")
        page.wait_for_selector("p.flash.ok")
        assert page.inner_text(due) == before == ivr_total_due(stack.database_url, household)
        assert "SUN-R0200" in page.inner_text("p.flash.ok") and before in page.inner_text("p.flash.ok")
        row = page.locator(f'#reversible-payments tr[data-payment="{wrong}"]')
        assert "已由钱出纳于" in row.inner_text() and "金额多录了一个0" in row.inner_text()
        assert page.locator(f"#rev-reason-{wrong}").count() == 0
        assert "收据 SUN-R0200 的冲正记录" in page.inner_text("#reversible-payments")
        found += review.look(page, "12-payment-reversed")

        page.click("button[lang=en]")
        page.wait_for_load_state()
        page.goto(f"{stack.base_url}/cashier/households/{household}/payment")
        assert page.inner_text("#reverse-heading") == "Correct a payment"
        assert "Correcting entry for receipt SUN-R0200" in page.inner_text("#reversible-payments")
        found += review.look(page, "13-reversed-en", locale="en")
    assert found == []
