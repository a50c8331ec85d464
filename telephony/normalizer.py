"""AMI events -> typed call events (telephony.events): the one table that reads AMI names.

`normalize(message)` looks the event's name up in HANDLERS; every other event
(VarSet, Newexten, DeviceStateChange, ...) costs one dict lookup and yields
nothing. Handlers never raise on odd input: a missing or non-numeric header
becomes a default, and an event without the ids it needs is dropped.

Caller names arrive already unescaped: the parser (telephony.ami.protocol)
undoes Asterisk's C escapes on CallerIDName, so `O'Brien` and `张三` are stored
as said. Unescaping them again here would turn a literal backslash into nothing.

Times: with `timestampevents = yes` (asterisk_conf/manager.conf) each event
carries `Timestamp:`, Asterisk's own clock; without it the caller's arrival
time is used.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable, Mapping, Optional

from models.vocabulary import HUNG_UP_BY, RingOutcome
from telephony import events as ev
from telephony.call_control import TRANSFER_CONTEXT

log = logging.getLogger(__name__)

Message = Mapping[str, str]
Handler = Callable[[Message, float], Iterable[ev.CallEvent]]

NO_EVENTS: tuple = ()

# app_queue's device states (AST_DEVICE_*) as QueueMemberStatus reports them.
MEMBER_STATUS = {
    "0": "unknown", "1": "not_in_use", "2": "in_use", "3": "busy", "4": "invalid",
    "5": "unavailable", "6": "ringing", "7": "ringing", "8": "on_hold",
}
# DialEnd's DialStatus -> how that ring attempt ended (models.vocabulary's words).
DIAL_STATUS_OUTCOME: dict[str, RingOutcome] = {
    "ANSWER": "answered", "BUSY": "busy", "CONGESTION": "busy", "CHANUNAVAIL": "busy",
    "NOANSWER": "no_answer", "CANCEL": "cancelled",
}
_UNKNOWN_NAMES = frozenset({"", "<unknown>", "unknown"})
# Exten of a channel running a Gosub/Macro: not the number the caller dialled.
_NOT_A_NUMBER = frozenset({"", "s", "h", "i", "t"})
UNKNOWN_RING_MS = -1  # RingEnded.ring_ms when the event does not say: measured later


def _int(value: Optional[str], default: int = 0) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except (ValueError, OverflowError):
            return default


def _name(value: Optional[str]) -> str:
    return "" if value is None or value in _UNKNOWN_NAMES else value


def _flag(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "yes", "true")


def event_time(message: Message, arrived_at: Optional[float] = None) -> float:
    """Asterisk's Timestamp header when present, else the arrival time."""
    stamp = message.get("Timestamp")
    if stamp:
        try:
            return float(stamp)
        except ValueError:
            pass
    return time.time() if arrived_at is None else arrived_at


def _caller(message: Message) -> tuple[str, str]:
    return _name(message.get("CallerIDNum")), _name(message.get("CallerIDName"))


def _queue_call(message: Message) -> Optional[tuple[str, str]]:
    """(callid, queue) of a queue event, or None when either is missing."""
    callid, queue = message.get("Uniqueid"), message.get("Queue")
    if not callid or not queue:
        return None
    return callid, queue


def on_queue_caller_join(m: Message, at: float):
    ids = _queue_call(m)
    if ids is None:
        return NO_EVENTS
    number, name = _caller(m)
    exten = m.get("Exten") or ""
    return (ev.CallQueued(
        at=at, callid=ids[0], linkedid=m.get("Linkedid") or ids[0], queue=ids[1],
        channel=m.get("Channel") or "", caller_number=number, caller_name=name,
        dialled_number="" if exten in _NOT_A_NUMBER else exten,
        position=_int(m.get("Position"))),)


