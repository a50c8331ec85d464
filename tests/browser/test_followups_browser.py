"""The follow-ups page (回访) in Debian's chromium at 1366x768 in zh-CN, as an agent:
the seeded follow-up is attempt 1 of 3; recording it unreachable offers attempt 2
at the next half-day slot (09:00 or 14:00 office time), shown on the page; no
horizontal scroll, no raw codes. Screenshots go to test-artifacts/followups/.

Run under the lab lock:
`flock /tmp/hotline/lab.lock .venv/bin/python -m pytest tests/browser/test_followups_browser.py`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent_console.labels import make_localtime
from models.base import utcnow
from tests.support.browser import launched_chromium
from tests.support.console_stack import USERS, log_in, start_console_stack
from workflow import followups as rules

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "followups"
VIEWPORT = {"width": 1366, "height": 768}
OFFICE = "Asia/Shanghai"  # the default office_timezone the stack runs with


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from start_console_stack(tmp_path_factory.mktemp("followups"), ARTIFACTS)


def test_agent_records_an_unreachable_attempt_and_sees_the_next_one(stack):
    follow_up_id = stack.seeded.follow_up_id
    with launched_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id=OFFICE)
        page = context.new_page()
        log_in(page, stack.base_url, USERS["agent"][0])
        page.goto(stack.base_url + "/follow-ups")
        row = page.locator("tr", has=page.locator(f"#result-{follow_up_id}"))
        assert "第 1 次(共 3 次)" in row.inner_text()
        assert "需主管处理" in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "followups-before-1366x768.png"), full_page=True)

        page.select_option(f"#result-{follow_up_id}", "unreachable")
        page.fill(f"#notes-{follow_up_id}", "无人接听")
        before = utcnow()
        row.locator("form.result-form button[type=submit]").click()
        page.wait_for_selector("p.flash.ok")
        expected = make_localtime(OFFICE)(rules.next_attempt_at(before, ZoneInfo(OFFICE)))
        flash = page.inner_text("p.flash.ok")
        assert "下次回访" in flash and expected in flash
        next_row = page.locator("tr", has=page.locator("td.attempt-count",
                                                       has_text="第 2 次(共 3 次)"))
        assert next_row.count() == 1
        assert expected in next_row.locator("td.next-attempt").inner_text()
        assert "未到时间" in next_row.inner_text()
        body = page.inner_text("body")
        for code in ("unreachable", "pending", "follow_up_needs_supervisor", "in_progress"):
            assert code not in body
        assert page.evaluate("document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth") <= 0
        page.screenshot(path=str(ARTIFACTS / "followups-next-attempt-1366x768.png"))
        context.close()
    assert dt.timedelta(0) < rules.next_attempt_at(before, ZoneInfo(OFFICE)) - before \
        <= dt.timedelta(hours=24)
