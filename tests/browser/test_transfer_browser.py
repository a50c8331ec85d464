"""A call transferred with its context, in Debian's chromium against the real stack
(issue 13's done-when): agent A's phone rings and the household pops before the
answer; A answers, puts the resident on hold (F6), transfers (F7) to agent B with
a note; B's desk pops the same household with A's note; B files a repair order.
The database links the order, both legs and the recording; queue_log agrees.

Real Asterisk 22 (the lab), the real bridge and console as subprocesses; A's
phone is the lab's Local phone 8052 (rings, then answers), B's is PJSIP/8047
played by SIPp. Screenshots of every step at 1366×768 and 1920×1080 go to
test-artifacts/transfer/ (linked from the README).

Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser`.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from call_queue.stats import queue_log_check
from models.calls import Call
from models.console import User, WorkOrder
from models.session import session_factory
from tests import labtools
from tests.labtools import wait_until
from tests.support.browser import launched_chromium
from tests.support.demo import one_household_number
from tests.support.lab_calls import hang_up_calls_from, originate, set_lab_phone
from tests.support.live_stack import DeskAgent, agents_database, run_live_stack

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "transfer"
A_PHONE, B_EXTEN = "8052", "8047"
A_INTERFACE, B_INTERFACE = f"Local/{A_PHONE}@lab-phones/n", f"PJSIP/{B_EXTEN}"
PASSWORD = "transfer test password"
SIZES = ((1366, 768), (1920, 1080))
NOTE = "卫生间漏水，业主今晚在家，请工程部明早上门"


@pytest.fixture
def database(tmp_path):
    agents = (DeskAgent("desk-a", A_INTERFACE, "王芳"), DeskAgent("desk-b", B_INTERFACE, "李强"))
    return agents_database(tmp_path / "transfer.sqlite3", agents, PASSWORD)


@pytest.fixture
def stack(lab, database, private_redis_server, tmp_path):
    yield from run_live_stack(lab, database, private_redis_server, tmp_path / "state",
                              ARTIFACTS)


@pytest.fixture
def phone_b(tmp_path):
    phone = labtools.sipp_agent_phone(B_EXTEN, tmp_path / "sipp")
    yield phone
    phone.stop()


@pytest.fixture
def browser():
    with launched_chromium() as browser:
        yield browser


def desk(browser, stack, username: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(stack.base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(stack.base_url + "/console")
    page.wait_for_function("window.HOTLINE && window.HOTLINE.received.some("
                           "r => r.event === 'snapshot')", timeout=10_000)
    return page


def shot(page, step: str) -> None:
    """The step at both monitor sizes; no horizontal scroll at either."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{step} scrolls sideways at {width}×{height}"
        page.screenshot(path=str(ARTIFACTS / f"{step}-{width}x{height}.png"))
    page.set_viewport_size({"width": 1366, "height": 768})


def received(page) -> list[str]:
    return page.evaluate("window.HOTLINE.received.map(r => r.event)")


def caller_channel(control, callid: str) -> dict:
    channels = control.send_action({"Action": "CoreShowChannels"}, timeout=10).events
    return next((dict(c.items()) for c in channels
                 if c.get("Event") == "CoreShowChannel" and c.get("Uniqueid") == callid), {})


def caller_context(control, callid: str) -> str:
    return caller_channel(control, callid).get("Context", "")


