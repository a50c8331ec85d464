"""The one projection of live queue and agent state, as plain data.

No I/O here. `apply(board, event, settings)` changes a JSON-ready dict from one
normalized event or a QueueStatus snapshot; every reader is a view of it:
`board_view.render(board, now)` is what the wallboard shows, `agent_parts(board, iface)`
what an agent's console shows (its ring, call, wrap-up and availability),
and the screen-pop reads the same ring. `call_queue.live` keeps it in Redis.

Agents are keyed by queue-member interface (e.g. `PJSIP/8001`): one person in
two queues is one agent. An agent that left every queue stays, `present`
False (the console says logged out; the wallboard leaves it out).

Each agent holds `ringing`, `call` and `wrapup` (None or a dict of the call:
callid, queue, interface, agent_channel, caller and the times), its device
status, pause and reason, the wallboard `state` (talking, on_hold, ringing,
paused, unavailable, wrapup, idle) with `state_since`, and `availability`
(logged_out, paused, unavailable, ready) with `availability_since`. `calls_today`
counts the calls it answered in the office's day.
Screen-pop content (the household record) is kept per call in `board["pops"]`,
supplied with the ring: the projection stores it, never looks it up.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional
from zoneinfo import ZoneInfo

from telephony import events as ev

Board = dict[str, Any]

# Device states in which the member cannot take a call even when not paused.
UNREACHABLE = frozenset({"unavailable", "invalid", "unknown"})
COUNTERS = ("offered", "answered", "abandoned", "short_abandoned", "answered_in_sl",
            "abandoned_in_sl", "other_exits")


def empty_board(now: float, zone: str = "UTC") -> Board:
    return {"current": False, "note": "waiting for the bridge", "day": _day(now, zone),
            "queues": {}, "agents": {}, "spies": {}, "pops": {}, "updated_at": now}


def _day(at: float, zone: str) -> str:
    # The board's "today" is the office's day, the same day the SQL statistics use.
    return dt.datetime.fromtimestamp(at, ZoneInfo(zone)).date().isoformat()


def _queue(board: Board, name: str) -> dict:
    queue = board["queues"].get(name)
    if queue is None:
        queue = board["queues"][name] = {"waiting": {}, **{name: 0 for name in COUNTERS}}
    return queue


def _reset_counters_if_new_day(board: Board, at: float, zone: str) -> None:
    today = _day(at, zone)
    if board["day"] == today:
        return
    board["day"] = today
    for queue in board["queues"].values():
        queue.update({counter: 0 for counter in COUNTERS})
    for agent in board["agents"].values():
        agent["calls_today"] = 0


def _agent(board: Board, interface: str, member_name: str, at: float) -> dict:
    agent = board["agents"].get(interface)
    if agent is None:
        agent = board["agents"][interface] = {
            "name": member_name or interface, "queues": [], "present": True,
            "device": "not_in_use", "paused": False, "paused_reason": "", "in_call": False,
            "ringing": None, "call": None, "wrapup": None,
            "state": "idle", "state_since": at,
            "availability": "ready", "availability_since": at, "calls_today": 0,
        }
    elif member_name:
        agent["name"] = member_name
    return agent


def availability(agent: dict) -> str:
    """The one word the console shows: logged_out, paused, unavailable, ready."""
    if not agent["present"]:
        return "logged_out"
    if agent["paused"]:
        return "paused"
    if agent["device"] in UNREACHABLE:
        return "unavailable"
    return "ready"


def wrapup_until(agent: dict) -> float:
    return (agent["wrapup"] or {}).get("wrapup_until", 0.0)


def _derive_state(agent: dict, at: float) -> str:
    if agent["call"]:
        return "on_hold" if agent["device"] == "on_hold" else "talking"
    if agent["ringing"] or agent["device"] == "ringing":
        return "ringing"  # QueueStatus after a reconnect knows the ring by the device alone
    available = agent["availability"]
    if available in ("paused", "unavailable"):
        return available
    if wrapup_until(agent) > at:
        return "wrapup"
    return "idle"


def _restate(agent: dict, at: float) -> None:
    available = availability(agent)
    if available != agent["availability"]:
        agent["availability"], agent["availability_since"] = available, at
    state = _derive_state(agent, at)
    if state != agent["state"]:
        agent["state"], agent["state_since"] = state, at


def _set_pause(agent: dict, paused: bool, reason: str, at: float) -> None:
    reason = reason if paused else ""
    if paused and agent["paused"] and reason != agent["paused_reason"]:
        agent["availability_since"] = at  # a new reason is a new stretch of pause
    agent["paused"], agent["paused_reason"] = paused, reason


def _on_queued(board: Board, event: ev.CallQueued, settings) -> None:
    queue = _queue(board, event.queue)
    queue["offered"] += 1
    queue["waiting"][event.callid] = {
        "caller_number": event.caller_number, "caller_name": event.caller_name,
        "position": event.position, "entered_at": event.at, "channel": event.channel,
    }


def _on_ringing(board: Board, event: ev.AgentRinging, settings) -> None:
    agent = _agent(board, event.interface, event.member_name, event.at)
    agent["ringing"] = {
        "callid": event.callid, "queue": event.queue, "interface": event.interface,
        "agent_channel": event.agent_channel, "caller_number": event.caller_number,
        "caller_name": event.caller_name, "ringing_at": event.at}
    _restate(agent, event.at)


def _on_ring_ended(board: Board, event: ev.RingEnded, settings) -> None:
    agent = board["agents"].get(event.interface)
    if event.outcome == "answered" or not agent:
        return  # CallAnswered carries on from the ring
    if (agent["ringing"] or {}).get("callid") == event.callid:
        agent["ringing"] = None
        _restate(agent, event.at)


def _on_answered(board: Board, event: ev.CallAnswered, settings) -> None:
    queue = _queue(board, event.queue)
    caller = queue["waiting"].pop(event.callid, {})
    queue["answered"] += 1
    if event.hold_s <= settings.service_level_s:
        queue["answered_in_sl"] += 1
    agent = _agent(board, event.interface, event.member_name, event.at)
    ringing = agent["ringing"] or {}
    if ringing.get("callid") != event.callid:
        ringing = {"callid": event.callid, "queue": event.queue, "interface": event.interface,
                   "caller_number": caller.get("caller_number", ""),
                   "caller_name": caller.get("caller_name", "")}
    agent["call"] = dict(ringing, answered_at=event.at, hold_s=event.hold_s,
                         agent_channel=event.agent_channel or ringing.get("agent_channel", ""))
    agent["ringing"], agent["wrapup"], agent["in_call"] = None, None, True
    # A board stored before this counter existed has none: it starts at this call.
    agent["calls_today"] = agent.get("calls_today", 0) + 1
    _restate(agent, event.at)


def _on_abandoned(board: Board, event: ev.CallAbandoned, settings) -> None:
    queue = _queue(board, event.queue)
    queue["waiting"].pop(event.callid, None)
    board["pops"].pop(event.callid, None)
    if event.outcome != "abandoned":
        queue["other_exits"] += 1  # timeout, leave-when-empty, key: not the caller's choice
        return
    if event.hold_s <= settings.short_abandon_s:
        queue["short_abandoned"] += 1
        return
    queue["abandoned"] += 1
    if event.hold_s <= settings.service_level_s:
        queue["abandoned_in_sl"] += 1


def _on_ended(board: Board, event: ev.CallEnded, settings) -> None:
    _queue(board, event.queue)["waiting"].pop(event.callid, None)
    agent = board["agents"].get(event.interface)
    if agent is None:
        return
    call = agent["call"] or {}
    if call.get("callid") != event.callid:
        call = {"callid": event.callid, "queue": event.queue, "interface": event.interface}
    agent["wrapup"] = dict(call, ended_at=event.at, talk_s=event.talk_s,
                           hung_up_by=event.hung_up_by,
                           wrapup_until=event.at + settings.wrapup_s)
    agent["call"], agent["in_call"] = None, False
    _restate(agent, event.at)
    _forget_unused_pops(board)


def _on_hung_up(board: Board, event: ev.ChannelHungUp, settings) -> None:
    # A caller that vanished without a queue event (bridge missed it) leaves the list.
    for queue in board["queues"].values():
        queue["waiting"].pop(event.uniqueid, None)


def _on_paused(board: Board, event: ev.MemberPaused, settings) -> None:
    agent = _agent(board, event.interface, event.member_name, event.at)
    agent["present"] = True
    _set_pause(agent, event.paused, event.reason, event.at)
    _restate(agent, event.at)


def _on_status(board: Board, event: ev.MemberStatusChanged, settings) -> None:
    agent = _agent(board, event.interface, event.member_name, event.at)
    if not event.present:
        agent["queues"] = [name for name in agent["queues"] if name != event.queue]
        agent["present"] = bool(agent["queues"])
    else:
        agent["present"] = True
        if event.queue and event.queue not in agent["queues"]:
            agent["queues"] = sorted(agent["queues"] + [event.queue])
            _queue(board, event.queue)
    agent["device"], agent["in_call"] = event.status, event.in_call
    _set_pause(agent, event.paused, event.paused_reason, event.at)
    if not event.in_call and _no_longer_on(agent["call"], event.status):
        agent["call"] = None  # the call ended while we missed its AgentComplete
    _restate(agent, event.at)


def _no_longer_on(call: Optional[dict], device: str) -> bool:
    # A transferred call is not the queue's (InCall says 0): only an idle phone ends it.
    return not (call and call.get("transferred")) or device == "not_in_use"


def _on_snapshot(board: Board, event: ev.QueueSnapshotTaken, settings) -> None:
    """Asterisk's QueueStatus is the truth: callers and agents are replaced by it."""
    for queue in board["queues"].values():
        queue["waiting"] = {}
    for entry in event.entries:
        _queue(board, entry.queue)["waiting"][entry.callid] = {
            "caller_number": entry.caller_number, "caller_name": entry.caller_name,
            "position": entry.position, "entered_at": event.at - entry.wait_s,
            "channel": entry.channel,
        }
    waiting = {entry.callid for entry in event.entries}
    members: dict[str, list[ev.QueueMemberState]] = {}
    for member in event.members:
        members.setdefault(member.interface, []).append(member)
    for interface in set(board["agents"]) - set(members):
        agent = board["agents"][interface]
        agent.update(queues=[], present=False, ringing=None, call=None, in_call=False)
        _restate(agent, event.at)
    for interface, rows in members.items():
        _snapshot_member(board, rows, waiting, event.at)
    _forget_unused_pops(board)


