"""The agent console in Debian's chromium against the real stack.

Real Asterisk 22 (the lab), the real bridge (`hotline bridge`) and console
(`hotline console`) as subprocesses on their own SQLite database and a private
redis-server; a resident's call placed by AMI Originate rings the agent's phone
(a Local lab phone that rings a few seconds, then answers). The household must
pop up while the phone rings, before the answer; the agent then files a repair
order, which the database holds linked to the call and its recording.

Run under the lab lock: `flock /tmp/hotline-lab.lock .venv/bin/pytest tests/browser`.
Screenshots and the subprocesses' logs go to test-artifacts/browser/.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models.calls import Call
from models.console import WorkOrder
from models.session import session_factory
from tests import labtools
from tests.labtools import wait_until
from tests.support.browser import launched_chromium
from tests.support.demo import one_household_number
from tests.support.live_stack import DeskAgent, agents_database, run_live_stack

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
EXTENSION = "8051"
INTERFACE = f"Local/{EXTENSION}@lab-phones/n"
RING_S, TALK_S = 5, 6
PASSWORD = "browser test password"


@pytest.fixture
def stack_database(tmp_path):
    """Schema, a few demo households, and the agent bound to the lab phone."""
    agents = (DeskAgent("browser-agent", INTERFACE, "Browser Agent", language="en"),)
    return agents_database(tmp_path / "stack.sqlite3", agents, PASSWORD)


@pytest.fixture
def only_our_member(control, lab):
    """Foreign members are paused so that the queue rings our phone; restored after."""
    def act(action, interface, **fields):
        return control.send_action({"Action": action, "Queue": lab.queue,
                                    "Interface": interface, **fields})

    status = control.send_action({"Action": "QueueStatus", "Queue": lab.queue})
    paused = [m["Location"] for m in status.events
              if m.get("Event") == "QueueMember" and m.get("Paused") == "0"
              and m.get("Location") != INTERFACE]
    for interface in paused:
        act("QueuePause", interface, Paused="true", Reason="browser test")
    yield act
    act("QueueRemove", INTERFACE)
    for interface in paused:
        act("QueuePause", interface, Paused="false")


@pytest.fixture
def stack(lab, stack_database, private_redis_server, tmp_path):
    for live in run_live_stack(lab, stack_database, private_redis_server, tmp_path / "state",
                               ARTIFACTS):
        yield live.base_url, live.redis_client


@pytest.fixture
def browser_page():
    with launched_chromium() as browser:
        yield browser.new_page(viewport={"width": 1280, "height": 900})


def received(page) -> list[str]:
    return page.evaluate("window.HOTLINE.received.map(r => r.event)")


def test_household_pops_before_answer_and_order_is_linked(
        lab, stack, stack_database, only_our_member, control, browser_page):
    base_url, redis_client = stack
    page = browser_page
    caller_number, household_id = one_household_number(stack_database)

    page.goto(base_url + "/login")
    page.fill("#username", "browser-agent")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/console")
    page.wait_for_function("window.HOTLINE && window.HOTLINE.received.some("
                           "r => r.event === 'snapshot')", timeout=10_000)

    with labtools.pyst2_manager(lab) as (manager, _events):
        labtools.set_lab_phone(manager, EXTENSION, ring=str(RING_S), talk=str(TALK_S))
    response = only_our_member("QueueAdd", INTERFACE, MemberName="browser-agent-8051",
                               Penalty="0", Paused="false")
    assert response.ok, response.text
    # The bridge saw the member join: the console shows the agent's queue state.
    page.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "01-ready.png"))

    with labtools.pyst2_manager(lab) as (manager, _events):
        callid = labtools.originate_lab_call(manager, lab.hotline_number, caller_number,
                                             "Resident", patience_s=60)
    page.wait_for_selector('#call-phase[data-phase="ringing"]', timeout=15_000)
    page.wait_for_selector("#pop-household dd[data-field='rooms']", timeout=5_000)
    page.screenshot(path=str(ARTIFACTS / "02-ringing-pop.png"))
    assert page.get_attribute("#pop", "data-callid") == callid
    assert "call_answered" not in received(page)  # the pop came while it rang
    assert page.text_content("#pop-number")

    page.wait_for_selector('#call-phase[data-phase="talking"]', timeout=RING_S * 1000 + 10_000)
    events_seen = received(page)
    assert events_seen.index("screen_pop") < events_seen.index("call_answered")
    page.screenshot(path=str(ARTIFACTS / "03-talking.png"))

    page.click("#new-order-link")
    page.wait_for_selector("#work-order-form")
    assert page.input_value("#household_id") == str(household_id)
    assert page.input_value("#address")  # pre-filled from the household's rooms
    page.select_option("#kind", "repair")
    page.select_option("#category", "plumbing")
    page.fill("#description", "Kitchen pipe leaking under the sink <b>urgent</b>")
    page.fill("#preferred_visit", "tomorrow 9-11")
    page.screenshot(path=str(ARTIFACTS / "04-order-form.png"))
    page.click("#work-order-form button[type=submit]")
    page.wait_for_selector("#order-status")
    assert "<b>urgent</b>" in page.text_content("#order-description")  # shown as text

    with session_factory(stack_database)() as session:
        recording = wait_until(lambda: session.scalar(
            select(Call.recording_path).where(Call.callid == callid)
            .execution_options(populate_existing=True)), 40, "the call's recording path")
    page.reload()  # the order page links the recording once the bridge stored it
    page.screenshot(path=str(ARTIFACTS / "05-order.png"))
    with session_factory(stack_database)() as session:
        order = session.scalars(select(WorkOrder)).one()
        call = session.scalar(select(Call).where(Call.callid == callid))
    assert (order.callid, order.household_id, order.kind) == (callid, household_id, "repair")
    assert order.recording == recording == call.recording_path
    assert call.agent_interface == INTERFACE


def test_pause_and_ready_go_through_asterisk_and_come_back(
        lab, stack, only_our_member, browser_page):
    base_url, _redis = stack
    page = browser_page
    page.goto(base_url + "/login")
    page.fill("#username", "browser-agent")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/console")
    page.wait_for_function("window.HOTLINE && window.HOTLINE.received.some("
                           "r => r.event === 'snapshot')", timeout=10_000)
    page.click("#state-form button[data-action=login]")
    page.wait_for_selector('#state-result[data-ok="yes"]', timeout=10_000)
    page.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    page.select_option("#pause-reason", "lunch")
    page.click("#state-form button[data-action=pause]")
    # The label changes only when Asterisk's QueueMemberPause came back through the bridge.
    page.wait_for_selector('#state-label[data-state="paused"]', timeout=10_000)
    assert page.text_content("#state-reason") == "lunch"
    page.screenshot(path=str(ARTIFACTS / "06-paused.png"))
    page.click("#state-form button[data-action=ready]")
    page.wait_for_selector('#state-label[data-state="ready"]', timeout=10_000)
    page.click("#state-form button[data-action=logout]")
    page.wait_for_selector('#state-label[data-state="logged_out"]', timeout=10_000)