def on_agent_called(m: Message, at: float):
    ids = _queue_call(m)
    if ids is None or not m.get("Interface"):
        return NO_EVENTS
    number, name = _caller(m)
    return (ev.AgentRinging(
        at=at, callid=ids[0], queue=ids[1], interface=m["Interface"],
        member_name=m.get("MemberName") or "", agent_channel=m.get("DestChannel") or "",
        caller_number=number, caller_name=name),)


def _ring_ended(m: Message, at: float, outcome: str, ring_ms: int):
    ids = _queue_call(m)
    if ids is None:
        return None
    return ev.RingEnded(
        at=at, callid=ids[0], queue=ids[1], interface=m.get("Interface") or "",
        member_name=m.get("MemberName") or "", outcome=outcome, ring_ms=ring_ms,
        agent_channel=m.get("DestChannel") or "")


def on_agent_ring_no_answer(m: Message, at: float):
    # RingTime here is milliseconds (app_queue's rna()); busy phones land here too.
    ended = _ring_ended(m, at, "no_answer", _int(m.get("RingTime"), UNKNOWN_RING_MS))
    return NO_EVENTS if ended is None else (ended,)


def on_agent_dump(m: Message, at: float):
    # The member hung up before being bridged: that ring came to nothing.
    ended = _ring_ended(m, at, "cancelled", UNKNOWN_RING_MS)
    return NO_EVENTS if ended is None else (ended,)


def on_agent_connect(m: Message, at: float):
    # RingTime here is whole seconds of the answered attempt only.
    ring_s = _int(m.get("RingTime"))
    ended = _ring_ended(m, at, "answered", UNKNOWN_RING_MS)
    if ended is None:
        return NO_EVENTS
    answered = ev.CallAnswered(
        at=at, callid=ended.callid, queue=ended.queue, interface=ended.interface,
        member_name=ended.member_name, agent_channel=ended.agent_channel,
        hold_s=_int(m.get("HoldTime")), ring_s=ring_s)
    return (ended, answered)


def on_dial_end(m: Message, at: float):
    # Tells how a ring ended when app_queue raises no Agent* event for it
    # (the caller hung up: queue_log's RINGCANCELED). Not every DialEnd is a
    # queue's: the state machine drops those that match no ring attempt.
    outcome = DIAL_STATUS_OUTCOME.get(m.get("DialStatus") or "")
    callid, agent_channel = m.get("Uniqueid"), m.get("DestChannel")
    if outcome is None or not callid or not agent_channel:
        return NO_EVENTS
    ended = ev.RingEnded(
        at=at, callid=callid, queue="", interface="", member_name="", outcome=outcome,
        ring_ms=UNKNOWN_RING_MS, agent_channel=agent_channel)
    if outcome != "answered" or m.get("Context") != TRANSFER_CONTEXT:
        return (ended,)
    # The phone a transfer dialled answered: the call's second leg (or a consult).
    return (ended, ev.TransferLegAnswered(
        at=at, linkedid=m.get("Linkedid") or callid, uniqueid=m.get("DestUniqueid") or "",
        channel=agent_channel, exten=m.get("Exten") or ""))


def on_queue_caller_abandon(m: Message, at: float):
    ids = _queue_call(m)
    if ids is None:
        return NO_EVENTS
    return (ev.CallAbandoned(
        at=at, callid=ids[0], queue=ids[1], position=_int(m.get("Position")),
        original_position=_int(m.get("OriginalPosition")), hold_s=_int(m.get("HoldTime"))),)


def on_agent_complete(m: Message, at: float):
    ids = _queue_call(m)
    if ids is None and m.get("Queue") and m.get("Interface"):
        # app_queue raises AgentComplete when it gets to the hangup, from the
        # channels' snapshots; under load both channels are gone by then and it
        # comes with no caller fields (no Uniqueid), only the queue and member.
        # The state machine finds the call that member answered (callid "").
        ids = ("", m["Queue"])
    if ids is None:
        return NO_EVENTS
    reason = (m.get("Reason") or "").lower()
    return (ev.CallEnded(
        at=at, callid=ids[0], queue=ids[1], interface=m.get("Interface") or "",
        member_name=m.get("MemberName") or "", hold_s=_int(m.get("HoldTime")),
        talk_s=_int(m.get("TalkTime")), hung_up_by=reason if reason in HUNG_UP_BY else "caller"),)


