"""The live board as plain data, and how each call event changes it.

No I/O here: `apply(board, event, settings)` mutates a JSON-ready dict, and
`render(board, now)` turns it into what the wallboard shows (wait times and time
in state are computed at reading time, so the stored board only changes when
Asterisk reports something). `call_queue.live` keeps the board in Redis and
pushes it.

Agents are keyed by queue-member interface (e.g. `PJSIP/8001`): one person in
two queues is one agent on the board.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from telephony import events as ev

Board = dict[str, Any]

# Device states in which the member cannot take a call even when not paused.
_UNREACHABLE = {"unavailable", "invalid", "unknown"}


def empty_board(now: float, zone: str = "UTC") -> Board:
    return {"current": False, "note": "waiting for the bridge", "day": _day(now, zone),
            "queues": {}, "agents": {}, "spies": {}, "updated_at": now}


def _day(at: float, zone: str) -> str:
    # The board's "today" is the office's day, the same day the SQL statistics use.
    return dt.datetime.fromtimestamp(at, ZoneInfo(zone)).date().isoformat()


def _queue(board: Board, name: str) -> dict:
    queue = board["queues"].get(name)
    if queue is None:
        queue = board["queues"][name] = {
            "waiting": {}, "offered": 0, "answered": 0, "abandoned": 0,
            "short_abandoned": 0, "answered_in_sl": 0, "abandoned_in_sl": 0,
            "other_exits": 0,
        }
    return queue


def _reset_counters_if_new_day(board: Board, at: float, zone: str) -> None:
    today = _day(at, zone)
    if board["day"] == today:
        return
    board["day"] = today
    for queue in board["queues"].values():
        for counter in ("offered", "answered", "abandoned", "short_abandoned",
                        "answered_in_sl", "abandoned_in_sl", "other_exits"):
            queue[counter] = 0


def _agent(board: Board, interface: str, member_name: str, at: float) -> dict:
    agent = board["agents"].get(interface)
    if agent is None:
        agent = board["agents"][interface] = {
            "name": member_name or interface, "queues": [], "device": "not_in_use",
            "paused": False, "paused_reason": "", "call": None, "wrapup_until": 0.0,
            "state": "idle", "state_since": at,
        }
    elif member_name:
        agent["name"] = member_name
    return agent


def _derive_state(agent: dict, at: float) -> str:
    call = agent["call"]
    if call and call["phase"] == "talking":
        return "on_hold" if agent["device"] == "on_hold" else "talking"
    if call and call["phase"] == "ringing":
        return "ringing"
    if agent["paused"]:
        return "paused"
    if agent["device"] in _UNREACHABLE:
        return "unavailable"
    if agent["wrapup_until"] > at:
        return "wrapup"
    return "idle"


def _restate(agent: dict, at: float) -> None:
    state = _derive_state(agent, at)
    if state != agent["state"]:
        agent["state"] = state
        agent["state_since"] = at


def _caller(board: Board, queue: str, callid: str) -> dict:
    return board["queues"].get(queue, {}).get("waiting", {}).get(callid, {})


def _on_queued(board: Board, event: ev.CallQueued, settings) -> None:
    queue = _queue(board, event.queue)
    queue["offered"] += 1
    queue["waiting"][event.callid] = {
        "caller_number": event.caller_number, "caller_name": event.caller_name,
        "position": event.position, "entered_at": event.at, "channel": event.channel,
    }


def _on_ringing(board: Board, event: ev.AgentRinging, settings) -> None:
    agent = _agent(board, event.interface, event.member_name, event.at)
    agent["call"] = {"phase": "ringing", "callid": event.callid, "queue": event.queue,
                     "caller_number": event.caller_number,
                     "caller_name": event.caller_name, "channel": event.agent_channel}
    _restate(agent, event.at)


def _on_ring_ended(board: Board, event: ev.RingEnded, settings) -> None:
    agent = board["agents"].get(event.interface)
    if not agent or not agent["call"] or agent["call"]["callid"] != event.callid:
        return
    if agent["call"]["phase"] == "ringing" and event.outcome != "answered":
        agent["call"] = None
        _restate(agent, event.at)


def _on_answered(board: Board, event: ev.CallAnswered, settings) -> None:
    queue = _queue(board, event.queue)
    caller = queue["waiting"].pop(event.callid, {})
    queue["answered"] += 1
    if event.hold_s <= settings.service_level_s:
        queue["answered_in_sl"] += 1
    agent = _agent(board, event.interface, event.member_name, event.at)
    previous = agent["call"] or {}
    agent["call"] = {
        "phase": "talking", "callid": event.callid, "queue": event.queue,
        "caller_number": caller.get("caller_number", previous.get("caller_number", "")),
        "caller_name": caller.get("caller_name", previous.get("caller_name", "")),
        "channel": event.agent_channel or previous.get("channel", ""),
    }
    _restate(agent, event.at)


def _on_abandoned(board: Board, event: ev.CallAbandoned, settings) -> None:
    queue = _queue(board, event.queue)
    queue["waiting"].pop(event.callid, None)
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
    if agent and agent["call"] and agent["call"]["callid"] == event.callid:
        agent["call"] = None
        agent["wrapup_until"] = event.at + settings.wrapup_s
        _restate(agent, event.at)


def _on_hung_up(board: Board, event: ev.ChannelHungUp, settings) -> None:
    # A caller that vanished without a queue event (bridge missed it) leaves the list.
    for queue in board["queues"].values():
        queue["waiting"].pop(event.uniqueid, None)


def _on_paused(board: Board, event: ev.MemberPaused, settings) -> None:
    agent = _agent(board, event.interface, event.member_name, event.at)
    agent["paused"] = event.paused
    agent["paused_reason"] = event.reason if event.paused else ""
    _restate(agent, event.at)


def _on_status(board: Board, event: ev.MemberStatusChanged, settings) -> None:
    if not event.present:
        _leave_queue(board, event.interface, event.queue, event.at)
        return
    agent = _agent(board, event.interface, event.member_name, event.at)
    if event.queue and event.queue not in agent["queues"]:
        agent["queues"] = sorted(agent["queues"] + [event.queue])
        _queue(board, event.queue)
    agent["device"] = event.status
    agent["paused"] = event.paused
    agent["paused_reason"] = event.paused_reason if event.paused else ""
    if not event.in_call and agent["call"] and agent["call"]["phase"] == "talking":
        agent["call"] = None  # the call ended while we missed its AgentComplete
    _restate(agent, event.at)


def _leave_queue(board: Board, interface: str, queue: str, at: float) -> None:
    agent = board["agents"].get(interface)
    if agent is None:
        return
    agent["queues"] = [name for name in agent["queues"] if name != queue]
    if not agent["queues"]:
        del board["agents"][interface]


def _on_snapshot(board: Board, event: ev.QueueSnapshotTaken, settings) -> None:
    """Asterisk's QueueStatus is the truth: replace callers and agents with it."""
    old_agents = board["agents"]
    for queue in board["queues"].values():
        queue["waiting"] = {}
    board["agents"] = {}
    for entry in event.entries:
        _queue(board, entry.queue)["waiting"][entry.callid] = {
            "caller_number": entry.caller_number, "caller_name": entry.caller_name,
            "position": entry.position, "entered_at": event.at - entry.wait_s,
            "channel": entry.channel,
        }
    for member in event.members:
        _snapshot_member(board, member, old_agents.get(member.interface), event.at)


