"""The cashier's desk in Debian's chromium at 1366x768, zh-CN (issue 16.6): the cashier
logs in and lands on the desk with the fee line's call-back requests oldest first,
finds a household, enters a payment whose receipt number is already in the ledger
(refused next to the field, everything typed kept), then with a new receipt; the
balance shown is the one the IVR computes (households.fees.balance_summary through
the IVR's own backend); a request is marked done with a note; the collection rate
by community, building and fee kind; the payment page in English. Every page: no
horizontal scroll, no raw codes, no untranslated English. Screenshots in
test-artifacts/cashier/.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.session import session_factory
from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.cashier import (UTC, add_cashier, callback_request, cashier_ledger,
                                   ivr_total_due)
from tests.support.console_stack import PASSWORD, start_console_stack
from tests.support.page_review import page_review

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "cashier"
DESK = {"width": 1366, "height": 768}
OFFICE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("cashier"), ARTIFACTS):
        with session_factory(stack.database_url)() as session:
            stack.ledger = cashier_ledger(session)
            now = dt.datetime.now(UTC)
            callback_request(session, stack.ledger.a, "13800138001", 5, now, 45000)
            stack.oldest = callback_request(session, stack.ledger.c, "13800138003", 50, now).id
            add_cashier(session, "cash01", "PJSIP/8040", "孙会计")
            session.commit()
        yield stack


@pytest.fixture(scope="module")
def review(stack):
    return page_review(stack, ARTIFACTS)



def test_a_payment_refused_for_its_receipt_then_saved_updates_the_balance(stack, review):
    found = []
    with launched_chromium() as browser:
        context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id=OFFICE)
        page = context.new_page()
        page.goto(stack.base_url + "/login")
        page.fill("#username", "cash01")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(stack.base_url + "/cashier/")
        rows = page.locator("#callback-requests tbody tr")
        assert rows.count() == 2
        assert rows.first.get_attribute("data-request") == str(stack.oldest)  # waited longest
        assert "10-1-101" in rows.first.inner_text() and "13800138003" in rows.first.inner_text()
        assert "工单" not in page.inner_text("nav.mainnav")  # nothing of the centre's
        found += review.look(page, "01-desk")

        page.fill("#cashier-q", "1-1-101")
        page.click("#cashier-search-form button[type=submit]")
        page.locator(f'#cashier-households tr[data-household="{stack.ledger.a}"] a').click()
        page.wait_for_selector("#payment-form")
        before = ivr_total_due(stack.database_url, stack.ledger.a)
        assert page.inner_text('#cashier-balance dd[data-key="total_due"]') == before
        found += review.look(page, "02-payment-form")

        page.fill("#pay-amount", "150.00")
        page.select_option("#pay-charge", "management:2026-10-01")
        page.select_option("#pay-method", "wechat")
        page.fill("#pay-receipt", "SUN-R0001")  # the July payment's receipt
        page.click("#pay-save")
        page.wait_for_selector("#pay-receipt-error")
        assert "该收据编号已在台账中" in page.inner_text("#pay-receipt-error")
        assert page.input_value("#pay-amount") == "150.00"
        assert page.input_value("#pay-charge") == "management:2026-10-01"
        assert page.input_value("#pay-method") == "wechat"
        assert page.input_value("#pay-receipt") == "SUN-R0001"
        assert page.inner_text('#cashier-balance dd[data-key="total_due"]') == before
        found += review.look(page, "03-duplicate-receipt-refused")

        page.fill("#pay-receipt", "SUN-R0100")
        page.click("#pay-save")
        page.wait_for_selector("p.flash.ok")
        after = ivr_total_due(stack.database_url, stack.ledger.a)
        assert after != before
        assert page.inner_text('#cashier-balance dd[data-key="total_due"]') == after
        assert "SUN-R0100" in page.inner_text("p.flash.ok") and after in page.inner_text("p.flash.ok")
        assert "SUN-R0100" in page.inner_text("#cashier-payments")
        assert page.input_value("#pay-receipt") == ""  # a fresh form for the next one
        found += review.look(page, "04-payment-saved")

        page.goto(stack.base_url + "/cashier/")
        row = page.locator(f'#callback-requests tr[data-request="{stack.oldest}"]')
        row.locator("summary").click()
        row.locator("input[name=note]").fill("已回电告知欠费，住户明日来缴")
        row.locator("button", has_text="保存").click()
        page.wait_for_selector("p.flash.ok")
        assert page.locator(f'#callback-requests tr[data-request="{stack.oldest}"]').count() == 0
        found += review.look(page, "05-request-done")

        page.click("nav.mainnav >> text=收费率")
        page.fill("#collection-quarter", "2026Q4")
        page.click("#collection-form button[type=submit]")
        page.wait_for_selector("#rate-building")
        assert "停车费" in page.inner_text("#rate-kind")
        assert "未达标" in page.inner_text("#rate-community")
        found += review.look(page, "06-collection-rate")

        page.click("button[lang=en]")
        page.goto(f"{stack.base_url}/cashier/households/{stack.ledger.a}/payment")
        assert "Receipt number" in page.inner_text("#payment-form")
        assert "WeChat Pay" in page.inner_text("#cashier-payments") or \
            "Property management fee" in page.inner_text("#payment-form")
        assert "Months in arrears" in page.inner_text("#cashier-balance")
        found += review.look(page, "07-payment-form-en", locale="en")
        context.close()
    assert not found, "\n".join(found)


def test_supervisors_find_the_collection_rate_beside_the_statistics(stack, review):
    from tests.support.console_stack import USERS, log_in

    with launched_chromium() as browser:
        context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id=OFFICE)
        page = context.new_page()
        log_in(page, stack.base_url, USERS["supervisor"][0])
        open_supervisor_menu(page)
        page.click("nav.mainnav >> text=收费率")
        page.wait_for_url(stack.base_url + "/supervisor/collection-rate")
        assert "按楼栋" in page.inner_text("main") and "收费台" not in page.inner_text("main")
        found = review.look(page, "08-supervisor-collection-rate")
        context.close()
    assert not found, "\n".join(found)
