"""The normalizer: AMI messages -> typed events, robust to anything Asterisk (or junk) sends."""
from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings, strategies as st

from telephony import events as ev
from telephony.ami.protocol import AmiParser
from telephony.normalizer import HANDLERS, event_time, normalize, queue_snapshot
from tests.support.transcripts import state_machine, transcript_events

HEADER_NAMES = sorted({
    "Event", "Uniqueid", "Linkedid", "Queue", "Channel", "CallerIDNum", "CallerIDName",
    "Exten", "Position", "Interface", "MemberName", "DestChannel", "RingTime", "HoldTime",
    "TalkTime", "Reason", "Paused", "PausedReason", "Status", "InCall", "DialStatus",
    "OriginalPosition", "Cause", "Timestamp", "SpyerChannel", "SpyeeChannel", "Result",
    "TransfereeLinkedid", "Extension", "OrigTransfererLinkedid", "Context",
})
header_values = st.one_of(st.text(max_size=30), st.integers().map(str),
                          st.sampled_from(["", "<unknown>", "1", "0", "-1", "nan", "1e999"]))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(event=st.sampled_from(sorted(HANDLERS) + ["VarSet", "Nonsense"]),
       headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=14))
def test_random_headers_never_crash(event, headers):
    message = {**headers, "Event": event}
    produced = normalize(message, 1.0)
    assert isinstance(produced, tuple)
    assert all(isinstance(item, ev.CallEvent) for item in produced)
    machine = state_machine()
    machine.apply_all(produced)
    machine.take_changed()


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_same_events_in_any_order_or_twice_give_the_same_records(data):
    events = transcript_events("queue-pause-answer-abandon.ami") \
        + transcript_events("local-channels-two-answered.ami")
    in_order = state_machine()
    in_order.apply_all(events)
    expected = {r.callid: r for r in in_order.take_changed()}
    shuffled = data.draw(st.permutations(events))
    doubled = data.draw(st.lists(st.sampled_from(events), max_size=40))
    machine = state_machine()
    machine.apply_all(shuffled + doubled)
    got = {r.callid: r for r in machine.take_changed()}
    assert got == expected


def test_caller_names_are_unescaped_once_by_the_parser():
    raw = ("Event: QueueCallerJoin\r\nUniqueid: 1.1\r\nQueue: hotline\r\n"
           "CallerIDNum: 138\r\nCallerIDName: O\\'Brien \\\\ Co\r\nPosition: 1\r\n\r\n")
    [message] = AmiParser(expect_greeting=False).feed(raw.encode())
    [queued] = normalize(message, 1.0)
    assert queued.caller_name == "O'Brien \\ Co"


def test_unknown_caller_is_empty_not_the_word_unknown():
    [queued] = normalize({"Event": "QueueCallerJoin", "Uniqueid": "1.1", "Queue": "q",
                          "CallerIDNum": "<unknown>", "CallerIDName": "<unknown>",
                          "Exten": "s"}, 1.0)
    assert (queued.caller_number, queued.caller_name, queued.dialled_number) == ("", "", "")


def test_ring_times_units():
    # AgentRingNoAnswer: milliseconds; AgentConnect: whole seconds.
    [no_answer] = normalize({"Event": "AgentRingNoAnswer", "Uniqueid": "1.1", "Queue": "q",
                             "Interface": "PJSIP/8001", "RingTime": "15002"}, 1.0)
    assert (no_answer.outcome, no_answer.ring_ms) == ("no_answer", 15002)
    ring_end, answered = normalize({"Event": "AgentConnect", "Uniqueid": "1.1", "Queue": "q",
                                    "Interface": "PJSIP/8001", "RingTime": "4",
                                    "HoldTime": "9"}, 1.0)
    assert ring_end.outcome == "answered" and (answered.ring_s, answered.hold_s) == (4, 9)


def test_asterisk_timestamp_wins_over_arrival_time():
    assert event_time({"Timestamp": "1795445475.123456"}, 5.0) == 1795445475.123456
    assert event_time({"Timestamp": "garbage"}, 5.0) == 5.0


def test_events_without_their_ids_are_dropped():
    assert normalize({"Event": "QueueCallerJoin", "Queue": "q"}, 1.0) == ()
    assert normalize({"Event": "AgentComplete", "Uniqueid": "1.1"}, 1.0) == ()
    assert normalize({"Event": "DialEnd", "Uniqueid": "1.1", "DialStatus": "ANSWER"}, 1.0) == ()


def test_a_storm_of_unknown_events_is_cheap():
    message = {"Event": "VarSet", "Variable": "X", "Value": "y"}
    started = time.perf_counter()
    for _ in range(100_000):
        normalize(message, 1.0)
    # Generous bound: this only catches an accidental slow path (e.g. a parse per event).
    assert time.perf_counter() - started < 2.0


def test_queue_snapshot_from_queue_status_lists(shared_ami_dir):
    from telephony.ami.protocol import parse_stream

    messages = parse_stream((shared_ami_dir / "queue-pause-answer-abandon.ami").read_bytes())
    snapshot = queue_snapshot([m for m in messages if m.action_id == "qs-1"], 10.0)
    assert {m.interface: m.paused_reason for m in snapshot.members} == {
        "PJSIP/agent1": "", "PJSIP/agent2": "lunch"}
    assert [(e.callid, e.caller_name, e.position) for e in snapshot.entries] == [
        ("1795445683.18", "张三", 1), ("1795445683.19", "Impatient", 2),
        ("1795445684.21", "李四", 3)]
