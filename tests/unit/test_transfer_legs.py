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


def test_the_receiving_agents_desk_has_the_call_until_their_phone_hangs_up():
    from call_queue import projection
    from tests.support.settings import live_board_settings

    settings, at, a, b = live_board_settings(), 1_795_445_000.0, "PJSIP/8001", "PJSIP/8047"
    board = projection.empty_board(at, settings.office_timezone)
    for interface in (a, b):
        projection.apply(board, ev.MemberStatusChanged(
            at=at, queue="hotline", interface=interface, member_name=interface[-4:],
            status="not_in_use", paused=False, paused_reason="", in_call=False), settings)
    for event in (
            ev.CallQueued(at=at + 1, callid="9.1", linkedid="9.1", queue="hotline",
                          channel="PJSIP/trunk-1", caller_number="13800138000",
                          caller_name="", dialled_number="4000", position=1),
            ev.CallAnswered(at=at + 2, callid="9.1", queue="hotline", interface=a,
                            member_name="8001", agent_channel=f"{a}-1", hold_s=1, ring_s=1),
            ev.CallEnded(at=at + 9, callid="9.1", queue="hotline", interface=a,
                         member_name="8001", hold_s=1, talk_s=7, hung_up_by="transfer",
                         transfer_target="8047"),
            ev.TransferLegAnswered(at=at + 11, linkedid="9.1", uniqueid="9.5",
                                   channel=f"{b}-5", exten="8047", callid="9.1", interface=b),
            # Not a queue call: app_queue says InCall 0 while the phone is busy with it.
            ev.MemberStatusChanged(at=at + 11, queue="hotline", interface=b, member_name="8047",
                                   status="in_use", paused=False, paused_reason="",
                                   in_call=False)):
        projection.apply(board, event, settings)
    parts = projection.agent_parts(board, b)
    assert (parts["call"]["callid"], parts["call"]["agent_channel"]) == ("9.1", f"{b}-5")
    assert parts["call"]["caller_number"] == "13800138000" and parts["call"]["transferred"]
    assert board["agents"][b]["state"] == "talking"

    projection.apply(board, ev.TransferLegEnded(at=at + 70, callid="9.1", interface=b,
                                                channel=f"{b}-5"), settings)
    parts = projection.agent_parts(board, b)
    assert "call" not in parts and "wrapup" not in parts  # the sender wrote the summary
    assert board["agents"][b]["state"] == "idle"
