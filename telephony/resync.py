"""What the bridge does on every (re)connect: rebuild what it missed.

1. QueueStatus -> a QueueSnapshotTaken event (members and waiting callers), the
   truth the live board rebuilds from; QueueSummary is logged.
2. CoreShowChannels -> the channels alive now.
3. Every call the database (or the state machine) holds open is then either
   still alive (followed again from here), or ended while we were away: closed
   from queue_log when its file says how, else marked `ended_unseen`.
4. Calls that began and ended while we were away (after the latest call the
   database holds) are known to queue_log only: stored from it.
5. On a bridge process's first resync, calls that closed in the last minutes
   get their finishing pass again (recording, queue_log's talk time and exit
   reason): a bridge killed right after a call ended lost the deferred tasks
   that would have done it.

A resync sees the bridge through `ResyncHost` only: ask Asterisk, read the
clock, publish an event, and `reconciling()`, the one way to touch the calls.
The bridge keeps the invariants there: its writer is flushed before the block
(what the machine closed is in the database), its lock held through it (no
event moves the machine meanwhile), and the machine's changed records are
handed to the writer when it ends.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Callable, ContextManager, Mapping, Optional, Protocol, Sequence

from telephony import events as ev
from telephony.call_record import CallRecord
from telephony.call_state import normalize_caller_number
from telephony.normalizer import live_channels, queue_snapshot
from telephony.queue_log import QueueLogCall, QueueLogFollower
from telephony.state_machine import CallStateMachine
from telephony.stored_calls import OpenCall, StoredCalls

log = logging.getLogger(__name__)

ACTION_TIMEOUT_S = 10.0
# How far back a resync looks for closed calls whose finishing pass may have
# been lost: the bridge's deferred tasks run up to 15 s after a call closes,
# and a killed bridge is usually restarted within minutes.
REFINISH_WINDOW_S = 600
_FINISHED_OUTCOMES = ("answered", "transferred", "abandoned")


@dataclasses.dataclass(frozen=True)
class OpenCalls:
    """What a resync may touch, inside `ResyncHost.reconciling()` only."""

    machine: CallStateMachine
    stored: StoredCalls
    queue_log: QueueLogFollower
    # A new bridge process: the deferred finishing passes of its predecessor were lost.
    first_resync: bool
    # A record to the writer (submitted at once, in the order given).
    store: Callable[[CallRecord], None]
    # The finishing pass (recording, queue_log's talk time) for a closed call, soon.
    finish_later: Callable[[str, Optional[str]], None]


class ResyncHost(Protocol):
    """The bridge as a resync sees it (telephony.bridge.Bridge)."""

    clock: Callable[[], float]

    def ask_asterisk(self, action: str, timeout: float) -> Sequence[Mapping[str, str]]:
        """The events answering a list action (QueueStatus, CoreShowChannels, ...)."""

    def publish_event(self, event: ev.CallEvent) -> None:
        """An event straight to the sinks."""

    def reconciling(self) -> ContextManager[OpenCalls]:
        """Writer flushed, lock held for the block, changed records written after it."""


def resync(host: ResyncHost) -> None:
    status = host.ask_asterisk("QueueStatus", ACTION_TIMEOUT_S)
    summary = host.ask_asterisk("QueueSummary", ACTION_TIMEOUT_S)
    channels = host.ask_asterisk("CoreShowChannels", ACTION_TIMEOUT_S)
    now = host.clock()
    snapshot = queue_snapshot(status, now)
    for queue in summary:
        if queue.get("Event") == "QueueSummary":
            log.info("queue %s: %s logged in, %s available, %s waiting", queue.get("Queue"),
                     queue.get("LoggedIn"), queue.get("Available"), queue.get("Callers"))
    host.publish_event(snapshot)
    alive = set(live_channels(channels)) | {entry.callid for entry in snapshot.entries}
    reconcile_open_calls(host, alive, snapshot.entries, now)


def reconcile_open_calls(host: ResyncHost, alive: set[str], entries=(),
                         now: Optional[float] = None) -> dict[str, int]:
    """Close calls that vanished; follow the living ones. Returns counts for the log."""
    now = host.clock() if now is None else now
    counts = {"followed": 0, "from_queue_log": 0, "ended_unseen": 0, "adopted_waiting": 0,
              "missed_from_queue_log": 0, "finished_again": 0}
    with host.reconciling() as calls:
        machine = calls.machine
        # Only a new bridge process has lost the deferred tasks; after a mere AMI
        # reconnect they are still queued and would do the same work again.
        if calls.first_resync:
            counts["finished_again"] = _finish_recent_calls(calls, now)
        in_database = calls.stored.open_calls()
        open_ids = (set(in_database) | machine.open_callids())
        for callid in sorted(open_ids):
            if machine.is_finished(callid):
                continue
            if callid in alive:
                _follow_again(machine, in_database.get(callid))
                counts["followed"] += 1
            elif _close_from_queue_log(calls, callid):
                counts["from_queue_log"] += 1
            else:
                machine.close_unseen(callid, now)
                counts["ended_unseen"] += 1
        counts["adopted_waiting"] = _adopt_waiting(machine, entries, in_database, now)
        counts["missed_from_queue_log"] = _store_missed_calls(calls, alive)
    log.info("resync: %s", counts)
    return counts


def _finish_recent_calls(calls: OpenCalls, now: float) -> int:
    """Schedule the finishing pass again for calls closed in the last minutes.

    It is idempotent (it only fills in what the files say), so running it for a
    call that had it already changes nothing.
    """
    since = dt.datetime.fromtimestamp(now - REFINISH_WINDOW_S, dt.timezone.utc)
    rows = calls.stored.closed_since(since, _FINISHED_OUTCOMES)
    for callid, outcome in rows:
        calls.finish_later(callid, outcome)
    return len(rows)


def _follow_again(machine: CallStateMachine, row: Optional[OpenCall]) -> None:
    if row is None:
        return  # the machine follows it already
    answered_at = row.answered_at
    machine.adopt_open_call(row.callid, row.linkedid or "", row.queue or "",
                            answered_at is not None,
                            answered_at.timestamp() if answered_at is not None else None)


def _close_from_queue_log(calls: OpenCalls, callid: str) -> bool:
    logged = calls.queue_log.call(callid)
    if logged is None or logged.ended_at is None or logged.outcome is None:
        return False
    calls.machine.forget(callid)
    calls.store(record_from_queue_log(logged))
    calls.finish_later(callid, logged.outcome)  # its recording
    return True


def record_from_queue_log(logged: QueueLogCall) -> CallRecord:
    """A closing call record from queue_log's lines (the agent column may be either)."""
    agent = logged.agent or None
    by_interface = agent is not None and "/" in agent
    answered_at = None
    if logged.outcome in ("answered", "transferred") and logged.talk_s is not None:
        answered_at = logged.ended_at - logged.talk_s
    return CallRecord(
        callid=logged.callid, queue=logged.queue or None,
        outcome=logged.outcome,
        wait_s=logged.wait_s, ring_s=logged.ring_s, talk_s=logged.talk_s,
        agent_interface=agent if by_interface else None,
        agent_member=None if by_interface else agent,
        answered_at=answered_at, ended_at=logged.ended_at,
        hung_up_by=logged.hung_up_by, transfer_target=logged.transfer_target,
        closed=True,
    )