def _snapshot_member(board: Board, rows: list, waiting: set, at: float) -> None:
    first = rows[0]
    agent = _agent(board, first.interface, first.member_name, at)
    agent["queues"] = sorted({row.queue for row in rows})
    for row in rows:
        _queue(board, row.queue)
    in_call = any(row.in_call for row in rows)
    agent.update(present=True, device=first.status, in_call=in_call)
    _set_pause(agent, first.paused, first.paused_reason, at)
    # A call or ring that ended while the bridge was away raised no event of its own.
    if (agent["ringing"] or {}).get("callid") not in waiting:
        agent["ringing"] = None
    if not in_call and _no_longer_on(agent["call"], first.status):
        agent["call"] = None
    elif in_call and agent["call"] is None:
        agent["call"] = {"callid": "", "queue": first.queue, "interface": first.interface,
                         "caller_number": "", "caller_name": "", "agent_channel": ""}
    _restate(agent, at)


def _on_transfer_leg_answered(board: Board, event: ev.TransferLegAnswered, settings) -> None:
    # The receiving agent talks to the transferred caller (or, in a consult, to
    # the sender first): their desk shows the call, with the sender's pop.
    agent = board["agents"].get(event.interface)
    if agent is None or not event.callid:
        return  # not an agent of the queues (a supervisor's or a department's phone)
    caller = next((part for other in board["agents"].values()
                   for part in (other["call"], other["wrapup"])
                   if part and part.get("callid") == event.callid), {})
    agent["call"] = {"callid": event.callid, "queue": caller.get("queue", ""),
                     "interface": event.interface,
                     "caller_number": caller.get("caller_number", ""),
                     "caller_name": caller.get("caller_name", ""),
                     "answered_at": event.at, "agent_channel": event.channel,
                     "transferred": True}
    agent["ringing"], agent["in_call"] = None, True
    _restate(agent, event.at)