def _snapshot_member(board: Board, member: ev.QueueMemberState, old: dict | None,
                     at: float) -> None:
    agent = _agent(board, member.interface, member.member_name, at)
    _queue(board, member.queue)
    agent["queues"] = sorted(set(agent["queues"]) | {member.queue})
    agent["device"] = member.status
    agent["paused"] = member.paused
    agent["paused_reason"] = member.paused_reason if member.paused else ""
    if old is not None:
        # Keep what QueueStatus cannot tell (the current caller, time in state).
        agent["state"], agent["state_since"] = old["state"], old["state_since"]
        if member.in_call and old["call"]:
            agent["call"] = old["call"]
    if member.in_call and agent["call"] is None:
        agent["call"] = {"phase": "talking", "callid": "", "queue": member.queue,
                         "caller_number": "", "caller_name": "", "channel": ""}
    _restate(agent, at)


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
    ev.SpyStarted: _on_spy_started,
    ev.SpyStopped: _on_spy_stopped,
    ev.BridgeConnected: _set_current(False, "rebuilding from Asterisk"),
    ev.BridgeDisconnected: _set_current(False, "bridge disconnected from Asterisk"),
    ev.BridgeResynced: _set_current(True, ""),
}


def apply(board: Board, event: ev.CallEvent, settings) -> bool:
    """Apply one event; False when the board does not follow this kind of event."""
    handler = HANDLERS.get(type(event))
    if handler is None:
        return False
    _reset_counters_if_new_day(board, event.at, getattr(settings, "office_timezone", "UTC"))
    handler(board, event, settings)
    return True


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def render_queue(name: str, queue: dict, now: float) -> dict:
    waiting = sorted(
        ({"callid": callid, "wait_s": max(0, int(now - caller["entered_at"])), **caller}
         for callid, caller in queue["waiting"].items()),
        key=lambda caller: (caller["position"], caller["entered_at"]))
    offered = queue["offered"] - queue["short_abandoned"]
    return {
        "name": name, "waiting": waiting, "callers_waiting": len(waiting),
        "longest_wait_s": max((caller["wait_s"] for caller in waiting), default=0),
        "offered": offered, "answered": queue["answered"], "abandoned": queue["abandoned"],
        "short_abandoned": queue["short_abandoned"],
        "service_level": _ratio(queue["answered_in_sl"], offered),
    }


def render_agent(interface: str, agent: dict, now: float) -> dict:
    state, since = agent["state"], agent["state_since"]
    if state == "wrapup" and agent["wrapup_until"] <= now:
        state, since = "idle", agent["wrapup_until"]
    call = agent["call"] or {}
    return {
        "interface": interface, "name": agent["name"], "queues": agent["queues"],
        "state": state, "state_since": since, "time_in_state_s": max(0, int(now - since)),
        "paused_reason": agent["paused_reason"], "callid": call.get("callid", ""),
        "caller_number": call.get("caller_number", ""),
        "caller_name": call.get("caller_name", ""), "channel": call.get("channel", ""),
    }


def render(board: Board, now: float) -> dict:
    """What the wallboard shows at `now` (JSON-ready)."""
    return {
        "current": board["current"], "note": board["note"], "day": board["day"],
        "generated_at": now,
        "queues": [render_queue(name, queue, now)
                   for name, queue in sorted(board["queues"].items())],
        "agents": [render_agent(interface, agent, now)
                   for interface, agent in sorted(board["agents"].items())],
        "spies": [{"spyer_channel": spyer, **spy}
                  for spyer, spy in sorted(board["spies"].items())],
    }