def _store_missed_calls(calls: OpenCalls, alive: set[str]) -> int:
    """Calls queue_log ended that entered after the newest stored call and that no
    record holds: they began and ended while the bridge was away."""
    newest = calls.stored.newest_entered_at()
    if newest is None:
        return 0  # a fresh database: queue_log's history is not this bridge's to import
    calls.queue_log.refresh()
    machine = calls.machine
    missed = {call.callid: call for call in list(calls.queue_log.calls.values())
              if call.entered_at is not None and call.entered_at >= int(newest.timestamp())
              and call.ended_at is not None and call.outcome is not None
              and call.callid not in alive and call.callid not in machine.calls
              and not machine.is_finished(call.callid)}
    if missed:
        stored = calls.stored.stored_among(missed)
        missed = {callid: call for callid, call in missed.items() if callid not in stored}
    for callid, logged in missed.items():
        calls.store(dataclasses.replace(
            record_from_queue_log(logged), entered_queue_at=logged.entered_at,
            caller_number_raw=logged.caller_number or None,
            caller_number=normalize_caller_number(logged.caller_number,
                                                  machine.local_area_code)))
        calls.finish_later(callid, logged.outcome)  # its recording
    return len(missed)


def _adopt_waiting(machine: CallStateMachine, entries, in_database: Mapping[str, OpenCall],
                   now: float) -> int:
    """Callers waiting in a queue that no record holds yet (the bridge was down)."""
    adopted = 0
    for entry in entries:
        if entry.callid in in_database or entry.callid in machine.calls \
                or machine.is_finished(entry.callid):
            continue
        machine.apply(ev.CallQueued(
            at=now - entry.wait_s, callid=entry.callid, linkedid=entry.callid,
            queue=entry.queue, channel=entry.channel, caller_number=entry.caller_number,
            caller_name=entry.caller_name, dialled_number="", position=entry.position))
        adopted += 1
    return adopted
