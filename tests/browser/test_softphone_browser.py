"""The console is the phone (issue 17's done-when), in Debian's chromium with fake
media against the lab: the agent signs in, the page's softphone registers over
wss, a SIPp resident calls the hotline, the page rings with the household's pop,
the test clicks Answer, audio flows both ways (the browser receives RTP; the
recording holds the fake microphone's beep, the SIPp caller sending none), hold
and hang-up from the page's buttons; queue_log and the stored call agree. Then
the softphone's WebSocket is killed mid-shift: the agent is paused with the
reason within seconds, Asterisk has no contact to ring, and re-registration puts
them back. Screenshots in test-artifacts/softphone/.

Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_softphone_browser.py`.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.support import free_port
from call_queue.stats import queue_log_check
from models.calls import Call
from models.console import AgentStateLog
from models.call_quality import CallQuality
from models.session import session_factory
from tests import labtools
from tests.labtools import wait_until
from tests.support.demo import one_household_number
from tests.support.lab_calls import hang_up_calls_from, queue_members
from tests.support.browser import shot_without_sideways_scroll
from tests.support.live_stack import DeskAgent, agents_database
from tests.support.softphone_lab import (contact_of, device_state, logged_in_softphone,
                                         softphone_live_stack, staying_caller)

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "softphone"
EXTEN = "8046"
ENDPOINT, INTERFACE = f"webrtc-{EXTEN}", f"PJSIP/webrtc-{EXTEN}"
PASSWORD = "softphone test password"


@pytest.fixture
def database(tmp_path):
    agents = (DeskAgent("soft-a", INTERFACE, "陈静"),)
    return agents_database(tmp_path / "softphone.sqlite3", agents, PASSWORD)


@pytest.fixture
def stack(lab, database, private_redis_server, tmp_path, monkeypatch):
    yield from softphone_live_stack(lab, database, private_redis_server, tmp_path / "state",
                                    ARTIFACTS, monkeypatch)


@pytest.fixture
def desk(stack, tmp_path):
    with logged_in_softphone(tmp_path / "profile", stack.base_url, "soft-a", PASSWORD) as page:
        yield page


def shot(page, name: str) -> None:
    shot_without_sideways_scroll(page, ARTIFACTS, name)


def phone(page, field: str):
    return page.evaluate(f"window.HOTLINE.softphone.{field}")


def wait_status(page, status: str, timeout_ms: int = 15_000) -> None:
    page.wait_for_selector(f'#softphone-status[data-status="{status}"]', timeout=timeout_ms)


def wait_phone(page, condition: str, what: str, timeout_s: float = 15) -> None:
    """Wait for a condition on window.HOTLINE.softphone; say its events if it never holds."""
    try:
        wait_until(lambda: page.evaluate(f"(softphone => !!({condition}))(window.HOTLINE.softphone)"),
                   timeout_s, what, interval_s=0.2)
    except AssertionError as error:
        raise AssertionError(f"{error}: events {phone(page, 'events')}, last {phone(page, 'last')}"
                             f", sdp {phone(page, 'sdp')}")


def member(control, lab) -> dict:
    return queue_members(control, lab.queue).get(INTERFACE, {})


def caller_context(control, callid: str) -> str:
    channels = control.send_action({"Action": "CoreShowChannels"}, timeout=10).events
    return next((c.get("Context", "") for c in channels
                 if c.get("Event") == "CoreShowChannel" and c.get("Uniqueid") == callid), "")


def channels_now(control) -> list:
    """(channel, context, application, bridge) of every channel, for a failure's message."""
    found = control.send_action({"Action": "CoreShowChannels"}, timeout=10).events
    return [(c.get("Channel"), c.get("Context"), c.get("Application"), c.get("BridgeId"))
            for c in found if c.get("Event") == "CoreShowChannel"]


def rms(path: Path, start_s: float, length_s: float) -> float:
    result = subprocess.run(["sox", str(path), "-n", "trim", str(start_s), str(length_s), "stat"],
                            capture_output=True, text=True, timeout=30)
    line = next(line for line in result.stderr.splitlines() if line.startswith("RMS     amplitude"))
    return float(line.split()[-1])


