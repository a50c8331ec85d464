"""Calls that began and ended while the bridge was away are stored from queue_log.

Found by tests/integration/test_faults.py::test_bridge_killed_and_restarted: a
caller who queued and gave up while the bridge was dead was in queue_log and
nowhere in the database.
"""
from __future__ import annotations

from telephony.call_record import CallRecord
from telephony.resync import reconcile_open_calls
from tests.support.offline_bridge import offline_bridge, stored_calls

T0 = 1795449000

QUEUE_LOG = "".join(f"{line}\n" for line in (
    # Before the newest stored call: history, not this bridge's to import.
    f"{T0 - 100}|{T0 - 100}.1|hotline|NONE|ENTERQUEUE||13800000001|1",
    f"{T0 - 90}|{T0 - 100}.1|hotline|NONE|ABANDON|1|1|10",
    # The call the database holds (stored before the bridge died).
    f"{T0}|{T0}.5|hotline|NONE|ENTERQUEUE||13800000005|1",
    f"{T0 + 1}|{T0}.5|hotline|agent01|CONNECT|1|{T0}.6|1",
    # While the bridge was dead: one answered, one abandoned, one still waiting.
    f"{T0 + 10}|{T0 + 10}.7|hotline|NONE|ENTERQUEUE||13800000007|1",
    f"{T0 + 12}|{T0 + 10}.7|hotline|agent02|CONNECT|2|{T0 + 10}.8|1",
    f"{T0 + 40}|{T0 + 10}.7|hotline|agent02|COMPLETECALLER|2|28|1",
    f"{T0 + 20}|{T0 + 20}.9|hotline|NONE|ENTERQUEUE||13800000009|1",
    f"{T0 + 27}|{T0 + 20}.9|hotline|NONE|ABANDON|1|1|7",
    f"{T0 + 30}|{T0 + 30}.11|hotline|NONE|ENTERQUEUE||13800000011|1",
))


def test_calls_begun_and_ended_while_away_are_stored_once(tmp_path):
    bridge, engine = offline_bridge(tmp_path, QUEUE_LOG)
    try:
        bridge.writer.submit([CallRecord(callid=f"{T0}.5", queue="hotline", entered_queue_at=T0,
                                         caller_number_raw="13800000005")])
        assert bridge.writer.flush()
        for _ in range(2):  # a second resync finds nothing more to store
            counts = reconcile_open_calls(bridge, alive={f"{T0}.5", f"{T0 + 30}.11"})
            assert bridge.writer.flush()
        calls = stored_calls(engine)
    finally:
        bridge.stop()
    assert counts["missed_from_queue_log"] == 0
    assert sorted(calls) == sorted([f"{T0}.5", f"{T0 + 10}.7", f"{T0 + 20}.9"])
    answered, abandoned = calls[f"{T0 + 10}.7"], calls[f"{T0 + 20}.9"]
    assert (answered["outcome"], answered["agent_member"], answered["talk_s"]) == (
        "answered", "agent02", 28)
    assert answered["caller_number_raw"] == "13800000007"
    assert answered["entered_queue_at"].timestamp() == T0 + 10
    assert (abandoned["outcome"], abandoned["wait_s"]) == ("abandoned", 7)


def test_a_fresh_database_imports_no_history(tmp_path):
    bridge, engine = offline_bridge(tmp_path, QUEUE_LOG)
    try:
        counts = reconcile_open_calls(bridge, alive=set())
        assert bridge.writer.flush()
    finally:
        bridge.stop()
    assert counts["missed_from_queue_log"] == 0 and stored_calls(engine) == {}