def _on_transfer_leg_ended(board: Board, event: ev.TransferLegEnded, settings) -> None:
    agent = board["agents"].get(event.interface)
    if agent is None or (agent["call"] or {}).get("callid") != event.callid:
        return
    agent["call"], agent["in_call"] = None, False  # no wrap-up: the sender wrote it
    _restate(agent, event.at)
    _forget_unused_pops(board)


def _forget_unused_pops(board: Board) -> None:
    used = {part["callid"] for agent in board["agents"].values()
            for part in (agent["ringing"], agent["call"], agent["wrapup"]) if part}
    used |= {callid for queue in board["queues"].values() for callid in queue["waiting"]}
    for callid in set(board["pops"]) - used:
        del board["pops"][callid]


def _on_spy_started(board: Board, event: ev.SpyStarted, settings) -> None:
    board["spies"][event.spyer_channel] = {"spyee_channel": event.spyee_channel,
                                           "since": event.at}


def _on_spy_stopped(board: Board, event: ev.SpyStopped, settings) -> None:
    board["spies"].pop(event.spyer_channel, None)


def _set_current(current: bool, note: str):
    def handler(board: Board, event: ev.CallEvent, settings) -> None:
        board["current"] = current
        board["note"] = note
    return handler


HANDLERS = {
    ev.CallQueued: _on_queued,
    ev.AgentRinging: _on_ringing,
    ev.RingEnded: _on_ring_ended,
    ev.CallAnswered: _on_answered,
    ev.CallAbandoned: _on_abandoned,
    ev.CallEnded: _on_ended,
    ev.ChannelHungUp: _on_hung_up,
    ev.MemberPaused: _on_paused,
    ev.MemberStatusChanged: _on_status,
    ev.QueueSnapshotTaken: _on_snapshot,
    ev.TransferLegAnswered: _on_transfer_leg_answered,
    ev.TransferLegEnded: _on_transfer_leg_ended,
    ev.SpyStarted: _on_spy_started,
    ev.SpyStopped: _on_spy_stopped,
    ev.BridgeConnected: _set_current(False, "rebuilding from Asterisk"),
    ev.BridgeDisconnected: _set_current(False, "bridge disconnected from Asterisk"),
    ev.BridgeResynced: _set_current(True, ""),
}


