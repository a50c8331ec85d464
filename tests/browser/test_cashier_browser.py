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

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from models.console import User
from models.session import session_factory
from telephony.ivr.data import DatabaseIvrBackend
from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.cashier import UTC, callback_request, cashier_ledger
from tests.support.console_pages import codes_to_flag, english_ids_translated_in_zh, problems
from tests.support.console_stack import PASSWORD, start_console_stack
from tests.support.demo import household_terms

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
            session.add(User(username="cash01", role="cashier", phone_interface="PJSIP/8040",
                             display_name="孙会计", language="zh",
                             password_hash=generate_password_hash(PASSWORD)))
            session.commit()
        yield stack


@pytest.fixture(scope="module")
def checks(stack):
    from agent_console import create_app
    from hotline.settings import load_settings

    app = create_app(dataclasses.replace(load_settings(), database_url=stack.database_url,
                                         redis_url=stack.redis_url), testing=True)
    return english_ids_translated_in_zh(), codes_to_flag(app, "zh")


def look(page, checks, name: str, locale: str = "zh") -> list[str]:
    """Screenshot `name`; what is wrong with the page (sideways scroll, codes, English)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth")
    found = [f"{name}: {wide} px too wide"] if wide > 0 else []
    if locale != "zh":
        return found
    nodes = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
    return found + [f"{name}: {problem}" for problem in problems(nodes, "zh", *checks)]


def ivr_total_due(database_url: str, household_id: int) -> str:
    """What the IVR would say now, as the page shows money."""
    backend = DatabaseIvrBackend(session_factory(database_url), 5, household_terms())
    try:
        fen = backend.balance(household_id).total_due_fen
    finally:
        backend.shutdown()
    return f"¥{fen / 100:,.2f}"


def test_a_payment_refused_for_its_receipt_then_saved_updates_the_balance(stack, checks):
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
        found += look(page, checks, "01-desk")

        page.fill("#cashier-q", "1-1-101")
        page.click("#cashier-search-form button[type=submit]")
        page.locator(f'#cashier-households tr[data-household="{stack.ledger.a}"] a').click()
        page.wait_for_selector("#payment-form")
        before = ivr_total_due(stack.database_url, stack.ledger.a)
        assert page.inner_text('#cashier-balance dd[data-key="total_due"]') == before
        found += look(page, checks, "02-payment-form")

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
        found += look(page, checks, "03-duplicate-receipt-refused")

        page.fill("#pay-receipt", "SUN-R0100")
        page.click("#pay-save")
        page.wait_for_selector("p.flash.ok")
        after = ivr_total_due(stack.database_url, stack.ledger.a)
        assert after != before
        assert page.inner_text('#cashier-balance dd[data-key="total_due"]') == after
        assert "SUN-R0100" in page.inner_text("p.flash.ok") and after in page.inner_text("p.flash.ok")
        assert "SUN-R0100" in page.inner_text("#cashier-payments")
        assert page.input_value("#pay-receipt") == ""  # a fresh form for the next one
        found += look(page, checks, "04-payment-saved")

        page.goto(stack.base_url + "/cashier/")
        row = page.locator(f'#callback-requests tr[data-request="{stack.oldest}"]')
        row.locator("summary").click()
        row.locator("input[name=note]").fill("已回电告知欠费，住户明日来缴")
        row.locator("button", has_text="保存").click()
        page.wait_for_selector("p.flash.ok")
        assert page.locator(f'#callback-requests tr[data-request="{stack.oldest}"]').count() == 0
        found += look(page, checks, "05-request-done")

        page.click("nav.mainnav >> text=收费率")
        page.fill("#collection-quarter", "2026Q4")
        page.click("#collection-form button[type=submit]")
        page.wait_for_selector("#rate-building")
        assert "停车费" in page.inner_text("#rate-kind")
        assert "未达标" in page.inner_text("#rate-community")
        found += look(page, checks, "06-collection-rate")

        page.click("button[lang=en]")
        page.goto(f"{stack.base_url}/cashier/households/{stack.ledger.a}/payment")
        assert "Receipt number" in page.inner_text("#payment-form")
        assert "WeChat Pay" in page.inner_text("#cashier-payments") or \
            "Property management fee" in page.inner_text("#payment-form")
        assert "Months in arrears" in page.inner_text("#cashier-balance")
        found += look(page, checks, "07-payment-form-en", locale="en")
        context.close()
    assert not found, "\n".join(found)


def test_supervisors_find_the_collection_rate_beside_the_statistics(stack, checks):
    from tests.support.console_stack import USERS, log_in

    with launched_chromium() as browser:
        context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id=OFFICE)
        page = context.new_page()
        log_in(page, stack.base_url, USERS["supervisor"][0])
        open_supervisor_menu(page)
        page.click("nav.mainnav >> text=收费率")
        page.wait_for_url(stack.base_url + "/supervisor/collection-rate")
        assert "按楼栋" in page.inner_text("main") and "收费台" not in page.inner_text("main")
        found = look(page, checks, "08-supervisor-collection-rate")
        context.close()
    assert not found, "\n".join(found)
