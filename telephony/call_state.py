"""One queue call's state, and the call record derived from it.

The state machine (telephony.state_machine) sets each field from the one kind
of event that owns it; everything that depends on several events (outcome,
ended-at, how each ring ended, rings heard, hold time) is derived here when a
record is taken, which is what makes the records independent of event order.
"""
from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from typing import Optional

from households.numbers import normalize_number
from models.vocabulary import CallOutcome, HungUpBy, RingOutcome
from telephony.call_record import CallRecord, RingAttemptRecord

# How ring outcomes win over one another when two events describe one ring
# (AgentRingNoAnswer and DialEnd BUSY for a busy phone); every RingOutcome has one.
RING_PRECEDENCE: dict[RingOutcome, int] = {"answered": 4, "busy": 3, "no_answer": 2,
                                           "cancelled": 1}


@dataclasses.dataclass
class Attempt:
    key: str
    interface: str = ""
    member_name: str = ""
    started_at: Optional[float] = None
    ended_at: Optional[float] = None
    outcome: Optional[RingOutcome] = None
    asterisk_ring_ms: Optional[int] = None


@dataclasses.dataclass
class TransferLeg:
    """The receiving phone's side of a transferred call: answered, then gone."""
    uniqueid: str
    channel: str
    answered_at: float
    ended_at: Optional[float] = None


@dataclasses.dataclass
class CallState:
    callid: str
    linkedid: str = ""
    channel: str = ""
    caller_number: str = ""
    caller_name: str = ""
    dialled_number: str = ""
    queue: str = ""
    position: Optional[int] = None
    entered_at: Optional[float] = None
    answered_at: Optional[float] = None
    agent_interface: str = ""
    agent_member: str = ""
    agent_channel: str = ""
    ring_s: Optional[int] = None
    answer_hold_s: Optional[int] = None
    abandoned_at: Optional[float] = None
    abandon_hold_s: Optional[int] = None
    exit_outcome: CallOutcome = "abandoned"
    completed_at: Optional[float] = None
    talk_s: Optional[int] = None
    complete_hold_s: Optional[int] = None
    hung_up_by: Optional[HungUpBy] = None
    transfer_target: Optional[str] = None
    transfer_kind: Optional[str] = None
    transferred_at: Optional[float] = None
    leg: Optional["TransferLeg"] = None  # the phone a transfer (or a consult) reached
    hangup_at: Optional[float] = None
    unseen_at: Optional[float] = None
    holds: dict = dataclasses.field(default_factory=dict)  # channel -> [(start, end)]
    attempts: dict = dataclasses.field(default_factory=dict)  # key -> Attempt

    @property
    def answered(self) -> bool:
        return self.answered_at is not None or self.completed_at is not None

    @property
    def closed(self) -> bool:
        return (self.completed_at is not None or self.unseen_at is not None
                or (self.abandoned_at is not None and not self.answered)
                or self.hangup_at is not None)


@lru_cache(maxsize=8192)
def normalize_caller_number(raw: Optional[str], local_area_code: str) -> Optional[str]:
    """The number as households match it ('+86 138-0013-8000' -> '13800138000').

    households.numbers owns the rules (country prefix, area codes, withheld
    numbers -> None); `local_area_code` is settings.local_area_code (a local
    '62345678' gets it). Cached: the bridge asks again for every event of a call.
    """
    return normalize_number(raw, local_area_code).key if raw else None


def end_attempt(attempt: Attempt, outcome: RingOutcome, at: float) -> None:
    """The strongest outcome and the earliest end win, whatever the order."""
    if attempt.outcome is None or RING_PRECEDENCE[outcome] > RING_PRECEDENCE[attempt.outcome]:
        attempt.outcome = outcome
    if attempt.ended_at is None or at < attempt.ended_at:
        attempt.ended_at = at


def attempt_ring_ms(attempt: Attempt) -> Optional[int]:
    """Asterisk's ring time when it gave one, else measured from the events."""
    if attempt.asterisk_ring_ms is not None:
        return attempt.asterisk_ring_ms
    if attempt.started_at is not None and attempt.ended_at is not None:
        return max(0, round((attempt.ended_at - attempt.started_at) * 1000))
    return None


def rings_heard(ring_ms: Optional[int], cadence_s: float) -> Optional[int]:
    """Rings of ring-back heard: ring time / cadence period, rounded up."""
    if ring_ms is None:
        return None
    return math.ceil(ring_ms / 1000 / cadence_s - 1e-9)


def call_outcome(call: CallState) -> Optional[CallOutcome]:
    if call.transfer_target is not None or call.hung_up_by == "transfer":
        return "transferred"
    if call.unseen_at is not None and call.completed_at is None \
            and call.abandoned_at is None:
        return "ended_unseen"  # its end happened while the bridge was away
    if call.answered:
        return "answered" if call.closed else None
    if call.abandoned_at is not None:
        return call.exit_outcome
    if call.hangup_at is not None:
        # Hung up in the queue with no abandon event: missed, or a key exit (the
        # keep-my-place callback's 1 raises QueueCallerLeave only), which queue_log
        # refines; "abandoned" until it does.
        return call.exit_outcome
    return None


