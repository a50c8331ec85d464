"""The night duty log with calls the line wrote itself (issue 16.4), in chromium at
1366x768: one voicemail the duty worker did not answer (the message plays from the
page), one the duty worker answered (its recording linked); the morning shift
writes what the voicemail said (refused first without it, nothing lost) and makes
the repair order. Screenshots in test-artifacts/night-line/."""
from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from models.console import User, WorkOrder
from models.night_log import NightLogEntry
from models.session import session_factory
from tests.support.browser import launched_chromium
from tests.support.console_stack import USERS, log_in, start_console_stack

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "night-line"


def _message(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\x10" * 16000)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("night-line")
    recordings = folder / "recordings"
    _message(recordings / "night/2026/12/03/1796400000.1-message.wav")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_RECORDINGS_DIR", str(recordings))
        for stack in start_console_stack(folder, ARTIFACTS):
            now = dt.datetime.now(dt.timezone.utc)
            with session_factory(stack.database_url)() as session:
                duty = User(username="duty-wang", password_hash="-", role="department",
                            display_name="王师傅", phone_interface="PJSIP/8047")
                session.add(duty)
                session.flush()
                session.add_all([
                    NightLogEntry(logged_at=now - dt.timedelta(hours=5), source="line",
                                  callid="1796400000.1", caller_number="13700137011",
                                  summary="", closed_reason="", duty_user_id=duty.id,
                                  duty_answered=False,
                                  voicemail="night/2026/12/03/1796400000.1-message.wav"),
                    NightLogEntry(logged_at=now - dt.timedelta(hours=4), source="line",
                                  callid="1796400000.2", caller_number="13700137012",
                                  summary="电梯异响，值班师傅已到场查看", closed_reason="",
                                  duty_user_id=duty.id, duty_answered=True,
                                  recording="night/2026/12/03/1796400000.2.wav")])
                session.commit()
            yield stack


def _shot(page, name: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways at 1366x768"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_lines_night_calls_are_heard_and_handed_over(stack):
    agent = USERS["agent"][0]
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        log_in(page, stack.base_url, agent)
        page.goto(f"{stack.base_url}/night-log")
        voicemail = page.locator("#night-entries tr[data-entry]").filter(has_text="13700137011")
        assert "值班人员王师傅未接听" in voicemail.inner_text()
        source = voicemail.locator("audio").get_attribute("src")
        assert page.request.get(stack.base_url + source).headers["content-type"] == "audio/wav"
        answered = page.locator("#night-entries tr[data-entry]").filter(has_text="13700137012")
        assert "值班人员王师傅已接听" in answered.inner_text()
        assert answered.locator("input[name=summary]").count() == 0
        _shot(page, "01-night-calls-from-the-line")

        voicemail.locator(".order-form button").click()  # nothing written: the browser asks
        assert page.evaluate("document.querySelector('.order-form input[name=summary]')"
                             ".validity.valueMissing")
        voicemail.locator("input[name=summary]").fill("3号楼2单元501厨房漏水，请工程部上门")
        voicemail.locator("select[name=kind]").select_option("repair")
        voicemail.locator(".order-form button").click()
        page.wait_for_selector(".flash.ok")
        _shot(page, "02-voicemail-made-an-order")
    with session_factory(stack.database_url)() as session:
        entry = session.scalars(select(NightLogEntry).where(
            NightLogEntry.callid == "1796400000.1")).one()
        order = session.get(WorkOrder, entry.work_order_id)
    assert order.description == "3号楼2单元501厨房漏水，请工程部上门"