def test_a_call_transferred_with_household_and_note_is_filed_by_the_receiver(
        lab, stack, database, members, control, phone_b, browser):
    caller_number, household_id = one_household_number(database)
    page_a, page_b = desk(browser, stack, "desk-a"), desk(browser, stack, "desk-b")
    set_lab_phone(control, A_PHONE, ring="4", talk="600")
    members.add(A_INTERFACE, "desk-a")
    members.add(B_INTERFACE, "desk-b", penalty=1)  # ready, but the queue rings A first
    page_a.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    page_b.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    try:
        callid = originate(control, lab, caller_number, "业主", patience_s=120)
        page_a.wait_for_selector('#call-phase[data-phase="ringing"]', timeout=15_000)
        page_a.wait_for_selector("#pop-household dd[data-field='rooms']", timeout=5_000)
        assert "call_answered" not in received(page_a)  # the pop came while it rang
        shot(page_a, "01-a-ringing-pop")

        page_a.wait_for_selector('#call-phase[data-phase="talking"]', timeout=15_000)
        assert page_a.get_attribute("#pop", "data-callid") == callid
        shot(page_a, "02-a-talking")

        page_a.keyboard.press("F6")
        page_a.wait_for_selector('#call-actions [data-control="retrieve"]:not([hidden])')
        wait_until(lambda: caller_context(control, callid) == "hotline-hold", 5,
                   "the resident hears music on hold")
        shot(page_a, "03-a-on-hold")

        page_a.keyboard.press("F7")
        page_a.wait_for_selector("#transfer-dialog[open]")
        page_a.fill("#transfer-number", B_EXTEN)
        page_a.fill("#transfer-note", NOTE)
        shot(page_a, "04-a-transfer-dialog")
        page_a.click('#transfer-dialog button[data-transfer="blind_transfer"]')
        page_a.wait_for_selector("#transfer-dialog", state="hidden", timeout=10_000)

        page_b.wait_for_selector("#transfer-note-received:not([hidden])", timeout=15_000)
        page_b.wait_for_selector("#pop-household dd[data-field='rooms']", timeout=5_000)
        assert page_b.inner_text("#transfer-note-received [data-note]") == NOTE
        assert page_b.inner_text("#transfer-note-received [data-from]") == "王芳"  # A's name
        assert page_b.get_attribute("#pop", "data-callid") == callid
        assert "随转接" in page_b.inner_text("#pop-identified")
        shot(page_b, "05-b-transferred-pop")  # B's phone rings 2 s, then answers
        # B's desk is on the call: talking, its timer, hang-up on B's own channel.
        page_b.wait_for_selector('#call-phase[data-phase="talking"]', timeout=15_000)
        page_b.wait_for_selector('#call-actions [data-control="hangup"]:not([disabled])')
        assert "随转接" in page_b.inner_text("#pop-identified")  # still A's household
        assert page_b.locator("#wrapup:not([hidden])").count() == 0  # A wraps it up
        shot(page_b, "06-b-talking")

        # B types the order beside the card while talking (the desk's order panel).
        page_b.wait_for_selector("#wo-work-order-form")
        assert page_b.input_value("#wo-household_id") == str(household_id)
        page_b.select_option("#wo-kind", "repair")
        page_b.select_option("#wo-category", "plumbing")
        page_b.fill("#wo-description", "卫生间地漏返水，楼下天花板有水渍")
        shot(page_b, "07-b-order-form")
        page_b.click("#wo-work-order-form button[type=submit]")
        page_b.wait_for_selector("#order-panel-result[data-order]", timeout=10_000)
        order_id = page_b.get_attribute("#order-panel-result", "data-order")
        shot(page_b, "08-b-order-saved")

        # B holds and takes the resident back from the same keys as A (F6).
        page_b.keyboard.press("F6")
        page_b.wait_for_selector('#call-actions [data-control="retrieve"]:not([hidden])')
        wait_until(lambda: caller_context(control, callid) == "hotline-hold", 5,
                   "B put the resident on hold")
        assert page_b.inner_text("#call-phase") == "保持中"
        shot(page_b, "08b-b-on-hold")
        page_b.keyboard.press("F6")
        page_b.wait_for_selector('#call-actions [data-control="hold"]:not([hidden])')
        # The hold loop (Wait in hotline-hold) is over: the resident hears B again.
        wait_until(lambda: caller_channel(control, callid).get("Application") not in (
            "Wait", "StartMusicOnHold", None), 5,
                   "B took the resident back")
        assert page_b.inner_text("#call-phase") == "通话中"

        # B ends the call from the desk: the resident's line is released.
        page_b.click('#call-actions [data-control="hangup"]')
        page_b.wait_for_selector('#call-phase[data-phase="idle"]', timeout=15_000)
        _the_database_links_order_legs_and_recording(database, callid, household_id)
        page_b.goto(f"{stack.base_url}/work-orders/{order_id}")
        page_b.wait_for_selector("#order-status")
        with session_factory(database)() as session:
            order = session.get(WorkOrder, int(order_id))
            assert order.recording == session.scalar(
                select(Call.recording_path).where(Call.callid == callid))
        shot(page_b, "09-b-order-with-recording")
        _queue_log_agrees(lab, database, callid)
    finally:
        hang_up_calls_from(control, caller_number)


def _the_database_links_order_legs_and_recording(url: str, callid: str,
                                                 household_id: int) -> None:
    with session_factory(url)() as session:
        wait_until(lambda: session.scalar(
            select(Call.transfer_ended_at).where(Call.callid == callid)
            .execution_options(populate_existing=True)), 20, "B's leg stored to its end")
        wait_until(lambda: session.scalar(
            select(Call.recording_path).where(Call.callid == callid)
            .execution_options(populate_existing=True)), 40, "the call's recording")
        call = session.scalar(select(Call).where(Call.callid == callid))
        order = session.scalars(select(WorkOrder).where(WorkOrder.callid == callid)).one()
        filer = session.get(User, order.created_by_id)
    assert (call.outcome, call.transfer_kind, call.transfer_target) == (
        "transferred", "blind", B_EXTEN)
    assert (call.agent_interface, call.transfer_interface) == (A_INTERFACE, B_INTERFACE)
    assert call.answered_at <= call.transfer_answered_at < call.transfer_ended_at
    assert (order.household_id, order.kind, filer.username) == (household_id, "repair", "desk-b")
    # (The lab's simulated phones send no sound yet: the file's size is not checked.)
    assert call.recording_path.endswith(f"{callid}.wav")


def _queue_log_agrees(lab, url: str, callid: str) -> None:
    line = labtools.wait_queue_log(lab, callid, "BLINDTRANSFER")
    assert line[3] == "desk-a" and line[5:7] == [B_EXTEN, "hotline-transfer"]
    with session_factory(url)() as session:
        result = queue_log_check.verify(session, lab.settings, lab.queue_log_path,
                                        callids={callid})
    assert result["calls"] == 1 and result["differences"] == [], result