def apply(board: Board, event: ev.CallEvent, settings, pop: Optional[dict] = None) -> bool:
    """Apply one event; False when the projection does not follow this kind of event.

    `pop`: the screen-pop content of an AgentRinging's call, kept with the call.
    """
    handler = HANDLERS.get(type(event))
    if handler is None:
        return False
    _reset_counters_if_new_day(board, event.at, settings.office_timezone)
    if pop is not None and isinstance(event, ev.AgentRinging):
        board["pops"][event.callid] = pop
    handler(board, event, settings)
    return True


def agent_parts(board: Board, interface: str) -> dict:
    """One agent as its console shows it: ringing / call / wrapup (with the pop) and state."""
    agent = board["agents"].get(interface)
    if agent is None:
        return {}
    parts = {}
    for name in ("ringing", "call", "wrapup"):
        part = agent[name]
        if part:
            pop = board["pops"].get(part["callid"])
            parts[name] = dict(part, pop=pop) if pop is not None else dict(part)
    parts["state"] = {
        "interface": interface, "queue": agent["queues"][0] if agent["queues"] else "",
        "queues": agent["queues"], "paused": agent["paused"], "reason": agent["paused_reason"],
        "status": agent["device"], "present": agent["present"], "in_call": agent["in_call"],
        "label": agent["availability"], "since": agent["availability_since"],
        "activity": agent["state"], "activity_since": agent["state_since"]}
    return parts
