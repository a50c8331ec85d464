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
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Optional

from sqlalchemy import func, select

from models.calls import Call, normalize_caller_number
from telephony import events as ev
from telephony.normalizer import live_channels, queue_snapshot
from telephony.queue_log import QueueLogCall

log = logging.getLogger(__name__)

ACTION_TIMEOUT_S = 10.0
# How far back a resync looks for closed calls whose finishing pass may have
# been lost: the bridge's deferred tasks run up to 15 s after a call closes,
# and a killed bridge is usually restarted within minutes.
REFINISH_WINDOW_S = 600
_FINISHED_OUTCOMES = ("answered", "transferred", "abandoned")


def resync(bridge) -> None:
    connection = bridge.connection
    status = connection.send_action({"Action": "QueueStatus"}, timeout=ACTION_TIMEOUT_S)
    summary = connection.send_action({"Action": "QueueSummary"}, timeout=ACTION_TIMEOUT_S)
    channels = connection.send_action({"Action": "CoreShowChannels"}, timeout=ACTION_TIMEOUT_S)
    now = bridge.clock()
    snapshot = queue_snapshot(status.events, now)
    for queue in summary.events:
        if queue.get("Event") == "QueueSummary":
            log.info("queue %s: %s logged in, %s available, %s waiting", queue.get("Queue"),
                     queue.get("LoggedIn"), queue.get("Available"), queue.get("Callers"))
    bridge.publish_event(snapshot)
    alive = set(live_channels(channels.events)) | {entry.callid for entry in snapshot.entries}
    reconcile_open_calls(bridge, alive, snapshot.entries, now)


def _open_calls_in_database(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Call.callid, Call.linkedid, Call.queue, Call.answered_at)
            .where(Call.outcome.is_(None)))
        return {row.callid: (row.linkedid, row.queue, row.answered_at) for row in rows}


def reconcile_open_calls(bridge, alive: set[str], entries=(), now: Optional[float] = None,
                         ) -> dict[str, int]:
    """Close calls that vanished; follow the living ones. Returns counts for the log."""
    now = bridge.clock() if now is None else now
    bridge.writer.flush()  # what the machine already closed must be in the database
    counts = {"followed": 0, "from_queue_log": 0, "ended_unseen": 0, "adopted_waiting": 0,
              "missed_from_queue_log": 0, "finished_again": 0}
    with bridge.lock:
        machine = bridge.machine
        # Only a new bridge process has lost the deferred tasks; after a mere AMI
        # reconnect they are still queued and would do the same work again.
        if bridge.resyncs == 0:
            counts["finished_again"] = _finish_recent_calls(bridge, now)
        in_database = _open_calls_in_database(bridge.engine)
        open_ids = (set(in_database) | machine.open_callids())
        for callid in sorted(open_ids):
            if machine.is_finished(callid):
                continue
            if callid in alive:
                _follow_again(machine, callid, in_database.get(callid))
                counts["followed"] += 1
            elif _close_from_queue_log(bridge, callid):
                counts["from_queue_log"] += 1
            else:
                machine.close_unseen(callid, now)
                counts["ended_unseen"] += 1
        counts["adopted_waiting"] = _adopt_waiting(bridge, entries, in_database, now)
        counts["missed_from_queue_log"] = _store_missed_calls(bridge, alive)
        bridge.write_changed_calls(time.perf_counter())
    log.info("resync: %s", counts)
    return counts


def _finish_recent_calls(bridge, now: float) -> int:
    """Schedule the finishing pass again for calls closed in the last minutes.

    It is idempotent (it only fills in what the files say), so running it for a
    call that had it already changes nothing.
    """
    since = dt.datetime.fromtimestamp(now - REFINISH_WINDOW_S, dt.timezone.utc)
    with bridge.engine.connect() as connection:
        rows = connection.execute(
            select(Call.callid, Call.outcome)
            .where(Call.ended_at >= since, Call.outcome.in_(_FINISHED_OUTCOMES))).all()
    for callid, outcome in rows:
        bridge.schedule(0.5, bridge.finish_call, callid, outcome)
    return len(rows)


