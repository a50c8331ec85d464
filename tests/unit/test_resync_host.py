"""A resync sees the bridge through `ResyncHost` only, and the bridge keeps its invariants.

`reconciling()` flushes the writer before the block (what the machine closed is
in the database), holds the bridge's lock through it and writes the machine's
changed records after it: a resync no longer has to know any of that.
"""
from __future__ import annotations

import threading

from telephony import events as ev
from telephony.call_record import CallRecord
from telephony.resync import resync
from tests.support.offline_bridge import offline_bridge, stored_calls

T0 = 1795449000
QUEUE_LOG = "".join(f"{line}\n" for line in (
    f"{T0}|{T0}.5|hotline|NONE|ENTERQUEUE||13800000005|1",
    f"{T0 + 9}|{T0}.5|hotline|NONE|ABANDON|1|1|9",
))


class OnlyTheHost:
    """The four members of ResyncHost and nothing else of the bridge (no __dict__)."""

    __slots__ = ("_bridge", "answers", "published")

    def __init__(self, bridge, answers: dict):
        self._bridge, self.answers, self.published = bridge, answers, []

    def clock(self) -> float:
        return T0 + 60

    def ask_asterisk(self, action: str, timeout: float):
        return self.answers[action]

    def publish_event(self, event) -> None:
        self.published.append(event)

    def reconciling(self):
        return self._bridge.reconciling()


def test_a_resync_needs_nothing_of_the_bridge_but_the_host(tmp_path):
    bridge, engine = offline_bridge(tmp_path, QUEUE_LOG)
    waiting = {"Event": "QueueEntry", "Queue": "hotline", "Uniqueid": f"{T0 + 50}.7",
               "Channel": "PJSIP/trunk-7", "CallerIDNum": "13800000007", "Position": "1",
               "Wait": "10"}
    host = OnlyTheHost(bridge, {"QueueStatus": [waiting], "QueueSummary": [],
                                "CoreShowChannels": []})
    try:
        bridge.writer.submit([CallRecord(callid=f"{T0}.5", queue="hotline",
                                         entered_queue_at=T0, caller_number_raw="13800000005")])
        resync(host)  # the open call is closed from queue_log, the waiting caller adopted
        assert bridge.writer.flush()
        calls = stored_calls(engine)
    finally:
        bridge.stop()
    [snapshot] = host.published
    assert isinstance(snapshot, ev.QueueSnapshotTaken) and len(snapshot.entries) == 1
    assert (calls[f"{T0}.5"]["outcome"], calls[f"{T0}.5"]["wait_s"]) == ("abandoned", 9)
    adopted = calls[f"{T0 + 50}.7"]
    assert (adopted["outcome"], adopted["caller_number_raw"]) == (None, "13800000007")
    assert adopted["entered_queue_at"].timestamp() == T0 + 50


def test_reconciling_flushes_first_holds_the_lock_and_writes_after(tmp_path):
    bridge, engine = offline_bridge(tmp_path, "")
    try:
        bridge.writer.submit([CallRecord(callid="1.1", queue="hotline", entered_queue_at=T0)])
        with bridge.reconciling() as calls:
            assert set(calls.stored.open_calls()) == {"1.1"}  # submitted, so flushed
            taken = []
            other = threading.Thread(target=lambda: taken.append(bridge.lock.acquire(False)))
            other.start()
            other.join()
            assert taken == [False]  # no event can move the machine meanwhile
            assert calls.first_resync
            calls.machine.close_unseen("1.1", T0 + 5)
        assert bridge.writer.flush()
        assert stored_calls(engine)["1.1"]["outcome"] == "ended_unseen"
    finally:
        bridge.stop()