def on_queue_member_pause(m: Message, at: float):
    if not m.get("Interface"):
        return NO_EVENTS
    return (ev.MemberPaused(
        at=at, queue=m.get("Queue") or "", interface=m["Interface"],
        member_name=m.get("MemberName") or "", paused=_flag(m.get("Paused")),
        reason=m.get("PausedReason") or m.get("Reason") or ""),)


def _member_status(m: Message, at: float, present: bool):
    if not m.get("Interface"):
        return NO_EVENTS
    return (ev.MemberStatusChanged(
        at=at, queue=m.get("Queue") or "", interface=m["Interface"],
        member_name=m.get("MemberName") or "",
        status=MEMBER_STATUS.get(m.get("Status") or "", "unknown"),
        paused=_flag(m.get("Paused")), paused_reason=m.get("PausedReason") or "",
        in_call=_flag(m.get("InCall")), present=present),)


def on_member_present(m: Message, at: float):
    return _member_status(m, at, True)


def on_member_removed(m: Message, at: float):
    return _member_status(m, at, False)


def _channel_event(m: Message, at: float, cls):
    if not m.get("Uniqueid"):
        return NO_EVENTS
    return (cls(at=at, callid=m["Uniqueid"], channel=m.get("Channel") or ""),)


def on_mixmonitor_start(m: Message, at: float):
    return _channel_event(m, at, ev.RecordingStarted)


def on_mixmonitor_stop(m: Message, at: float):
    return _channel_event(m, at, ev.RecordingStopped)


def _spy(m: Message, at: float, cls):
    spyer, spyee = m.get("SpyerChannel"), m.get("SpyeeChannel")
    if not spyer or not spyee:
        return NO_EVENTS
    return (cls(at=at, spyer_channel=spyer, spyee_channel=spyee),)


def on_chanspy_start(m: Message, at: float):
    return _spy(m, at, ev.SpyStarted)


def on_chanspy_stop(m: Message, at: float):
    return _spy(m, at, ev.SpyStopped)


def on_hangup(m: Message, at: float):
    uniqueid = m.get("Uniqueid")
    if not uniqueid:
        return NO_EVENTS
    return (ev.ChannelHungUp(
        at=at, uniqueid=uniqueid, linkedid=m.get("Linkedid") or uniqueid,
        channel=m.get("Channel") or "", cause=_int(m.get("Cause"))),)


def on_new_channel(m: Message, at: float):
    uniqueid = m.get("Uniqueid")
    if not uniqueid:
        return NO_EVENTS
    exten = m.get("Exten") or ""
    return (ev.ChannelCreated(
        at=at, uniqueid=uniqueid, linkedid=m.get("Linkedid") or uniqueid,
        channel=m.get("Channel") or "", exten="" if exten in _NOT_A_NUMBER else exten,
        context=m.get("Context") or ""),)


def _hold(m: Message, at: float, on_hold: bool):
    uniqueid = m.get("Uniqueid")
    if not uniqueid:
        return NO_EVENTS
    return (ev.HoldChanged(
        at=at, uniqueid=uniqueid, linkedid=m.get("Linkedid") or uniqueid,
        channel=m.get("Channel") or "", on_hold=on_hold),)


def on_hold(m: Message, at: float):
    return _hold(m, at, True)


def on_unhold(m: Message, at: float):
    return _hold(m, at, False)


def on_blind_transfer(m: Message, at: float):
    linkedid = m.get("TransfereeLinkedid") or m.get("TransfererLinkedid")
    if (m.get("Result") or "Success") != "Success" or not linkedid:
        return NO_EVENTS
    return (ev.CallTransferred(
        at=at, linkedid=linkedid, target=m.get("Extension") or "", kind="blind"),)


