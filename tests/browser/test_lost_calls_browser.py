"""A lost call called back from the desktop (issue 16's done-when), on the real
stack: a resident waits 23 s in the lab's queue with no agent free and hangs up;
the bridge stores the abandon; in Debian's chromium the agent opens 未接来电,
sees the household, clicks 回拨; the agent's phone (the lab's Local phone 8053)
rings and answers, then Asterisk dials the resident (lab-residents); the agent
saves "reached" and the call counts as recovered. Screenshots at 1366×768 in
test-artifacts/lost-calls/.

Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser`.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import models
from models.callbacks import CallbackAttempt
from models.calls import Call
from models.session import session_factory
from tests.labtools import wait_until
from tests.support.browser import launched_chromium
from tests.support.demo import one_household_number
from tests.support.lab_calls import hang_up_calls_from, originate, set_lab_phone
from tests.support.live_stack import DeskAgent, agents_database, run_live_stack

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "lost-calls"
PHONE = "8053"
INTERFACE = f"Local/{PHONE}@lab-phones/n"
PASSWORD = "lost calls test password"
PATIENCE_S = 23  # more than the 20-s short-abandon threshold


@pytest.fixture
def database(tmp_path):
    agents = (DeskAgent("desk-c", INTERFACE, "陈静"),)
    return agents_database(tmp_path / "lost.sqlite3", agents, PASSWORD)


@pytest.fixture
def stack(lab, database, private_redis_server, tmp_path):
    yield from run_live_stack(lab, database, private_redis_server, tmp_path / "state", ARTIFACTS)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways at 1366×768"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _dialled_resident(control, number: str) -> bool:
    channels = control.send_action({"Action": "CoreShowChannels"}, timeout=10).events
    return any(channel.get("Context") == "lab-residents" and number in channel.get("Channel", "")
               for channel in channels if channel.get("Event") == "CoreShowChannel")


def test_an_abandoned_call_is_called_back_from_the_desktop(lab, stack, database, members,
                                                          control):
    number, household_id = one_household_number(database)
    with session_factory(database)() as session:
        household_number = session.get(models.households.Household, household_id).number
    set_lab_phone(control, PHONE, ring="2", talk="8")
    try:
        callid = originate(control, lab, number, "业主", patience_s=PATIENCE_S)
        with session_factory(database)() as session:
            wait_until(lambda: session.scalar(
                select(Call.outcome).where(Call.callid == callid)
                .execution_options(populate_existing=True)) == "abandoned",
                PATIENCE_S + 20, "the abandon stored by the bridge")
        with launched_chromium() as browser:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")
            page = context.new_page()
            page.goto(stack.base_url + "/login")
            page.fill("#username", "desk-c")
            page.fill("#password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(stack.base_url + "/console")
            page.click("nav.mainnav >> text=未接来电")
            row = page.locator(f'#lost-calls tr[data-callid="{callid}"]')
            row.wait_for()
            assert household_number in row.inner_text() and "尚未回拨" in row.inner_text()
            assert "放弃" in row.inner_text()
            _shot(page, "01-lost-call-listed")

            row.locator("button", has_text="回拨住户").click()
            page.wait_for_selector(".flash.ok")
            assert "您的话机会先振铃" in page.inner_text(".flash.ok")
            wait_until(lambda: _dialled_resident(control, number), 20,
                       "Asterisk dialled the resident after the agent's phone answered")
            _shot(page, "02-calling-back")

            row = page.locator(f'#lost-calls tr[data-callid="{callid}"]')
            row.locator("select[name=result]").select_option("reached")
            row.locator("input[name=notes]").fill("已回电，住户说明天再报修")
            row.locator("button", has_text="保存").click()
            page.wait_for_selector(".flash.ok")
            assert page.locator(f'#lost-calls tr[data-callid="{callid}"]').count() == 0
            assert "回拨挽回: 1" in page.inner_text("#lost-summary")
            _shot(page, "03-recovered")
            context.close()
        with session_factory(database)() as session:
            attempt = session.scalar(select(CallbackAttempt).where(CallbackAttempt.callid == callid))
            assert (attempt.number, attempt.result) == (number, "reached")
    finally:
        hang_up_calls_from(control, number)
