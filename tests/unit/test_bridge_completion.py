"""Answered calls whose AgentComplete never came get their talk time from queue_log.

Found by bench/load: under load Asterisk 22 wrote COMPLETECALLER to queue_log
for about 1 % of answered calls without raising AgentComplete on any AMI
session; the records then had no talk time and disagreed with queue_log.
"""
from __future__ import annotations

import dataclasses
import time

from telephony.call_record import CallRecord
from telephony.resync import REFINISH_WINDOW_S, reconcile_open_calls
from tests.support.offline_bridge import offline_bridge, stored_calls

CALLID = "1795451134.120"
QUEUE_LOG = (f"1795451134|{CALLID}|hotline|NONE|ENTERQUEUE||13800000001|1\n"
             f"1795451135|{CALLID}|hotline|agent07|CONNECT|1|1795451135.121|1\n"
             f"1795451139|{CALLID}|hotline|agent07|COMPLETECALLER|1|4|1\n")
ENDED_AT = 1795451139.3
# What the state machine stored: answered, then the caller's channel hung up.
STORED_WITHOUT_TALK = CallRecord(callid=CALLID, queue="hotline", outcome="answered",
                                 answered_at=1795451135.2, ended_at=ENDED_AT,
                                 agent_member="agent07", closed=True)


def test_talk_time_and_who_hung_up_come_from_queue_log(tmp_path):
    bridge, engine = offline_bridge(tmp_path, QUEUE_LOG)
    try:
        bridge.writer.submit([STORED_WITHOUT_TALK])
        bridge.finish_call(CALLID, "answered")
        assert bridge.writer.flush()
    finally:
        bridge.stop()
    row = stored_calls(engine)[CALLID]
    assert (row["outcome"], row["talk_s"], row["hung_up_by"]) == ("answered", 4, "caller")


def test_a_restarted_bridge_finishes_calls_closed_just_before_it_died(tmp_path):
    """Found by test_faults' PostgreSQL test: the bridge was SIGKILLed one second
    after the call ended, before its deferred finishing pass ran; the spooled
    record reached the database without a talk time and nothing completed it."""
    old_callid = "1795440000.5"
    bridge, engine = offline_bridge(tmp_path, QUEUE_LOG, clock=lambda: ENDED_AT + 60)
    try:
        bridge.writer.submit([
            STORED_WITHOUT_TALK,
            dataclasses.replace(  # long over: not looked at again
                STORED_WITHOUT_TALK, callid=old_callid,
                answered_at=ENDED_AT - REFINISH_WINDOW_S - 30,
                ended_at=ENDED_AT - REFINISH_WINDOW_S - 20)])
        assert bridge.writer.flush()
        counts = reconcile_open_calls(bridge, alive=set())
        bridge.run_due_tasks(now=time.monotonic() + 60)
        assert bridge.writer.flush()
        bridge.resyncs = 1  # an AMI reconnect of the same process: its tasks were kept
        assert reconcile_open_calls(bridge, alive=set())["finished_again"] == 0
    finally:
        bridge.stop()
    rows = stored_calls(engine)
    assert (rows[CALLID]["talk_s"], rows[CALLID]["hung_up_by"]) == (4, "caller")
    assert rows[old_callid]["talk_s"] is None
    assert counts["finished_again"] == 1