def on_attended_transfer(m: Message, at: float):
    linkedid = m.get("OrigTransfererLinkedid") or m.get("TransfereeLinkedid")
    if (m.get("Result") or "Success") != "Success" or not linkedid:
        return NO_EVENTS
    target = (m.get("SecondTransfererExten") or m.get("TransferTargetCallerIDNum")
              or m.get("DestApp") or "")
    return (ev.CallTransferred(at=at, linkedid=linkedid, target=_name(target), kind="attended"),)


HANDLERS: dict[str, Handler] = {
    "QueueCallerJoin": on_queue_caller_join,
    "AgentCalled": on_agent_called,
    "AgentRingNoAnswer": on_agent_ring_no_answer,
    "AgentConnect": on_agent_connect,
    "AgentDump": on_agent_dump,
    "DialEnd": on_dial_end,
    "QueueCallerAbandon": on_queue_caller_abandon,
    "AgentComplete": on_agent_complete,
    "QueueMemberPause": on_queue_member_pause,
    "QueueMemberStatus": on_member_present,
    "QueueMemberAdded": on_member_present,
    "QueueMemberRemoved": on_member_removed,
    "MixMonitorStart": on_mixmonitor_start,
    "MixMonitorStop": on_mixmonitor_stop,
    "ChanSpyStart": on_chanspy_start,
    "ChanSpyStop": on_chanspy_stop,
    "Hangup": on_hangup,
    "Newchannel": on_new_channel,
    "Hold": on_hold,
    "Unhold": on_unhold,
    "BlindTransfer": on_blind_transfer,
    "AttendedTransfer": on_attended_transfer,
}


def normalize(message: Message, arrived_at: Optional[float] = None) -> tuple:
    """The call events one AMI message means; () for every event we do not follow."""
    handler = HANDLERS.get(message.get("Event"))  # type: ignore[arg-type]
    if handler is None:
        return NO_EVENTS
    try:
        return tuple(handler(message, event_time(message, arrived_at)))
    except (TypeError, AttributeError, ValueError) as error:
        # Only reachable with a message object that is not str -> str; logged, skipped.
        log.warning("AMI %s event skipped: %s", message.get("Event"), error)
        return NO_EVENTS


def queue_snapshot(messages: Iterable[Message], at: float) -> ev.QueueSnapshotTaken:
    """QueueStatus's QueueMember and QueueEntry list events as one snapshot event.

    QueueMember names its fields Name/Location, not MemberName/Interface.
    """
    members, entries = [], []
    for m in messages:
        kind = m.get("Event")
        if kind == "QueueMember" and m.get("Location"):
            members.append(ev.QueueMemberState(
                queue=m.get("Queue") or "", interface=m["Location"],
                member_name=m.get("Name") or m.get("MemberName") or "",
                status=MEMBER_STATUS.get(m.get("Status") or "", "unknown"),
                paused=_flag(m.get("Paused")), paused_reason=m.get("PausedReason") or "",
                in_call=_flag(m.get("InCall")), calls_taken=_int(m.get("CallsTaken")),
                last_call_at=float(_int(m.get("LastCall")))))
        elif kind == "QueueEntry" and m.get("Uniqueid"):
            number, name = _caller(m)
            entries.append(ev.QueueEntryState(
                queue=m.get("Queue") or "", callid=m["Uniqueid"],
                channel=m.get("Channel") or "", caller_number=number, caller_name=name,
                position=_int(m.get("Position")), wait_s=_int(m.get("Wait"))))
    return ev.QueueSnapshotTaken(at=at, members=tuple(members), entries=tuple(entries))


def live_channels(messages: Iterable[Message]) -> dict[str, str]:
    """CoreShowChannels' list events as {uniqueid: linkedid} of every live channel."""
    return {m["Uniqueid"]: m.get("Linkedid") or m["Uniqueid"] for m in messages
            if m.get("Event") == "CoreShowChannel" and m.get("Uniqueid")}