def _follow_again(machine, callid: str, row: Optional[tuple]) -> None:
    if row is None:
        return  # the machine follows it already
    linkedid, queue, answered_at = row
    machine.adopt_open_call(callid, linkedid or "", queue or "", answered_at is not None,
                            answered_at.timestamp() if answered_at is not None else None)


def _close_from_queue_log(bridge, callid: str) -> bool:
    logged = bridge.queue_log.call(callid)
    if logged is None or logged.ended_at is None or logged.outcome is None:
        return False
    bridge.machine.forget(callid)
    bridge.writer.submit([record_from_queue_log(logged)], time.perf_counter())
    bridge.schedule(0.5, bridge.finish_call, callid, logged.outcome)  # its recording
    return True


def record_from_queue_log(logged: QueueLogCall) -> dict:
    """A closing call record from queue_log's lines (the agent column may be either)."""
    agent = logged.agent or None
    by_interface = agent is not None and "/" in agent
    answered_at = None
    if logged.outcome in ("answered", "transferred") and logged.talk_s is not None:
        answered_at = logged.ended_at - logged.talk_s
    return {
        "callid": logged.callid, "queue": logged.queue or None,
        "outcome": logged.outcome,
        "wait_s": logged.wait_s, "ring_s": logged.ring_s, "talk_s": logged.talk_s,
        "agent_interface": agent if by_interface else None,
        "agent_member": None if by_interface else agent,
        "answered_at": answered_at, "ended_at": logged.ended_at,
        "hung_up_by": logged.hung_up_by, "transfer_target": logged.transfer_target,
        "closed": True,
    }


def _store_missed_calls(bridge, alive: set[str]) -> int:
    """Calls queue_log ended that entered after the newest stored call and that no
    record holds: they began and ended while the bridge was away."""
    with bridge.engine.connect() as connection:
        newest = connection.execute(select(func.max(Call.entered_queue_at))).scalar()
    if newest is None:
        return 0  # a fresh database: queue_log's history is not this bridge's to import
    bridge.queue_log.refresh()
    machine = bridge.machine
    missed = {call.callid: call for call in list(bridge.queue_log.calls.values())
              if call.entered_at is not None and call.entered_at >= int(newest.timestamp())
              and call.ended_at is not None and call.outcome is not None
              and call.callid not in alive and call.callid not in machine.calls
              and not machine.is_finished(call.callid)}
    if missed:
        with bridge.engine.connect() as connection:
            stored = set(connection.scalars(
                select(Call.callid).where(Call.callid.in_(list(missed)))))
        missed = {callid: call for callid, call in missed.items() if callid not in stored}
    for callid, logged in missed.items():
        record = dict(record_from_queue_log(logged), entered_queue_at=logged.entered_at,
                      caller_number_raw=logged.caller_number or None,
                      caller_number=normalize_caller_number(logged.caller_number))
        bridge.writer.submit([record], time.perf_counter())
        bridge.schedule(0.5, bridge.finish_call, callid, logged.outcome)  # its recording
    return len(missed)


def _adopt_waiting(bridge, entries, in_database: dict, now: float) -> int:
    """Callers waiting in a queue that no record holds yet (the bridge was down)."""
    adopted = 0
    for entry in entries:
        if entry.callid in in_database or entry.callid in bridge.machine.calls \
                or bridge.machine.is_finished(entry.callid):
            continue
        bridge.machine.apply(ev.CallQueued(
            at=now - entry.wait_s, callid=entry.callid, linkedid=entry.callid,
            queue=entry.queue, channel=entry.channel, caller_number=entry.caller_number,
            caller_name=entry.caller_name, dialled_number="", position=entry.position))
        adopted += 1
    return adopted
