"""Queue calls followed from typed events: what to publish and what to store.

Calls are keyed by the queue call's Uniqueid (queue_log's callid); `linkedid`
ties the call's other channels (hold, transfer) to it. Each field of a call is
set by the one kind of event that owns it, and everything else (outcome,
ended-at, how each ring ended) is derived when a record is taken. So the same
set of events gives the same record whatever their order, and an event seen
twice changes nothing: both are tested with hypothesis.

`apply(event)` returns the events sinks should see: duplicates and events of
calls we do not follow are dropped, RingEnded is completed with the ring
attempt's member and measured ring time. `take_changed()` returns the records
of calls changed since the last call, for the database writer.
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Iterable, Optional

from telephony import events as ev
from telephony.call_record import CallRecord
from telephony.call_state import (  # noqa: F401 - rings_heard, call_outcome: public here too
    Attempt, CallState, TransferLeg, attempt_ring_ms, awaits_second_leg, call_outcome,
    call_record, end_attempt, phone_interface, rings_heard,
)
from telephony.normalizer import UNKNOWN_RING_MS

MAX_FINISHED_IDS = 200_000
MAX_CHANNEL_EXTENS = 50_000
MAX_EARLY_DIAL_ENDS = 10_000


class CallStateMachine:
    """Follows queue calls; one per bridge, used from one thread."""

    def __init__(self, ring_cadence_s: float = 5.0, wrapup_s: Optional[int] = None,
                 linger_s: float = 30.0, *, local_area_code: str):
        """`local_area_code` is settings.local_area_code: the records' caller numbers
        are keyed as households match them (a local number gets it)."""
        self.ring_cadence_s = ring_cadence_s
        self.wrapup_s = wrapup_s
        self.local_area_code = local_area_code
        self.calls: dict[str, CallState] = {}
        self._by_linkedid: dict[str, str] = {}
        self._channel_exten: OrderedDict[str, str] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._changed: dict[str, None] = {}
        self._closing: OrderedDict[str, float] = OrderedDict()
        self._early_dial_ends: OrderedDict[tuple, ev.RingEnded] = OrderedDict()
        self._leg_callid: dict[str, str] = {}  # a transfer leg's Uniqueid -> its call
        self._latest_at = 0.0
        self.linger_s = linger_s

    # ---- feeding
    def apply(self, event: ev.CallEvent) -> list[ev.CallEvent]:
        """Change the calls by one event; return the events sinks should see."""
        if event.at > self._latest_at:
            self._latest_at = event.at
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return [event]  # member, spy, bridge and snapshot events: not call state
        return handler(self, event)

    def apply_all(self, events: Iterable[ev.CallEvent]) -> list[ev.CallEvent]:
        published: list[ev.CallEvent] = []
        for event in events:
            published.extend(self.apply(event))
        return published

    def _call(self, callid: str, create: bool = True) -> Optional[CallState]:
        call = self.calls.get(callid)
        if call is None and create and callid not in self._finished:
            call = self.calls[callid] = CallState(callid=callid)
        if call is not None:
            self._changed[callid] = None
        return call

    # ---- reading
    def take_changed(self) -> list[CallRecord]:
        """Records of the calls changed since the last take.

        A closed call lingers `linger_s` (event time) so that events Asterisk
        sends after the one that closed it (a Hangup before AgentComplete) still
        apply; then it is forgotten, and its id remembered so that a late
        duplicate does not bring it back as a new call.
        """
        records = []
        for callid in self._changed:
            call = self.calls.get(callid)
            if call is None:
                continue
            records.append(self.record(call))
            if call.closed and callid not in self._closing and not awaits_second_leg(call):
                self._closing[callid] = self._latest_at
        self._changed.clear()
        self._forget_lingering()
        return records

    def _forget_lingering(self) -> None:
        horizon = self._latest_at - self.linger_s
        while self._closing:
            callid, closed_at = next(iter(self._closing.items()))
            if closed_at > horizon:
                break
            del self._closing[callid]
            call = self.calls.get(callid)
            if call is not None:
                self._forget(call)

    def _forget(self, call: CallState) -> None:
        del self.calls[call.callid]
        if call.leg is not None:
            self._leg_callid.pop(call.leg.uniqueid, None)
        if self._by_linkedid.get(call.linkedid) == call.callid:
            del self._by_linkedid[call.linkedid]
        self._finished[call.callid] = None
        if len(self._finished) > MAX_FINISHED_IDS:
            self._finished.popitem(last=False)

    def record(self, call: CallState) -> CallRecord:
        """The call's record (times as POSIX seconds) with its ring attempts."""
        return call_record(call, self.ring_cadence_s, self.wrapup_s, self.local_area_code)

    def is_finished(self, callid: str) -> bool:
        return callid in self._finished

    def forget(self, callid: str) -> None:
        """Stop following a call now (it was closed from elsewhere: queue_log)."""
        call = self.calls.get(callid)
        if call is not None:
            self._closing.pop(callid, None)
            self._changed.pop(callid, None)
            self._forget(call)
        else:
            self._finished[callid] = None

    def open_callids(self) -> set[str]:
        return {callid for callid, call in self.calls.items() if not call.closed}

    # ---- resync
    def adopt_open_call(self, callid: str, linkedid: str, queue: str,
                        answered: bool, at: Optional[float]) -> None:
        """Follow a call the database holds open (after a bridge restart)."""
        if callid in self.calls or callid in self._finished:
            return
        call = self.calls[callid] = CallState(callid=callid, linkedid=linkedid, queue=queue)
        if answered:
            call.answered_at = at
        if linkedid:
            self._by_linkedid.setdefault(linkedid, callid)

    def close_unseen(self, callid: str, at: float) -> None:
        """The call ended while the bridge was away and nothing says how."""
        call = self._call(callid)
        if call is not None and not call.closed:
            call.unseen_at = at

    def refine_exit(self, callid: str, outcome: ev.CallOutcome) -> None:
        """queue_log told why an unanswered call left (timeout, exit_empty, exit_key)."""
        call = self.calls.get(callid)
        if call is not None:
            call.exit_outcome = outcome
            self._changed[callid] = None

    # ---- handlers
    def _on_queued(self, event: ev.CallQueued) -> list[ev.CallEvent]:
        call = self._call(event.callid)
        if call is None or call.entered_at is not None:
            return []
        call.entered_at = event.at
        call.linkedid = call.linkedid or event.linkedid
        call.channel, call.queue = event.channel, call.queue or event.queue
        call.caller_number, call.caller_name = event.caller_number, event.caller_name
        call.position = event.position
        call.dialled_number = (event.dialled_number
                               or self._channel_exten.get(event.callid, ""))
        self._by_linkedid.setdefault(call.linkedid, call.callid)
        if call.closed or call.answered:
            return []  # arrived late: sinks already saw this call end
        if not event.dialled_number and call.dialled_number:
            return [dataclasses.replace(event, dialled_number=call.dialled_number)]
        return [event]

    def _on_ringing(self, event: ev.AgentRinging) -> list[ev.CallEvent]:
        call = self._call(event.callid)
        if call is None:
            return []
        call.queue = call.queue or event.queue
        call.caller_number = call.caller_number or event.caller_number
        call.caller_name = call.caller_name or event.caller_name
        attempt = self._attempt(call, event.agent_channel or event.interface)
        if attempt.started_at is not None:
            return []
        attempt.started_at = event.at
        attempt.interface = attempt.interface or event.interface
        attempt.member_name = attempt.member_name or event.member_name
        return [] if call.closed or attempt.outcome else [event]

    def _attempt(self, call: CallState, key: str) -> Attempt:
        attempt = call.attempts.get(key)
        if attempt is None:
            attempt = call.attempts[key] = Attempt(key=key)
            early = self._early_dial_ends.pop((call.callid, key), None)
            if early is not None:  # its DialEnd overtook its AgentCalled
                end_attempt(attempt, early.outcome, early.at)
        return attempt

    def _on_ring_ended(self, event: ev.RingEnded) -> list[ev.CallEvent]:
        key = event.agent_channel or event.interface
        # DialEnd (queue "") may belong to any dial: only an attempt we know counts.
        known = self.calls.get(event.callid)
        if not event.queue and (known is None or key not in known.attempts):
            self._early_dial_ends[(event.callid, key)] = event
            if len(self._early_dial_ends) > MAX_EARLY_DIAL_ENDS:
                self._early_dial_ends.popitem(last=False)
            return []
        call = self._call(event.callid)
        if call is None:
            return []
        attempt = self._attempt(call, key)
        attempt.interface = attempt.interface or event.interface
        attempt.member_name = attempt.member_name or event.member_name
        if event.ring_ms != UNKNOWN_RING_MS and event.outcome != "answered":
            attempt.asterisk_ring_ms = event.ring_ms
        first = attempt.outcome is None
        end_attempt(attempt, event.outcome, event.at)
        if not first:
            return []
        return [dataclasses.replace(
            event, queue=event.queue or call.queue, interface=attempt.interface,
            member_name=attempt.member_name, ring_ms=attempt_ring_ms(attempt) or 0)]

    def _on_answered(self, event: ev.CallAnswered) -> list[ev.CallEvent]:
        call = self._call(event.callid)
        if call is None or call.answered_at is not None:
            return []
        call.answered_at = event.at
        call.queue = call.queue or event.queue
        call.agent_interface, call.agent_member = event.interface, event.member_name
        call.agent_channel = event.agent_channel
        call.ring_s, call.answer_hold_s = event.ring_s, event.hold_s
        attempt = self._attempt(call, event.agent_channel or event.interface)
        attempt.interface = attempt.interface or event.interface
        attempt.member_name = attempt.member_name or event.member_name
        end_attempt(attempt, "answered", event.at)
        return [] if call.completed_at is not None else [event]

    def _on_abandoned(self, event: ev.CallAbandoned) -> list[ev.CallEvent]:
        call = self._call(event.callid)
        if call is None or call.abandoned_at is not None:
            return []
        call.abandoned_at, call.abandon_hold_s = event.at, event.hold_s
        call.queue = call.queue or event.queue
        if event.outcome != "abandoned":
            call.exit_outcome = event.outcome
        if call.answered:
            return []  # contradicts an answer we saw: keep the answer
        return [dataclasses.replace(event, outcome=call.exit_outcome)]

    def _on_ended(self, event: ev.CallEnded) -> list[ev.CallEvent]:
        if not event.callid:  # an AgentComplete without the caller's fields
            callid = self._answered_by(event.queue, event.interface)
            if callid is None:
                return []
            event = dataclasses.replace(event, callid=callid)
        call = self._call(event.callid)
        if call is None or call.completed_at is not None:
            return []
        call.completed_at = event.at
        call.queue = call.queue or event.queue
        call.agent_interface = call.agent_interface or event.interface
        call.agent_member = call.agent_member or event.member_name
        call.talk_s, call.complete_hold_s = event.talk_s, event.hold_s
        call.hung_up_by = event.hung_up_by
        if event.transfer_target:
            call.transfer_target = event.transfer_target
        return [dataclasses.replace(event, transfer_target=call.transfer_target)]

    def _answered_by(self, queue: str, interface: str) -> Optional[str]:
        """The newest call of `queue` that member `interface` answered and that has
        not completed (a member takes one queue call at a time: ringinuse=no)."""
        found = [call for call in self.calls.values()
                 if call.answered_at is not None and call.completed_at is None
                 and call.agent_interface == interface and call.queue in ("", queue)]
        return max(found, key=lambda call: call.answered_at).callid if found else None

    def _on_hung_up(self, event: ev.ChannelHungUp) -> list[ev.CallEvent]:
        self._channel_exten.pop(event.uniqueid, None)
        leg_of = self._leg_callid.pop(event.uniqueid, None)
        if leg_of is not None:
            return self._end_leg(leg_of, event)
        call = self.calls.get(event.uniqueid)
        if call is None:
            return []
        self._changed[call.callid] = None
        if call.hangup_at is not None:
            return []
        call.hangup_at = event.at
        self._close_holds(call, event.at)
        return [event]

    def _on_channel_created(self, event: ev.ChannelCreated) -> list[ev.CallEvent]:
        if event.exten:
            self._channel_exten[event.uniqueid] = event.exten
            if len(self._channel_exten) > MAX_CHANNEL_EXTENS:
                self._channel_exten.popitem(last=False)
        return []

    def _linked_call(self, linkedid: str, uniqueid: str = "") -> Optional[CallState]:
        callid = uniqueid if uniqueid in self.calls else self._by_linkedid.get(linkedid)
        return self._call(callid, create=False) if callid else None

    def _on_hold_changed(self, event: ev.HoldChanged) -> list[ev.CallEvent]:
        call = self._linked_call(event.linkedid, event.uniqueid)
        if call is None:
            return []
        spans = call.holds.setdefault(event.channel, [])
        if event.on_hold:
            if any(start == event.at for start, _ in spans):
                return []
            spans.append([event.at, None])
        else:
            open_spans = [span for span in spans if span[1] is None and span[0] <= event.at]
            if not open_spans:
                return []
            open_spans[-1][1] = event.at
        return [dataclasses.replace(event, callid=call.callid)]

    @staticmethod
    def _close_holds(call: CallState, at: float) -> None:
        for spans in call.holds.values():
            for span in spans:
                if span[1] is None:
                    span[1] = at

    def _on_transferred(self, event: ev.CallTransferred) -> list[ev.CallEvent]:
        call = self._linked_call(event.linkedid)
        if call is None or call.transfer_target is not None:
            return []
        call.transfer_target = event.target or event.kind
        call.transfer_kind, call.transferred_at = event.kind, event.at
        return [dataclasses.replace(event, callid=call.callid)]

    def _on_transfer_leg_answered(self, event: ev.TransferLegAnswered) -> list[ev.CallEvent]:
        call = self._linked_call(event.linkedid)
        if call is None or not event.uniqueid:
            return []
        leg = call.leg
        if leg is not None and (leg.uniqueid == event.uniqueid or (
                leg.ended_at is None or call.transferred_at is not None)):
            return []  # seen already, or a leg is up (or was the transfer's): keep it
        if leg is not None:
            self._leg_callid.pop(leg.uniqueid, None)
        call.leg = TransferLeg(uniqueid=event.uniqueid, channel=event.channel,
                               answered_at=event.at)
        self._leg_callid[event.uniqueid] = call.callid
        return [dataclasses.replace(event, callid=call.callid,
                                    interface=phone_interface(event.channel))]

    def _end_leg(self, callid: str, event: ev.ChannelHungUp) -> list[ev.CallEvent]:
        call = self.calls.get(callid)
        if call is None or call.leg is None or call.leg.ended_at is not None:
            return []
        call.leg.ended_at = event.at
        self._changed[callid] = None
        return [ev.TransferLegEnded(at=event.at, callid=callid, channel=call.leg.channel,
                                    interface=phone_interface(call.leg.channel))]

    def _on_recording(self, event) -> list[ev.CallEvent]:
        # MixMonitor starts before Queue(): the call may not be known yet.
        return [] if event.callid in self._finished else [event]


_HANDLERS = {
    ev.CallQueued: CallStateMachine._on_queued,
    ev.AgentRinging: CallStateMachine._on_ringing,
    ev.RingEnded: CallStateMachine._on_ring_ended,
    ev.CallAnswered: CallStateMachine._on_answered,
    ev.CallAbandoned: CallStateMachine._on_abandoned,
    ev.CallEnded: CallStateMachine._on_ended,
    ev.ChannelHungUp: CallStateMachine._on_hung_up,
    ev.ChannelCreated: CallStateMachine._on_channel_created,
    ev.HoldChanged: CallStateMachine._on_hold_changed,
    ev.CallTransferred: CallStateMachine._on_transferred,
    ev.TransferLegAnswered: CallStateMachine._on_transfer_leg_answered,
    ev.RecordingStarted: CallStateMachine._on_recording,
    ev.RecordingStopped: CallStateMachine._on_recording,
}