def _ended_at(call: CallState) -> Optional[float]:
    if not call.closed:
        return None
    if call.completed_at is not None:
        return call.completed_at
    if call.abandoned_at is not None and not call.answered:
        return call.abandoned_at
    return call.hangup_at if call.hangup_at is not None else call.unseen_at


def _hold_seconds(call: CallState, ended_at: Optional[float]) -> Optional[int]:
    if not call.answered:
        return None
    total = 0.0
    for spans in call.holds.values():
        for start, end in spans:
            end = end if end is not None else ended_at
            if end is not None and end > start:
                total += end - start
    return round(total)


def _attempt_records(call: CallState, ended_at: Optional[float]) -> tuple:
    records = []
    for attempt in call.attempts.values():
        outcome, end = attempt.outcome, attempt.ended_at
        if outcome is None and (call.answered_at is not None or ended_at is not None):
            # Rang while someone else answered or the caller left: cancelled.
            outcome = "cancelled"
            end = call.answered_at if call.answered_at is not None else ended_at
        ring_ms = attempt_ring_ms(dataclasses.replace(attempt, ended_at=end))
        records.append(RingAttemptRecord(
            callid=call.callid, attempt_key=attempt.key,
            member_name=attempt.member_name or None, interface=attempt.interface or None,
            agent_channel=attempt.key if "-" in attempt.key else None,
            started_at=attempt.started_at, ended_at=end, outcome=outcome, ring_ms=ring_ms))
    return tuple(records)


def _answered_ring_ms(call: CallState) -> Optional[int]:
    attempt = call.attempts.get(call.agent_channel or call.agent_interface)
    measured = attempt_ring_ms(attempt) if attempt is not None else None
    if measured is not None and measured > 0:
        return measured
    return None if call.ring_s is None else call.ring_s * 1000


def call_record(call: CallState, cadence_s: float, wrapup_s: Optional[int],
                local_area_code: str) -> CallRecord:
    ended_at = _ended_at(call)
    outcome = call_outcome(call)
    answered_ring_ms = _answered_ring_ms(call) if call.answered_at is not None else None
    wait_s = call.answer_hold_s if call.answer_hold_s is not None else call.complete_hold_s
    if wait_s is None and not call.answered:
        wait_s = call.abandon_hold_s
    return CallRecord(
        callid=call.callid,
        linkedid=call.linkedid or None,
        channel=call.channel or None,
        caller_number_raw=call.caller_number or None,
        caller_number=normalize_caller_number(call.caller_number, local_area_code),
        caller_name=call.caller_name or None,
        dialled_number=call.dialled_number or None,
        queue=call.queue or None,
        position=call.position,
        entered_queue_at=call.entered_at,
        answered_at=call.answered_at,
        agent_interface=call.agent_interface or None,
        agent_member=call.agent_member or None,
        agent_channel=call.agent_channel or None,
        ring_s=call.ring_s,
        rings=rings_heard(answered_ring_ms, cadence_s),
        wait_s=wait_s,
        talk_s=call.talk_s,
        hold_s=_hold_seconds(call, ended_at),
        wrapup_s=wrapup_s if outcome in ("answered", "transferred") else None,
        ended_at=ended_at,
        hung_up_by=call.hung_up_by,
        outcome=outcome,
        transfer_target=call.transfer_target,
        **_second_leg(call),
        attempts=_attempt_records(call, ended_at),
        closed=call.closed,
    )


def transferred_leg(call: CallState) -> Optional[TransferLeg]:
    """The leg the caller was transferred to: only once the transfer happened, and
    only the leg that was up when it did (a consult hung up before is not it)."""
    leg = call.leg
    if leg is None or call.transferred_at is None or (
            leg.ended_at is not None and leg.ended_at < call.transferred_at):
        return None
    return leg


def _second_leg(call: CallState) -> dict:
    """The transfer's leg as record fields."""
    if call.transfer_kind is None:
        return {}
    fields = {"transfer_kind": call.transfer_kind}
    leg = transferred_leg(call)
    if leg is None:
        return fields
    # Whichever side hung up first ended the conversation.
    ends = [at for at in (leg.ended_at, call.hangup_at) if at is not None]
    ended_at = min(ends) if ends else None
    return {**fields, "transfer_channel": leg.channel,
            "transfer_interface": phone_interface(leg.channel),
            "transfer_answered_at": max(leg.answered_at, call.transferred_at),
            "transfer_ended_at": ended_at}


def awaits_second_leg(call: CallState) -> bool:
    """A transferred call goes on with the caller after the queue closed it: it is
    followed until the caller hangs up or the receiving phone does."""
    if call.transfer_kind is None or call.hangup_at is not None:
        return False
    leg = transferred_leg(call)
    return leg is None or leg.ended_at is None


def phone_interface(channel: str) -> str:
    """The device of a channel: PJSIP/8047-0000002a -> PJSIP/8047."""
    return channel.rsplit("-", 1)[0]
