"""Typed call events: what the rest of the system knows of Asterisk.

The normalizer turns AMI events into these; the state machine, the database
writer, the live state in Redis and the Socket.IO push consume them. Names are
past tense (wazo's habit): they report what Asterisk already did. Times are
POSIX seconds (float). `callid` is the queue call's Uniqueid, which is also
queue_log's callid; `linkedid` ties the call's other channels to it.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar, Optional

from models.vocabulary import CallOutcome, HungUpBy, RingOutcome  # noqa: F401 - public here


@dataclasses.dataclass(frozen=True, slots=True)
class CallEvent:
    name: ClassVar[str] = "call_event"
    at: float

    def as_dict(self) -> dict:
        """A JSON-ready dict with the event's name, for Redis and Socket.IO."""
        payload = dataclasses.asdict(self)
        payload["event"] = self.name
        return payload


@dataclasses.dataclass(frozen=True, slots=True)
class CallQueued(CallEvent):
    name: ClassVar[str] = "call_queued"
    callid: str
    linkedid: str
    queue: str
    channel: str
    caller_number: str
    caller_name: str
    dialled_number: str
    position: int


@dataclasses.dataclass(frozen=True, slots=True)
class AgentRinging(CallEvent):
    name: ClassVar[str] = "agent_ringing"
    callid: str
    queue: str
    interface: str
    member_name: str
    agent_channel: str
    caller_number: str
    caller_name: str


@dataclasses.dataclass(frozen=True, slots=True)
class RingEnded(CallEvent):
    name: ClassVar[str] = "ring_ended"
    callid: str
    queue: str
    interface: str
    member_name: str
    outcome: RingOutcome
    ring_ms: int
    agent_channel: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class CallAnswered(CallEvent):
    name: ClassVar[str] = "call_answered"
    callid: str
    queue: str
    interface: str
    member_name: str
    agent_channel: str
    hold_s: int
    ring_s: int


@dataclasses.dataclass(frozen=True, slots=True)
class CallAbandoned(CallEvent):
    """The caller left the queue unanswered (QueueCallerAbandon).

    Asterisk raises it for a hang-up and also for timeout, leave-when-empty and
    withdraw; `outcome` starts as "abandoned" and queue_log's verb refines it.
    """
    name: ClassVar[str] = "call_abandoned"
    callid: str
    queue: str
    position: int
    original_position: int
    hold_s: int
    outcome: CallOutcome = "abandoned"


@dataclasses.dataclass(frozen=True, slots=True)
class CallEnded(CallEvent):
    name: ClassVar[str] = "call_ended"
    callid: str
    queue: str
    interface: str
    member_name: str
    hold_s: int
    talk_s: int
    hung_up_by: HungUpBy
    transfer_target: Optional[str] = None


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelHungUp(CallEvent):
    """Any channel of a followed call went away (closes calls that never queued)."""
    name: ClassVar[str] = "channel_hung_up"
    uniqueid: str
    linkedid: str
    channel: str
    cause: int


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelCreated(CallEvent):
    """A channel appeared (Newchannel); its `exten` is the number the caller dialled.

    The state machine keeps it only to learn a queued call's dialled number and
    does not pass it on to sinks.
    """
    name: ClassVar[str] = "channel_created"
    uniqueid: str
    linkedid: str
    channel: str
    exten: str
    context: str


@dataclasses.dataclass(frozen=True, slots=True)
class HoldChanged(CallEvent):
    """A channel of a call was put on hold or taken off it (Hold/Unhold)."""
    name: ClassVar[str] = "hold_changed"
    uniqueid: str
    linkedid: str
    channel: str
    on_hold: bool
    callid: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class CallTransferred(CallEvent):
    """A call was transferred (BlindTransfer/AttendedTransfer) to `target`.

    `linkedid` ties it to the queue call; the state machine fills `callid`.
    """
    name: ClassVar[str] = "call_transferred"
    linkedid: str
    target: str
    kind: str
    callid: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class TransferLegAnswered(CallEvent):
    """A phone dialled from the transfer context answered (DialEnd ANSWER there).

    For a blind transfer that is the receiving agent taking the caller; for an
    attended one it is the consult, which becomes the call's second leg only if
    the transfer then completes. `uniqueid` and `channel` are the answering
    phone's; `linkedid` ties it to the queue call.
    """
    name: ClassVar[str] = "transfer_leg_answered"
    linkedid: str
    uniqueid: str
    channel: str
    exten: str
    callid: str = ""      # filled by the state machine
    interface: str = ""   # the phone's interface (PJSIP/8047), filled with it


@dataclasses.dataclass(frozen=True, slots=True)
class TransferLegEnded(CallEvent):
    """The receiving phone of a transfer hung up (the state machine's, from Hangup)."""
    name: ClassVar[str] = "transfer_leg_ended"
    callid: str
    interface: str
    channel: str


@dataclasses.dataclass(frozen=True, slots=True)
class MemberPaused(CallEvent):
    name: ClassVar[str] = "member_paused"
    queue: str
    interface: str
    member_name: str
    paused: bool
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class MemberStatusChanged(CallEvent):
    """A queue member's device state or membership changed.

    `status` is app_queue's device state as a word: not_in_use, in_use, busy,
    unavailable, ringing, on_hold, invalid, unknown. `present` is False once
    the member left the queue.
    """
    name: ClassVar[str] = "member_status_changed"
    queue: str
    interface: str
    member_name: str
    status: str
    paused: bool
    paused_reason: str
    in_call: bool
    present: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class RecordingStarted(CallEvent):
    name: ClassVar[str] = "recording_started"
    callid: str
    channel: str


@dataclasses.dataclass(frozen=True, slots=True)
class RecordingStopped(CallEvent):
    name: ClassVar[str] = "recording_stopped"
    callid: str
    channel: str


@dataclasses.dataclass(frozen=True, slots=True)
class SpyStarted(CallEvent):
    name: ClassVar[str] = "spy_started"
    spyer_channel: str
    spyee_channel: str


@dataclasses.dataclass(frozen=True, slots=True)
class SpyStopped(CallEvent):
    name: ClassVar[str] = "spy_stopped"
    spyer_channel: str
    spyee_channel: str


@dataclasses.dataclass(frozen=True, slots=True)
class BridgeConnected(CallEvent):
    """The bridge (re)connected to AMI; live state is being rebuilt."""
    name: ClassVar[str] = "bridge_connected"
    resync_started: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class BridgeResynced(CallEvent):
    """Live state rebuilt from QueueStatus/CoreShowChannels: it is current again."""
    name: ClassVar[str] = "bridge_resynced"


@dataclasses.dataclass(frozen=True, slots=True)
class BridgeDisconnected(CallEvent):
    name: ClassVar[str] = "bridge_disconnected"
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class QueueMemberState:
    queue: str
    interface: str
    member_name: str
    status: str
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int
    last_call_at: float


@dataclasses.dataclass(frozen=True, slots=True)
class QueueEntryState:
    queue: str
    callid: str
    channel: str
    caller_number: str
    caller_name: str
    position: int
    wait_s: int


@dataclasses.dataclass(frozen=True, slots=True)
class QueueSnapshotTaken(CallEvent):
    """What Asterisk's QueueStatus said after a (re)connect: the truth to rebuild from."""
    name: ClassVar[str] = "queue_snapshot_taken"
    members: tuple[QueueMemberState, ...]
    entries: tuple[QueueEntryState, ...]
