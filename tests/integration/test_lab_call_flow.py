"""End-to-end through the real lab: a resident's call enters the hotline queue,
rings a member, is answered and ends; pyst2 sees the queue events and
Asterisk's queue_log has the matching lines."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import labtools

pytestmark = pytest.mark.lab

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "sipp"


def _for_call(callid):
    return lambda event: event.get("Uniqueid") == callid


def _assert_queue_events(events, callid, interface, caller_name):
    called = events.wait_for(
        lambda e: e.get("Event") == "AgentCalled" and e.get("Uniqueid") == callid, 20)
    assert called["Interface"] == interface
    assert called["CallerIDName"] == caller_name
    connect = events.wait_for(
        lambda e: e.get("Event") == "AgentConnect" and e.get("Uniqueid") == callid, 30)
    assert int(connect["RingTime"]) >= 1
    complete = events.wait_for(
        lambda e: e.get("Event") == "AgentComplete" and e.get("Uniqueid") == callid, 40)
    assert complete["Reason"] in ("caller", "agent")
    return called, connect, complete


def test_local_channel_call_is_queued_answered_and_logged(lab, members):
    interface, caller_name = "Local/8041@lab-phones/n", "张三"
    with labtools.pyst2_manager(lab) as (manager, events):
        labtools.set_lab_phone(manager, "8041", ring="2", talk="3")
        members.add(interface, "e2e-agent-8041")
        callid = labtools.originate_lab_call(
            manager, lab.hotline_number, "13800138000", caller_name, patience_s=30)
        _, connect, complete = _assert_queue_events(events, callid, interface, caller_name)
    enter = labtools.wait_queue_log(lab, callid, "ENTERQUEUE")
    assert enter[2] == lab.queue and enter[6] == "13800138000"
    logged_connect = labtools.wait_queue_log(lab, callid, "CONNECT")
    assert logged_connect[3] == "e2e-agent-8041"  # queue_log's agent: the member name
    assert int(logged_connect[5]) == int(connect["HoldTime"])
    completed = [f for f in labtools.queue_log_lines(lab, callid)
                 if f[4] in ("COMPLETECALLER", "COMPLETEAGENT")]
    assert len(completed) == 1
    assert int(completed[0][6]) == int(complete["TalkTime"])


def test_sipp_call_is_queued_answered_and_logged(lab, tmp_path, members):
    interface, caller_name = "PJSIP/8042", "李四"
    callers = tmp_path / "callers.csv"
    callers.write_text("SEQUENTIAL\n13900139000;李四;\n", encoding="utf-8")
    phone = labtools.sipp_agent_phone("8042", ARTIFACTS)
    with labtools.pyst2_manager(lab) as (manager, events):
        members.add(interface, "e2e-agent-8042")
        try:
            time.sleep(0.3)  # the UAS must listen before Asterisk rings it
            caller = labtools.sipp_callers(lab.hotline_number, callers, ARTIFACTS, local_port=5091)
            called = events.wait_for(
                lambda e: e.get("Event") == "AgentCalled" and e.get("Interface") == interface, 20)
            callid = called["Uniqueid"]
            _assert_queue_events(events, callid, interface, caller_name)
            assert caller.wait(30) == 0, caller.log_path.read_text(errors="replace")
            assert phone.wait(10) == 0, phone.log_path.read_text(errors="replace")
        finally:
            phone.stop()
    assert labtools.wait_queue_log(lab, callid, "ENTERQUEUE")[6] == "13900139000"
    assert labtools.wait_queue_log(lab, callid, "CONNECT")[3] == "e2e-agent-8042"
    assert labtools.wait_queue_log(lab, callid, "COMPLETECALLER")
