"""A call transferred from a desk agent to an agent on the console's softphone, in
Debian's chromium with fake media against the lab: the transfer rings the browser
(PJSIP/webrtc-8046, the interface the agent is logged in to the queue on), never
the desk phone of the same number, and the transfer's pop with A's note appears
in that browser while it rings; B answers in the page, the call is B's, B hangs
up, and the stored call names the softphone as the second leg.

A's phone is the lab's Local phone 8052 (rings, then answers); A's desk sends
the transfer as its page does (POST /api/calls/<callid>/control, from an HTTP
session: one Playwright per thread, and B's browser needs its own fake-media
profile). The desk phone PJSIP/8046 is played by SIPp, so a transfer that rang
it would be answered there (the bug this test was written for).
Screenshots in test-artifacts/softphone-transfer/.

Run under the lab lock:
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_softphone_transfer_browser.py`.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from agent_console.live import AgentLiveStore
from models.calls import Call
from models.session import session_factory
from tests import labtools
from tests.labtools import wait_until
from tests.support.demo import one_household_number
from tests.support.lab_calls import hang_up_calls_from, originate, set_lab_phone
from tests.support.browser import shot_without_sideways_scroll
from tests.support.live_stack import DeskAgent, agents_database
from tests.support.softphone_lab import logged_in_softphone, softphone_live_stack

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "softphone-transfer"
A_PHONE, B_EXTEN = "8052", "8046"
A_INTERFACE, B_INTERFACE = f"Local/{A_PHONE}@lab-phones/n", f"PJSIP/webrtc-{B_EXTEN}"
DESK_PHONE = f"PJSIP/{B_EXTEN}"
PASSWORD = "softphone transfer test password"
NOTE = "业主反映楼道灯不亮，请跟进"


@pytest.fixture
def database(tmp_path):
    agents = (DeskAgent("desk-a", A_INTERFACE, "王芳"), DeskAgent("soft-b", B_INTERFACE, "陈静"))
    return agents_database(tmp_path / "softphone-transfer.sqlite3", agents, PASSWORD)


@pytest.fixture
def stack(lab, database, private_redis_server, tmp_path, monkeypatch):
    yield from softphone_live_stack(lab, database, private_redis_server, tmp_path / "state",
                                    ARTIFACTS, monkeypatch)


@pytest.fixture
def desk_phone(tmp_path):
    """Whoever rings PJSIP/8046 (the desk phone) is answered there."""
    phone = labtools.sipp_agent_phone(B_EXTEN, tmp_path / "sipp-desk")
    yield phone
    phone.stop()


@pytest.fixture
def page_b(stack, tmp_path):
    with logged_in_softphone(tmp_path / "profile-b", stack.base_url, "soft-b", PASSWORD) as page:
        yield page


@pytest.fixture
def desk_a(stack):
    with requests.Session() as session:
        token = csrf_token(session, stack.base_url + "/login")
        answer = session.post(stack.base_url + "/login", allow_redirects=False, timeout=10,
                              data={"username": "desk-a", "password": PASSWORD,
                                    "csrf_token": token})
        assert answer.status_code == 302, answer.text[-500:]
        yield session


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"'
                      r'|name="csrf-token" content="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def live_call(stack, interface: str) -> dict:
    """The phone's current call as the console's live store holds it."""
    return AgentLiveStore(stack.redis_client).get(interface).get("call") or {}


def shot(page, name: str) -> None:
    shot_without_sideways_scroll(page, ARTIFACTS, name)


def channels(control) -> list[str]:
    found = control.send_action({"Action": "CoreShowChannels"}, timeout=10).events
    return [c.get("Channel", "") for c in found if c.get("Event") == "CoreShowChannel"]


def test_a_transfer_to_a_softphone_agent_rings_their_browser_with_the_pop(
        lab, stack, database, members, control, desk_phone, desk_a, page_b):
    page_b.wait_for_selector('#softphone-status[data-status="registered"]', timeout=15_000)
    caller_number, household_id = one_household_number(database)
    set_lab_phone(control, A_PHONE, ring="2", talk="600")
    members.add(A_INTERFACE, "desk-a")
    members.add(B_INTERFACE, "soft-b", penalty=1)  # ready, but the queue rings A first
    page_b.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    try:
        callid = originate(control, lab, caller_number, "业主", patience_s=120)
        wait_until(lambda: live_call(stack, A_INTERFACE).get("callid") == callid, 20,
                   "A's phone answers the resident")
        moved = desk_a.post(
            f"{stack.base_url}/api/calls/{callid}/control", timeout=15,
            data={"action": "blind_transfer", "exten": B_EXTEN, "note": NOTE,
                  "household_id": str(household_id),
                  "csrf_token": csrf_token(desk_a, stack.base_url + "/console")})
        assert moved.status_code == 200 and moved.json()["ok"], moved.text

        # The browser rings, with A's household and note, before B answers.
        page_b.wait_for_selector('#softphone-status[data-status="ringing"]', timeout=15_000)
        page_b.wait_for_selector("#transfer-note-received:not([hidden])", timeout=15_000)
        page_b.wait_for_selector("#pop-household dd[data-field='rooms']", timeout=5_000)
        assert page_b.inner_text("#transfer-note-received [data-note]") == NOTE
        assert page_b.inner_text("#transfer-note-received [data-from]") == "王芳"
        assert page_b.get_attribute("#pop", "data-callid") == callid
        now = channels(control)
        assert any(name.startswith(B_INTERFACE + "-") for name in now), now
        assert not any(name.startswith(DESK_PHONE + "-") for name in now), now
        shot(page_b, "01-b-softphone-rings-with-transfer-pop")

        page_b.click("#softphone-answer")
        page_b.wait_for_selector('#softphone-status[data-status="in_call"]', timeout=15_000)
        page_b.wait_for_selector('#call-phase[data-phase="talking"]', timeout=15_000)
        page_b.wait_for_selector('#call-actions [data-control="hangup"]:not([disabled])')
        shot(page_b, "02-b-talking-on-the-softphone")
        page_b.click('#call-actions [data-control="hangup"]')
        page_b.wait_for_selector('#softphone-status[data-status="registered"]', timeout=15_000)
    finally:
        hang_up_calls_from(control, caller_number)

    with session_factory(database)() as session:
        wait_until(lambda: session.scalar(
            select(Call.transfer_ended_at).where(Call.callid == callid)
            .execution_options(populate_existing=True)), 20, "B's leg stored to its end")
        call = session.scalar(select(Call).where(Call.callid == callid))
    assert (call.outcome, call.transfer_kind, call.transfer_target) == (
        "transferred", "blind", B_EXTEN)
    assert (call.agent_interface, call.transfer_interface) == (A_INTERFACE, B_INTERFACE)
    assert call.transfer_channel.startswith(B_INTERFACE + "-")
    line = labtools.wait_queue_log(lab, callid, "BLINDTRANSFER")
    assert line[3] == "desk-a" and line[5:7] == [B_EXTEN, "hotline-transfer"]
