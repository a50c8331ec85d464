"""The agent's desk as a person uses it (issue 13, points 1, 5, 6) in Debian's
chromium at 1366×768 against a real console process: the 费用 tab's detail and
the 来电 history arrive on demand, "ready" is refused beside the wrap-up form
until the last answered call has a reason and summary, and the household card
opened by search offers the walk-in and letter orders and the call link.
Screenshots go to test-artifacts/desk/, the README's two among them
(readme-agent-desk.png, readme-wallboard.png); with README_PICTURES=yes in the
environment they are also written over docs/img/ (to refresh the README, not on
every run: the timers on screen change each time).

Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.console_stack import USERS, log_in, start_console_stack
from tests.support.browser import launched_chromium

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "desk"
README_PICTURES = REPO / "docs" / "img"
VIEWPORT = {"width": 1366, "height": 768}


def _readme_picture(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"readme-{name}"))
    if os.environ.get("README_PICTURES") == "yes":
        README_PICTURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / f"readme-{name}", README_PICTURES / name)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from start_console_stack(tmp_path_factory.mktemp("desk"), ARTIFACTS)


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as browser:
        yield browser


def _page(browser, stack, role: str):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, stack.base_url, USERS[role][0])
    return context, page


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_fee_detail_and_call_history_arrive_and_ready_waits_for_the_wrapup(stack, browser):
    context, page = _page(browser, stack, "agent")
    page.wait_for_selector("#fee-detail table.ledger", state="attached", timeout=10_000)
    page.wait_for_selector("#wrapup:not([hidden])", timeout=10_000)
    page.keyboard.press("Alt+2")
    fees = page.inner_text("#panel-fees")
    assert "账目明细" in fees and "最近缴费" in fees and "¥" in fees
    page.screenshot(path=str(ARTIFACTS / "desk-fees-1366x768.png"))
    page.keyboard.press("Alt+4")
    assert page.locator("#panel-calls table.call-history").count() == 1
    page.screenshot(path=str(ARTIFACTS / "desk-calls-1366x768.png"))
    assert _overflow(page) <= 0

    # The seeded answered call on her phone has no wrap-up: ready is refused beside the form.
    page.click("#state-form button[data-action=ready]")
    page.wait_for_function("document.getElementById('wrapup-result').dataset.ok === 'no'")
    refusal = page.inner_text("#wrapup-result")
    assert "小结" in refusal and refusal == page.inner_text("#state-result")
    assert page.evaluate("document.activeElement.id") == "wrapup-reason"
    page.screenshot(path=str(ARTIFACTS / "desk-ready-refused-1366x768.png"))

    # An empty summary is explained next to its field; the chosen reason stays.
    page.select_option("#wrapup-reason", "repair")
    page.click("#wrapup-form button[type=submit]")
    page.wait_for_function("document.getElementById('wrapup-summary-error').textContent !== ''")
    assert page.input_value("#wrapup-reason") == "repair"
    page.fill("#wrapup-summary", "卫生间漏水，已派工程部")
    page.click("#wrapup-form button[type=submit]")
    page.wait_for_function("document.getElementById('wrapup-result').dataset.ok === 'yes'")
    page.keyboard.press("Alt+1")
    page.evaluate("window.scrollTo(0, 0)")
    _readme_picture(page, "agent-desk.png")
    page.click("#state-form button[data-action=ready]")
    # No bridge in this stack: what answers now is the command channel, not the wrap-up rule.
    page.wait_for_function("!document.getElementById('state-result').textContent.includes('小结')")
    context.close()


def test_card_opened_by_search_offers_walk_in_letter_and_the_call_link(stack, browser):
    context, page = _page(browser, stack, "agent")
    page.goto(stack.base_url + "/households/find?q=" + stack.seeded.room)
    page.click("#household-results a")
    page.wait_for_selector("table.ledger")
    for selector in ("#order-walk_in", "#order-letter", "#link-call-form", "table.call-history"):
        assert page.locator(selector).count() == 1, selector
    assert _overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / "card-by-search-1366x768.png"), full_page=True)
    page.select_option("#link-callid", index=0)
    page.click("#link-call-form button[type=submit]")
    page.wait_for_selector("table.call-history .badge.kind")  # 手动关联
    page.click("#order-walk_in")
    page.fill("#description", "业主来访：单元门禁失灵")
    page.click("#work-order-form button[type=submit]")
    page.wait_for_url("**/work-orders/*")
    page.screenshot(path=str(ARTIFACTS / "walk-in-order-1366x768.png"))
    context.close()


def test_the_wallboard_picture(stack, browser):
    context, page = _page(browser, stack, "supervisor")
    response = page.goto(stack.base_url + "/supervisor/wallboard")
    assert response.status == 200, stack.log_path.read_text()[-2000:]
    page.wait_for_load_state("networkidle")
    assert _overflow(page) <= 0
    _readme_picture(page, "wallboard.png")
    context.close()
