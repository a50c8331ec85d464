"""The wallboard's view of the live projection (call_queue.projection): queues with
their waiting callers and measures, agents with their state and time in it."""
from __future__ import annotations

from call_queue.projection import Board, wrapup_until


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
    """One agent as the wallboard shows it."""
    state, since = agent["state"], agent["state_since"]
    if state == "wrapup" and wrapup_until(agent) <= now:
        state, since = "idle", wrapup_until(agent)
    call = agent["call"] or agent["ringing"] or {}
    return {
        "interface": interface, "name": agent["name"], "queues": agent["queues"],
        "state": state, "state_since": since, "time_in_state_s": max(0, int(now - since)),
        "paused_reason": agent["paused_reason"], "callid": call.get("callid", ""),
        "caller_number": call.get("caller_number", ""),
        "caller_name": call.get("caller_name", ""), "channel": call.get("agent_channel", ""),
        "calls_today": agent.get("calls_today", 0),
    }


def render(board: Board, now: float) -> dict:
    """What the wallboard shows at `now` (JSON-ready)."""
    return {
        "current": board["current"], "note": board["note"], "day": board["day"],
        "generated_at": now,
        "queues": [render_queue(name, queue, now)
                   for name, queue in sorted(board["queues"].items())],
        "agents": [render_agent(interface, agent, now)
                   for interface, agent in sorted(board["agents"].items())
                   if agent["present"]],
        "spies": [{"spyer_channel": spyer, **spy}
                  for spyer, spy in sorted(board["spies"].items())],
        # Per Asterisk host (call_queue.host_boards): the board's figures broken down.
        "hosts": board.get("hosts", []),
    }
