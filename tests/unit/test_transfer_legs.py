"""The transfer's second leg (issue 13.4: the work order stays linked to both legs):
the recorded blind and attended transfers of the lab replayed through the normalizer
and the state machine give the receiving phone, its channel and its times."""
from __future__ import annotations

import dataclasses

from telephony import events as ev
from tests.support.transcripts import state_machine, transcript_events

TRANSCRIPT = "transfers-blind-attended.ami"
BLIND, ATTENDED = "1796292819.985096", "1796292824.985098"


def _records(events):
    machine = state_machine(ring_cadence_s=5.0, wrapup_s=30)
    machine.apply_all(events)
    return {record.callid: record for record in machine.take_changed()}


def test_a_blind_transfer_records_the_phone_that_took_the_caller():
    record = _records(transcript_events(TRANSCRIPT))[BLIND]
    assert (record.outcome, record.transfer_target, record.transfer_kind) == (
        "transferred", "8047", "blind")
    assert (record.transfer_interface, record.transfer_channel) == (
        "PJSIP/8047", "PJSIP/8047-00000000")
    assert record.ended_at <= record.transfer_answered_at < record.transfer_ended_at
    assert record.agent_member == "call-control-a"  # the first leg stays A's


def test_an_attended_transfer_records_the_consulted_phone_from_the_transfer_on():
    events = transcript_events(TRANSCRIPT)
    record = _records(events)[ATTENDED]
    assert (record.transfer_kind, record.transfer_interface, record.transfer_channel) == (
        "attended", "PJSIP/8046", "PJSIP/8046-00000001")
    transferred = next(e for e in events if isinstance(e, ev.CallTransferred)
                       and e.kind == "attended")
    # The consult was answered before; the caller reached B when the transfer completed.
    assert record.transfer_answered_at == transferred.at < record.transfer_ended_at


def test_a_consult_that_never_completed_is_no_second_leg():
    events = [e for e in transcript_events(TRANSCRIPT)
              if not (isinstance(e, ev.CallTransferred) and e.kind == "attended")]
    record = _records(events)[ATTENDED]
    assert record.transfer_kind is None and record.transfer_channel is None


def test_the_call_is_followed_until_the_caller_leaves_even_long_after_the_queue_closed_it():
    events = transcript_events(TRANSCRIPT)
    machine = state_machine(ring_cadence_s=5.0, wrapup_s=30, linger_s=30.0)
    complete = next(i for i, e in enumerate(events) if isinstance(e, ev.CallEnded)
                    and e.callid == BLIND)
    # B's phone rings 25 s, then the pair talk ten minutes: far past the 30 s linger.
    shifted = events[:complete + 1] + [
        dataclasses.replace(e, at=e.at + (25 if isinstance(e, ev.TransferLegAnswered) else 625))
        for e in events[complete + 1:]]
    stored = {}
    for event in shifted:
        machine.apply(event)
        stored.update({r.callid: r for r in machine.take_changed()})  # as the bridge does
    assert stored[BLIND].transfer_channel == "PJSIP/8047-00000000"
    assert stored[BLIND].transfer_ended_at - stored[BLIND].transfer_answered_at > 500


def test_the_transfer_leg_event_comes_only_from_the_transfer_context():
    events = transcript_events(TRANSCRIPT)
    legs = [e for e in events if isinstance(e, ev.TransferLegAnswered)]
    assert [e.channel for e in legs] == ["PJSIP/8047-00000000", "PJSIP/8046-00000001"]
