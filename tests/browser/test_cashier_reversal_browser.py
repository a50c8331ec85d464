"""Reversing a payment at the cashier's desk in Debian's chromium at 1366x768 (zh-CN,
then English): a payment typed ten times too big is saved, its reversal without a
reason is refused next to the field, then made with one; the balance on the page is
again the one the IVR computes, the reversed payment shows who reversed it and why,
and its correcting entry stands beside it. No horizontal scroll, no raw codes, no
untranslated English. Screenshots in test-artifacts/cashier/ (10-13).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from models.console import User
from models.fees import Payment
from models.session import session_factory
from telephony.ivr.data import DatabaseIvrBackend
from tests.support.browser import launched_chromium
from tests.support.cashier import cashier_ledger
from tests.support.console_pages import codes_to_flag, english_ids_translated_in_zh, problems
from tests.support.console_stack import PASSWORD, start_console_stack
from tests.support.demo import household_terms

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "cashier"
DESK = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("reversal"), ARTIFACTS):
        with session_factory(stack.database_url)() as session:
            stack.ledger = cashier_ledger(session)
            session.add(User(username="cash02", role="cashier", phone_interface="PJSIP/8041",
                             display_name="钱出纳", language="zh",
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
    backend = DatabaseIvrBackend(session_factory(database_url), 5, household_terms())
    try:
        fen = backend.balance(household_id).total_due_fen
    finally:
        backend.shutdown()
    return f"¥{fen / 100:,.2f}"


def test_a_payment_saved_in_error_is_reversed(stack, checks):
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
        found += look(page, checks, "10-reversal-offered")

        page.click(f"#rev-save-{wrong}")
        page.wait_for_selector(f"#rev-reason-{wrong}-error")
        assert page.inner_text(f"#rev-reason-{wrong}-error") == "请填写冲正原因。"
        assert page.inner_text(due) != before
        found += look(page, checks, "11-reversal-needs-a-reason")

        page.fill(f"#rev-reason-{wrong}", "金额多录了一个0，应为150元")
        page.click(f"#rev-save-{wrong}")
        page.wait_for_selector("p.flash.ok")
        assert page.inner_text(due) == before == ivr_total_due(stack.database_url, household)
        assert "SUN-R0200" in page.inner_text("p.flash.ok") and before in page.inner_text("p.flash.ok")
        row = page.locator(f'#reversible-payments tr[data-payment="{wrong}"]')
        assert "已由钱出纳于" in row.inner_text() and "金额多录了一个0" in row.inner_text()
        assert page.locator(f"#rev-reason-{wrong}").count() == 0
        assert "收据 SUN-R0200 的冲正记录" in page.inner_text("#reversible-payments")
        found += look(page, checks, "12-payment-reversed")

        page.click("button[lang=en]")
        page.wait_for_load_state()
        page.goto(f"{stack.base_url}/cashier/households/{household}/payment")
        assert page.inner_text("#reverse-heading") == "Correct a payment"
        assert "Correcting entry for receipt SUN-R0200" in page.inner_text("#reversible-payments")
        found += look(page, checks, "13-reversed-en", locale="en")
    assert found == []
