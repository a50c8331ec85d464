"""The rota and adherence page in Debian's chromium at 1366×768: the supervisor
reaches it from the supervisors' menu, adds a shift that overlaps another (refused
next to the field, everything typed kept), corrects it, sees it in the week, and
reads yesterday's adherence coloured against the 92 % norm; the page in English.
No horizontal scroll. Screenshots in test-artifacts/rota/.

Run under the lab lock (Chromium is heavy on the shared machine):
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_rota_browser.py`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.settings import load_settings
from models.rota import RotaShift
from models.session import session_factory
from models.supervision import AgentStateSpan
from tests.support.browser import open_supervisor_menu, shot_without_sideways_scroll
from tests.support.console_stack import log_in
from tests.support.seeded_console import add_user, seeded_console

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "rota"


@pytest.fixture
def console(tmp_path, private_redis_server):
    zone = ZoneInfo(load_settings().office_timezone)
    yesterday = dt.datetime.now(zone).date() - dt.timedelta(days=1)

    def at(hour, minute=0):
        return dt.datetime.combine(yesterday, dt.time(hour, minute), zone)

    def fill(session):
        add_user(session, "rota-sup", "supervisor", "赵主管")
        agents = [add_user(session, "rota-a1", "agent", "王芳", phone="PJSIP/8001"),
                  add_user(session, "rota-a2", "agent", "李强", phone="PJSIP/8002")]
        session.flush()
        for agent in agents:
            session.add(RotaShift(user_id=agent.id, day=yesterday, kind="day",
                                  starts_at=at(8), ends_at=at(16)))
        # 王芳: ready 7 h 30 min of 8 h (a 30-min pause) = 93.8 %; 李强: 6 h = 75.0 %.
        session.add_all([
            AgentStateSpan(interface="PJSIP/8001", state="idle", started_at=at(7, 45), ended_at=at(12)),
            AgentStateSpan(interface="PJSIP/8001", state="paused", started_at=at(12), ended_at=at(12, 30)),
            AgentStateSpan(interface="PJSIP/8001", state="talking", started_at=at(12, 30), ended_at=at(16, 5)),
            AgentStateSpan(interface="PJSIP/8002", state="idle", started_at=at(10), ended_at=at(16))])
        return agents[0].id

    with seeded_console(tmp_path, private_redis_server.url, fill) as console:
        yield console.base_url, console.database_url, yesterday, console.filled


def _shot(page, name: str) -> None:
    shot_without_sideways_scroll(page, ARTIFACTS, name)


def test_rota_and_adherence_in_the_browser(console, page):
    base_url, database_url, yesterday, agent_id = console
    log_in(page, base_url, "rota-sup")
    page.goto(base_url + "/supervisor/ivr-lockouts")
    open_supervisor_menu(page)  # the link is in the 主管 menu
    page.click("#nav-supervisor >> text=排班与出勤率")
    page.wait_for_selector("#rota-week-table")

    page.fill("#adherence-day", yesterday.isoformat())
    page.click("#day-form button[type=submit]")
    page.wait_for_selector("#adherence")
    rows = [row.locator("td").all_text_contents()
            for row in page.locator("#adherence tbody tr").all()]
    assert rows == [["李强", "8:00", "6:00", "75.0 %"], ["王芳", "8:00", "7:30", "93.8 %"]], rows
    classes = page.locator("#adherence tbody td:last-child").evaluate_all(
        "cells => cells.map(c => c.className)")
    assert classes == ["missed", "ok"]
    _shot(page, "01-rota-adherence-zh")

    page.select_option("#shift-user", str(agent_id))
    page.fill("#shift-day", yesterday.isoformat())
    page.select_option("#shift-kind", "evening")
    page.fill("#shift-start", "15:00")
    page.fill("#shift-end", "18:00")
    page.click("#add-shift button[type=submit]")
    page.wait_for_selector("#shift-start-error")
    assert page.inner_text("#shift-start-error") == "该客服在这段时间已有班次。"
    assert page.input_value("#shift-start") == "15:00" and page.input_value("#shift-end") == "18:00"
    assert page.input_value("#shift-kind") == "evening"
    _shot(page, "02-overlap-refused-zh")

    page.fill("#shift-start", "16:00")
    page.click("#add-shift button[type=submit]")
    page.wait_for_selector("text=班次已添加。")
    cell = page.locator(f'tr[data-user="{agent_id}"] td[data-day="{yesterday.isoformat()}"]')
    assert "中班" in cell.inner_text() or "晚班" in cell.inner_text()
    assert "16:00–18:00" in cell.inner_text()
    with session_factory(database_url)() as session:
        assert len(session.scalars(select(RotaShift)).all()) == 3
    # The adherence of the day looked at stays; the new shift counts in it (ready
    # 7 h 35 min of 10 h: the talk ran to 16:05, 5 min into the evening shift).
    assert page.locator("#adherence tbody tr").last.locator("td").all_text_contents() == [
        "王芳", "10:00", "7:35", "75.8 %"]
    _shot(page, "03-shift-added-zh")

    page.click("button[lang=en]")
    page.wait_for_load_state()
    page.goto(f"{base_url}/supervisor/rota?week={yesterday.isoformat()}&day={yesterday.isoformat()}")
    assert page.inner_text("h1") == "Rota and adherence"
    assert page.locator("#adherence thead th").all_text_contents()[-1] == "Adherence (≥ 92 %)"
    assert "Evening shift" in cell.inner_text()
    _shot(page, "04-rota-en")
