"""An AgentComplete that comes without the caller's fields still ends its call.

Found by the call-control lab test under CPU load (hung_up_by None). app_queue's
handle_hangup runs on its stasis thread after the hangup request; it writes
queue_log from its own copy of the caller's id, but builds AgentComplete from
ast_channel_snapshot_get_latest() of both channels, which is NULL once a channel
is destroyed ("Empty caller_snapshot; sending incomplete event"). Under load both
are gone by then, and the event has only Queue, Interface, MemberName, HoldTime,
TalkTime and Reason. The normalizer dropped it, so who hung up and the talk time
waited for the queue_log pass 2 s later (the "~1 % without AgentComplete" of
bench/load). The state machine now gives it to the call that member answered.
"""
from __future__ import annotations

from telephony import events as ev
from telephony.normalizer import normalize
from tests.support.transcripts import state_machine

CALLID = "1800000000.1"
T0 = 1_800_000_000.0
# As the lab's Asterisk 22 sent it: no Channel/Uniqueid/Dest* fields at all.
BARE_COMPLETE = {"Event": "AgentComplete", "Queue": "hotline", "Interface": "PJSIP/8044",
                 "MemberName": "call-control-sip", "HoldTime": "2", "TalkTime": "1",
                 "Reason": "caller", "Timestamp": str(T0 + 5)}


def answered(machine, callid: str = CALLID, interface: str = "PJSIP/8044", at: float = 0.0):
    machine.apply_all([
        ev.CallQueued(at=T0 + at, callid=callid, linkedid=callid, queue="hotline",
                      channel="Local/4000@from-trunk-0001;2", caller_number="13900130004",
                      caller_name="", dialled_number="4000", position=1),
        ev.CallAnswered(at=T0 + at + 2, callid=callid, queue="hotline", interface=interface,
                        member_name="call-control-sip", agent_channel=f"{interface}-0001",
                        hold_s=2, ring_s=1),
    ])


def caller_hung_up(machine, callid: str = CALLID, at: float = 4.9):
    machine.apply(ev.ChannelHungUp(at=T0 + at, uniqueid=callid, linkedid=callid,
                                   channel="Local/4000@from-trunk-0001;2", cause=16))


def test_a_bare_agent_complete_is_kept_with_its_queue_and_member():
    [ended] = normalize(BARE_COMPLETE, 1.0)
    assert (ended.callid, ended.queue, ended.interface, ended.hung_up_by, ended.talk_s) == (
        "", "hotline", "PJSIP/8044", "caller", 1)
    # Still dropped: no queue, or no member to find the call by.
    assert normalize({**BARE_COMPLETE, "Interface": ""}, 1.0) == ()
    assert normalize({**BARE_COMPLETE, "Queue": ""}, 1.0) == ()


def test_it_ends_the_call_that_member_answered_after_the_callers_hangup():
    machine = state_machine()
    answered(machine)
    caller_hung_up(machine)
    [closed] = machine.take_changed()
    assert (closed.outcome, closed.hung_up_by) == ("answered", None)  # not known yet
    published = machine.apply_all(normalize(BARE_COMPLETE, 1.0))
    assert [event.callid for event in published] == [CALLID]  # the sinks get the call's id
    [record] = machine.take_changed()
    assert (record.outcome, record.hung_up_by, record.talk_s) == ("answered", "caller", 1)


def test_it_goes_to_the_members_newest_open_call_and_nowhere_else():
    machine = state_machine()
    answered(machine, callid="1800000000.9", interface="PJSIP/8045")  # another agent's
    answered(machine, callid="1800000000.1", at=0)
    machine.apply(ev.CallEnded(at=T0 + 3, callid="1800000000.1", queue="hotline",
                               interface="PJSIP/8044", member_name="call-control-sip",
                               hold_s=2, talk_s=1, hung_up_by="agent"))
    answered(machine, callid="1800000000.5", at=40)  # the member's next call
    machine.take_changed()
    machine.apply_all(normalize({**BARE_COMPLETE, "Timestamp": str(T0 + 50)}, 1.0))
    records = {record.callid: record for record in machine.take_changed()}
    assert set(records) == {"1800000000.5"}
    assert records["1800000000.5"].hung_up_by == "caller"


def test_a_bare_agent_complete_for_no_known_call_changes_nothing():
    machine = state_machine()
    answered(machine, interface="PJSIP/8045")
    machine.take_changed()
    assert machine.apply_all(normalize(BARE_COMPLETE, 1.0)) == []
    assert machine.take_changed() == []