def test_a_resident_is_answered_from_the_page_with_audio_both_ways(
        lab, stack, database, desk, members, control, tmp_path):
    page = desk
    wait_status(page, "registered")
    assert ENDPOINT in contact_of(lab, ENDPOINT)
    assert device_state(lab, ENDPOINT) == "Not in use"
    members.add(INTERFACE, "soft-a")
    page.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    shot(page, "01-registered-ready")
    caller_number, household_id = one_household_number(database)
    caller = staying_caller(lab.hotline_number, caller_number, "业主", tmp_path / "sipp", free_port())
    try:
        wait_status(page, "ringing")
        page.wait_for_selector('#call-phase[data-phase="ringing"]', timeout=15_000)
        page.wait_for_selector("#pop-household dd[data-field='rooms']", timeout=5_000)
        callid = page.get_attribute("#pop", "data-callid")
        assert page.is_enabled("#softphone-answer")
        shot(page, "02-ringing-pop")

        page.click("#softphone-answer")
        wait_status(page, "in_call")
        page.wait_for_selector('#call-phase[data-phase="talking"]', timeout=15_000)
        wait_phone(page, "softphone.last && softphone.last.packetsReceived > 50 "
                   "&& softphone.last.packetsSent > 50", "RTP both ways in the browser")
        talking_at = time.monotonic()
        last = phone(page, "last")
        assert last["packetsSent"] > 50 and last["packetsLost"] == 0
        page.wait_for_function("document.getElementById('softphone-quality').textContent "
                               ".includes('%')", timeout=10_000)
        shot(page, "03-talking-quality")

        page.click("#softphone-mute")
        assert page.get_attribute("#softphone-mute", "aria-pressed") == "true"
        page.click("#softphone-mute")
        assert page.get_attribute("#softphone-mute", "aria-pressed") == "false"

        time.sleep(max(0.0, 4 - (time.monotonic() - talking_at)))
        # Hold is a command (page -> console -> bridge -> AMI PlayDTMF -> the hold
        # feature), not the click: wait for the console's answer, which says
        # whether the command was carried out, then for Asterisk.
        with page.expect_response(lambda r: r.url.endswith("/control"), timeout=20_000) as held:
            page.click('#call-actions [data-control="hold"]')
        held_answer = held.value.json()
        assert held_answer["ok"], held_answer
        try:
            wait_until(lambda: caller_context(control, callid) == "hotline-hold", 10,
                       "the resident hears music on hold")
        except AssertionError as error:
            raise AssertionError(f"{error}: the console said {held_answer}; "
                                 f"channels {channels_now(control)}") from None
        shot(page, "04-on-hold")
        page.click('#call-actions [data-control="retrieve"]')
        page.wait_for_selector('#call-actions [data-control="hold"]:not([hidden])')

        page.click('#call-actions [data-control="hangup"]')
        wait_status(page, "registered")
        # The desk moves on to the call's wrap-up (after-call work), as for a desk phone.
        page.wait_for_selector('#call-phase[data-phase="wrapup"], #call-phase[data-phase="idle"]',
                               timeout=15_000)
        assert caller.wait(20) == 0, caller.log_path.read_text()[-2000:]
        shot(page, "05-hung-up")
    finally:
        caller.stop()
        hang_up_calls_from(control, caller_number)

    call = _stored(database, callid)
    assert (call.outcome, call.agent_interface, call.agent_member) == (
        "answered", INTERFACE, "soft-a")
    recording = Path(lab.recordings_dir) / call.recording_path
    # The caller sends no sound: what the recording holds before the hold is the
    # browser's fake microphone (its beep), about 0.1 RMS in the recipe's run.
    assert rms(recording, 0.5, 2.5) > 0.02
    line = labtools.wait_queue_log(lab, callid, "CONNECT")  # the page hangs up the caller: COMPLETECALLER
    assert line[3] == "soft-a"
    with session_factory(database)() as session:
        result = queue_log_check.verify(session, lab.settings, lab.queue_log_path,
                                        callids={callid})
    assert result["calls"] == 1 and result["differences"] == [], result
    # The page's audio summary of the call, kept for the supervisor's call list.
    with session_factory(database)() as session:
        wait_until(lambda: session.scalar(select(CallQuality).where(
            CallQuality.callid == callid).execution_options(populate_existing=True)), 10,
            "the softphone's audio report stored")
        quality = session.scalar(select(CallQuality).where(CallQuality.callid == callid))
    assert quality.interface == INTERFACE and quality.samples >= 1
    assert quality.packets_received > 50 and quality.packets_sent > 50
    assert quality.jitter_ms_mean is not None and quality.loss_percent < 5


def test_a_killed_websocket_pauses_the_agent_and_registration_brings_them_back(
        lab, stack, database, desk, members, control):
    page = desk
    wait_status(page, "registered")
    members.add(INTERFACE, "soft-a")
    page.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    # The softphone's WebSocket dies under the page (as when the network drops it).
    page.evaluate("window.HOTLINE.softphone.ua._transport.socket._ws.close()")
    killed = time.monotonic()
    wait_status(page, "offline", 5_000)
    wait_until(lambda: member(control, lab).get("Paused") == "1", 5, "the agent paused")
    paused_s = time.monotonic() - killed
    assert member(control, lab).get("PausedReason") == "softphone_offline"
    wait_until(lambda: not contact_of(lab, ENDPOINT) or phone(page, "status") == "registered",
               5, "the dead contact gone")
    shot(page, "06-websocket-lost-paused")
    page.wait_for_selector("#state-reason:has-text('软电话断线')", timeout=10_000)

    wait_status(page, "registered", 40_000)
    wait_until(lambda: member(control, lab).get("Paused") == "0", 10, "the pause lifted")
    assert ENDPOINT in contact_of(lab, ENDPOINT)
    shot(page, "07-registered-again")
    with session_factory(database)() as session:
        reasons = [row.reason for row in session.scalars(
            select(AgentStateLog).where(AgentStateLog.interface == INTERFACE))]
    assert reasons == ["softphone_offline", ""]
    assert paused_s < 5


def _stored(url: str, callid: str) -> Call:
    with session_factory(url)() as session:
        wait_until(lambda: session.scalar(
            select(Call.recording_path).where(Call.callid == callid)
            .execution_options(populate_existing=True)), 40, "the call stored with its recording")
        return session.scalar(select(Call).where(Call.callid == callid))
