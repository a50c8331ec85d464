"""The night duty log at the morning handover, in Debian's chromium at 1366×768
(issue 15's done-when: a night log turned into orders at handover): the night
agent logs last night's call and an event; in the morning the handover page
counts them, one becomes a repair order with the night's call linked, the other
is closed with its reason (refused first without one, the typed text kept).

The console runs as `hotline console` over its own SQLite database and a private
redis-server. Screenshots go to test-artifacts/night-log/.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.calls import Call
from models.console import WorkOrder
from models.night_log import NightLogEntry
from models.session import session_factory
from tests.support.browser import launched_chromium
from tests.support.console_stack import USERS, log_in, start_console_stack
from workflow import night_log

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "night-log"
NUMBER = "13700137001"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("night-log"), ARTIFACTS):
        start, _ = night_log.last_night(dt.datetime.now(dt.timezone.utc), ZoneInfo("Asia/Shanghai"))
        with session_factory(stack.database_url)() as session:
            session.add(Call(callid="1700000900.1", queue="hotline", caller_number=NUMBER,
                             entered_queue_at=start + dt.timedelta(hours=3), outcome="answered"))
            session.commit()
        yield stack


def _shot(page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways at 1366×768"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_night_log_is_turned_into_orders_at_the_handover(stack):
    agent = USERS["agent"][0]
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        log_in(page, stack.base_url, agent)
        page.click("nav.mainnav >> text=夜间值班记录")
        call_row = page.locator('#night-calls tr[data-callid="1700000900.1"]')
        call_row.locator("input[name=summary]").fill("5栋2单元1101卫生间漏水，已关总阀，明早派工程部")
        call_row.locator("button").click()
        page.wait_for_selector(".flash.ok")
        page.fill("#night-summary", "")
        page.fill("#night-caller", "13700137002")
        page.click("#night-entry-form button[type=submit]")  # nothing said: refused
        page.wait_for_selector("#night-summary-error")
        assert page.input_value("#night-caller") == "13700137002"  # kept
        page.fill("#night-summary", "地下车库B区照明故障，保安已设临时照明")
        page.check("#night-entry-form input[name=urgent]")
        page.click("#night-entry-form button[type=submit]")
        page.wait_for_selector(".flash.ok")
        assert page.locator("#night-entries tr[data-entry]").count() == 2
        _shot(page, "01-logged-in-the-night")

        page.click("nav.mainnav >> text=交接班")
        assert page.inner_text("#night-log-open strong") == "2"
        page.click("#night-log-open a")
        leak = page.locator("#night-entries tr[data-entry]").filter(has_text="卫生间漏水")
        leak.locator("select[name=kind]").select_option("repair")
        leak.locator(".order-form button").click()
        page.wait_for_selector(".flash.ok")
        assert "已创建" in page.inner_text(".flash.ok") or "工单" in page.inner_text(".flash.ok")
        light = page.locator("#night-entries tr[data-entry]").filter(has_text="照明故障")
        light.locator("input[name=reason]").fill("夜间已处理，白天由工程部例行检修")
        light.locator(".close-form button").click()
        page.wait_for_selector(".flash.ok")
        assert "没有待交接的记录" in page.inner_text("#night-entries")
        _shot(page, "02-handed-over")
    with session_factory(stack.database_url)() as session:
        entries = {entry.summary[:6]: entry for entry in session.scalars(select(NightLogEntry))}
        order = session.get(WorkOrder, entries["5栋2单元1"].work_order_id)
        assert (order.kind, order.callid, order.contact_phone) == ("repair", "1700000900.1", NUMBER)
        assert entries["地下车库B区"].disposition == "closed" and entries["地下车库B区"].urgent
