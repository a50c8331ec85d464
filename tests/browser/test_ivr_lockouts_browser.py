"""The supervisor's IVR lock-out list in Debian's chromium: a household locked by
three failed identity checks shows up (household, room, since, until, attempts) in
Chinese, reached from the menu; an agent has no such menu entry and is refused.

The console runs as `hotline console` over its own SQLite database and a private
redis-server. Run under the lab lock (Chromium is heavy on the shared machine):
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_ivr_lockouts_browser.py`.
Screenshots go to test-artifacts/browser/.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models.households import Household, Room
from telephony.ivr.identity import IdentityPolicy, record_failure
from tests.support.browser import open_supervisor_menu
from tests.support.console_stack import log_in
from tests.support.demo import demo_data
from tests.support.seeded_console import add_user, seeded_console

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"


@pytest.fixture
def console(tmp_path, private_redis_server):
    def fill(session):
        for username, role in (("lock-supervisor", "supervisor"), ("lock-agent", "agent")):
            add_user(session, username, role, username)
        demo_data(session, households=5, seed=3)
        session.flush()
        household_id, room = session.execute(
            select(Room.household_id, Room.code).where(Room.household_id.is_not(None))
            .order_by(Room.code)).first()
        for _ in range(3):
            record_failure(session, household_id, IdentityPolicy(max_failures=3))
        return session.get(Household, household_id).number, room

    with seeded_console(tmp_path, private_redis_server.url, fill) as console:
        yield (console.base_url, *console.filled)


def test_a_supervisor_sees_the_locked_household_and_an_agent_does_not(console, page):
    base_url, number, room = console
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base_url, "lock-supervisor")
    open_supervisor_menu(page)  # the link is in the 主管 menu
    page.click("#nav-supervisor >> text=语音查询锁定")
    page.wait_for_selector("#ivr-lockouts")
    page.screenshot(path=str(ARTIFACTS / "11-ivr-lockouts.png"), full_page=True)
    headers = page.locator("#ivr-lockouts thead th").all_text_contents()
    assert headers == ["住户", "房号", "锁定开始", "锁定至", "失败次数"], headers
    cells = page.locator("#ivr-lockouts tbody tr").first.locator("td").all_text_contents()
    assert cells[0] == number and room in cells[1] and cells[4] == "3"
    assert cells[2] < cells[3]  # since before until, both as office time

    page.context.clear_cookies()
    log_in(page, base_url, "lock-agent")
    assert page.locator("text=语音查询锁定").count() == 0
    response = page.goto(base_url + "/supervisor/ivr-lockouts")
    assert response.status == 403
