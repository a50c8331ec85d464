"""The state machine on Asterisk 22's own transcripts, checked against its queue_log."""
from __future__ import annotations

import pytest

from telephony import events as ev
from telephony.queue_log import read_queue_log, summarize_calls
from telephony.state_machine import rings_heard
from tests.support.transcripts import SHARED_AMI, replay, state_machine, transcript_events


@pytest.fixture(scope="module")
def queue_log_calls():
    return summarize_calls(read_queue_log(SHARED_AMI / "queue_log.sample"))


def test_replayed_calls_match_asterisks_queue_log(queue_log_calls):
    records = replay()
    assert set(records) == {"1795445475.1", "1795445475.3", "1795445683.18",
                            "1795445683.19", "1795445684.21"}
    for callid, record in records.items():
        logged = queue_log_calls[callid]
        assert record.caller_number_raw == logged.caller_number
        assert record.queue == logged.queue
        assert record.wait_s == logged.wait_s, callid
        assert record.ring_s == logged.ring_s, callid
        assert record.talk_s == logged.talk_s, callid
        assert record.agent_member in (logged.agent or None,), callid
        closed_in_log = logged.ended_at is not None
        assert record.closed == closed_in_log, callid
        if closed_in_log:
            assert record.outcome == logged.outcome, callid


def test_answered_call_record_fields():
    record = replay()["1795445475.1"]
    assert record.outcome == "answered"
    assert record.hung_up_by == "agent"
    assert record.agent_interface == "Local/8001@agents/n"
    assert record.linkedid == "1795445475.0"
    assert record.caller_name == "Owner"
    assert record.dialled_number == "88880000"
    assert record.hold_s == 0 and record.wrapup_s == 30
    assert record.answered_at < record.ended_at
    [attempt] = record.attempts
    assert attempt.outcome == "answered" and attempt.member_name == "Agent 8001"
    assert attempt.ring_ms > 0
    assert record.rings == rings_heard(attempt.ring_ms, 5.0)


def test_utf8_caller_names_are_stored_as_said():
    records = replay(["queue-pause-answer-abandon.ami"])
    assert records["1795445683.18"].caller_name == "张三"
    assert records["1795445684.21"].caller_name == "李四"
    assert records["1795445684.21"].caller_number == "02168881234"


def test_abandoned_call():
    record = replay(["queue-pause-answer-abandon.ami"])["1795445683.19"]
    assert record.outcome == "abandoned" and record.closed
    assert record.wait_s == 2 and record.answered_at is None
    assert record.agent_interface is None and record.talk_s is None


def test_duplicates_are_not_published_twice():
    machine = state_machine()
    events = transcript_events("local-channels-two-answered.ami")
    first = machine.apply_all(events)
    again = machine.apply_all(events)
    assert sum(isinstance(e, ev.CallQueued) for e in first) == 2
    assert not any(isinstance(e, (ev.CallQueued, ev.CallAnswered, ev.CallEnded,
                                  ev.AgentRinging, ev.RingEnded)) for e in again)


def test_ring_ended_is_completed_with_the_attempt():
    machine = state_machine()
    published = machine.apply_all(transcript_events("local-channels-two-answered.ami"))
    ring_ends = [e for e in published if isinstance(e, ev.RingEnded)]
    assert len(ring_ends) == 2  # DialEnd and AgentConnect describe one ring: one event
    assert all(e.interface and e.member_name and e.queue == "hotline" for e in ring_ends)


def _at(seconds: float) -> float:
    return 1_800_000_000.0 + seconds


def _queued(callid="1800000000.1", at=0.0):
    return ev.CallQueued(at=_at(at), callid=callid, linkedid=callid, queue="hotline",
                         channel="PJSIP/pstn-1", caller_number="138", caller_name="O'Brien",
                         dialled_number="4000", position=1)


def _ringing(agent: str, at: float, callid="1800000000.1"):
    return ev.AgentRinging(at=_at(at), callid=callid, queue="hotline",
                           interface=f"PJSIP/{agent}", member_name=agent,
                           agent_channel=f"PJSIP/{agent}-0001", caller_number="138",
                           caller_name="O'Brien")


def test_ring_no_answer_then_next_agent_answers():
    callid = "1800000000.1"
    machine = state_machine(ring_cadence_s=5.0)
    machine.apply_all([
        _queued(),
        _ringing("8001", 1),
        ev.RingEnded(at=_at(16), callid=callid, queue="hotline", interface="PJSIP/8001",
                     member_name="8001", outcome="no_answer", ring_ms=15000,
                     agent_channel="PJSIP/8001-0001"),
        _ringing("8002", 17),
        ev.RingEnded(at=_at(23.5), callid=callid, queue="hotline", interface="PJSIP/8002",
                     member_name="8002", outcome="answered", ring_ms=-1,
                     agent_channel="PJSIP/8002-0001"),
        ev.CallAnswered(at=_at(23.5), callid=callid, queue="hotline", interface="PJSIP/8002",
                        member_name="8002", agent_channel="PJSIP/8002-0001", hold_s=23,
                        ring_s=6),
        ev.CallEnded(at=_at(60), callid=callid, queue="hotline", interface="PJSIP/8002",
                     member_name="8002", hold_s=23, talk_s=36, hung_up_by="caller"),
    ])
    [record] = machine.take_changed()
    attempts = {a.member_name: a for a in record.attempts}
    assert attempts["8001"].outcome == "no_answer" and attempts["8001"].ring_ms == 15000
    assert attempts["8002"].outcome == "answered" and attempts["8002"].ring_ms == 6500
    assert record.rings == 2  # 6.5 s of a 5 s cadence: the second ring had begun
    assert record.caller_name == "O'Brien"
    assert (record.outcome, record.wait_s, record.talk_s) == ("answered", 23, 36)


def test_caller_hanging_up_while_ringing_cancels_the_ring():
    callid = "1800000000.1"
    machine = state_machine()
    machine.apply_all([
        _queued(), _ringing("8001", 1),
        ev.CallAbandoned(at=_at(3), callid=callid, queue="hotline", position=1,
                         original_position=1, hold_s=3),
        ev.ChannelHungUp(at=_at(3.1), uniqueid=callid, linkedid=callid,
                         channel="PJSIP/pstn-1", cause=16),
    ])
    [record] = machine.take_changed()
    [attempt] = record.attempts
    assert attempt.outcome == "cancelled" and attempt.ring_ms == 2000
    assert record.outcome == "abandoned" and record.ended_at == _at(3)


def test_hold_and_transfer_are_counted():
    callid = "1800000000.1"
    machine = state_machine()
    machine.apply_all([
        _queued(), _ringing("8001", 1),
        ev.CallAnswered(at=_at(4), callid=callid, queue="hotline", interface="PJSIP/8001",
                        member_name="8001", agent_channel="PJSIP/8001-0001", hold_s=4,
                        ring_s=3),
        ev.HoldChanged(at=_at(10), uniqueid="x.2", linkedid=callid, channel="PJSIP/8001-0001",
                       on_hold=True),
        ev.HoldChanged(at=_at(22), uniqueid="x.2", linkedid=callid, channel="PJSIP/8001-0001",
                       on_hold=False),
        ev.CallTransferred(at=_at(30), linkedid=callid, target="8009", kind="blind"),
        ev.CallEnded(at=_at(30), callid=callid, queue="hotline", interface="PJSIP/8001",
                     member_name="8001", hold_s=4, talk_s=26, hung_up_by="transfer"),
    ])
    [record] = machine.take_changed()
    assert record.hold_s == 12
    assert (record.outcome, record.transfer_target) == ("transferred", "8009")


def test_closed_calls_are_forgotten_after_lingering_and_not_revived():
    machine = state_machine(linger_s=5)
    events = transcript_events("local-channels-two-answered.ami")
    machine.apply_all(events)
    machine.take_changed()
    machine.apply(ev.MemberPaused(at=events[-1].at + 60, queue="q", interface="PJSIP/1",
                                  member_name="1", paused=True, reason=""))
    machine.take_changed()
    assert machine.calls == {}
    republished = machine.apply_all(events)
    assert republished and not any(hasattr(e, "callid") for e in republished)
    assert machine.take_changed() == []


def test_resync_helpers():
    machine = state_machine()
    machine.adopt_open_call("1.5", "1.4", "hotline", answered=True, at=_at(0))
    assert machine.open_callids() == {"1.5"}
    machine.close_unseen("1.5", _at(9))
    [record] = machine.take_changed()
    assert record.outcome == "ended_unseen" and record.answered_at == _at(0)
    machine.adopt_open_call("1.7", "1.7", "hotline", answered=False, at=None)
    machine.close_unseen("1.7", _at(9))
    [record] = machine.take_changed()
    assert record.outcome == "ended_unseen" and record.ended_at == _at(9)


def test_caller_number_is_kept_raw_and_normalized_as_households_match_it():
    machine = state_machine()
    machine.apply(dataclasses_replace(_queued(), caller_number="+86 138-0013-8000"))
    [record] = machine.take_changed()
    assert record.caller_number_raw == "+86 138-0013-8000"
    assert record.caller_number == "13800138000"
    machine.apply(dataclasses_replace(_queued("1800000000.2"), caller_number="<unknown>"))
    [record] = machine.take_changed()
    assert record.caller_number is None


def dataclasses_replace(event, **changes):
    import dataclasses

    return dataclasses.replace(event, **changes)
