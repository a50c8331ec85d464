"""The live boards of several Asterisk hosts, stored apart and shown as one.

Each host's bridge keeps its own projection (call_queue.projection) under its own
Redis key, `board_key(host)`, and names its host in the set HOSTS_KEY: two bridges
writing one key would each overwrite the other's queues and agents. Readers
(the console's snapshot, the wallboard push) merge them with `merge`: queues of
the same name add up their counters and list every host's waiting callers,
agents and spies are put side by side (an agent belongs to one host's queue: its
interface is its own across hosts), and `hosts` breaks the board down by host.
The merged board is current only when every host's is.

The default host keeps the key the single-host layout always used, so a single
Asterisk reads and writes exactly what it did before there were several.

With several hosts, one whose bridge has stopped (its key in
telephony.bridge_presence lapsed) is shown as down, never with its last figures:
its line in `hosts` says `up: False` and carries no figures, and its queues and
agents are left out of the merged board, which stays current if the others are.
"""
from __future__ import annotations

import json
from typing import Iterable, Optional

from call_queue.live_schema import BOARD_KEY
from call_queue.projection import COUNTERS, Board, empty_board, wrapup_until
from models.calls import DEFAULT_HOST
from telephony.bridge_presence import bridge_of_host, running

HOSTS_KEY = "hotline:live:hosts"


def board_key(host: str) -> str:
    return BOARD_KEY if host == DEFAULT_HOST else f"{BOARD_KEY}:{host}"


def known_hosts(redis_client) -> list[str]:
    """Every host whose bridge has pushed a board, sorted; the default one at least."""
    names = {name.decode() if isinstance(name, bytes) else name
             for name in redis_client.smembers(HOSTS_KEY)}
    return sorted(names | {DEFAULT_HOST})


def read_boards(redis_client, hosts: Iterable[str]) -> dict[str, dict]:
    """{host: stored projection} for the hosts that have one (JSON as stored)."""
    hosts = list(hosts)
    stored = {}
    for host, raw in zip(hosts, redis_client.mget([board_key(host) for host in hosts])):
        if raw:
            stored[host] = json.loads(raw)
    return stored


# The wallboard's per-host table: an agent is free, busy (a call, ringing, wrap-up)
# or away (paused, phone unreachable).
_BUSY = frozenset({"talking", "on_hold", "ringing", "wrapup"})
_AWAY = frozenset({"paused", "unavailable"})


def running_hosts(redis_client, hosts: Iterable[str]) -> set[str]:
    """The hosts whose bridge is running (telephony.bridge_presence)."""
    by_bridge = {bridge_of_host(host): host for host in hosts}
    return {by_bridge[bridge] for bridge in running(redis_client, by_bridge)}


def host_summary(host: str, board: Board, now: Optional[float] = None) -> dict:
    """One host's line of the breakdown: is it current, its callers, counters, agents
    (free, busy, away), longest wait and service level at `now` (default: the board's
    last update)."""
    now = board.get("updated_at", 0.0) if now is None else now
    queues = board["queues"].values()
    agents = [agent for agent in board["agents"].values() if agent["present"]]
    states = [_state_at(agent, now) for agent in agents]
    counts = {counter: sum(queue.get(counter, 0) for queue in queues) for counter in COUNTERS}
    offered = counts["offered"] - counts["short_abandoned"]
    entered = [caller["entered_at"] for queue in queues for caller in queue["waiting"].values()]
    return {"host": host, "up": True, "current": board["current"], "note": board["note"],
            "callers_waiting": len(entered),
            "longest_wait_s": max((max(0, int(now - at)) for at in entered), default=0),
            **counts,
            "service_level": round(counts["answered_in_sl"] / offered, 4) if offered else None,
            "agents": len(agents),
            "agents_talking": sum(agent["state"] in ("talking", "on_hold") for agent in agents),
            "agents_free": states.count("idle"),
            "agents_busy": sum(state in _BUSY for state in states),
            "agents_away": sum(state in _AWAY for state in states)}


def down_summary(host: str) -> dict:
    """The line of a host whose bridge has stopped: down, and no figures to believe."""
    return {"host": host, "up": False, "current": False, "note": "bridge not running"}


def _state_at(agent: dict, now: float) -> str:
    # A wrap-up that has run out is idle on the wallboard too (call_queue.board_view).
    if agent["state"] == "wrapup" and wrapup_until(agent) <= now:
        return "idle"
    return agent["state"]


def merge(boards: dict[str, Board], now: float, zone: str = "UTC") -> Board:
    """One board of every host's (see the module docstring), with `hosts` beside."""
    merged = empty_board(now, zone)
    if not boards:
        merged["hosts"] = []
        return merged
    merged["day"] = max(board["day"] for board in boards.values())
    merged["current"] = all(board["current"] for board in boards.values())
    merged["note"] = _note(boards)
    for host, board in sorted(boards.items()):
        for name, queue in board["queues"].items():
            _add_queue(merged, name, queue, host, board["day"] == merged["day"])
        for interface, agent in board["agents"].items():
            merged["agents"][interface] = dict(agent, host=host)
        merged["spies"].update(board.get("spies", {}))
        merged["pops"].update(board.get("pops", {}))
    merged["hosts"] = [host_summary(host, board, now) for host, board in sorted(boards.items())]
    return merged


def _add_queue(merged: Board, name: str, queue: dict, host: str, today: bool) -> None:
    into = merged["queues"].setdefault(name, {"waiting": {}, **{c: 0 for c in COUNTERS}})
    into["waiting"].update({callid: dict(caller, host=host)
                            for callid, caller in queue["waiting"].items()})
    if today:  # a host whose board still holds yesterday adds no counts to today's
        for counter in COUNTERS:
            into[counter] += queue.get(counter, 0)


def _note(boards: dict[str, Board]) -> str:
    notes = [f"{host}: {board['note']}" for host, board in sorted(boards.items())
             if board["note"]]
    return "; ".join(notes)


def merged_or_single(boards: dict[str, Board], now: float, zone: str = "UTC",
                     up: Optional[set[str]] = None) -> Optional[Board]:
    """The board to show: a single host's as it is (with its line in `hosts`), several
    merged; None when no host has one. `up`: the hosts whose bridge is running (None:
    all); with several hosts, the others are down (see the module docstring)."""
    if not boards:
        return None
    down = sorted(host for host in boards if up is not None and host not in up) \
        if len(boards) > 1 else []
    shown = {host: board for host, board in boards.items() if host not in down}
    if not shown:
        board = empty_board(now, zone)
        board["note"] = "no bridge running"
    elif len(shown) == 1:
        [(host, board)] = shown.items()
        board = dict(board, hosts=[host_summary(host, board, now)])
    else:
        board = merge(shown, now, zone)
    board["hosts"] = sorted(board.get("hosts", []) + [down_summary(host) for host in down],
                            key=lambda line: (line["host"] != DEFAULT_HOST, line["host"]))
    return board


class PeerBoards:
    """What one host's bridge shows on the wallboard: its own board, merged with the
    other hosts' as Redis holds them (looked up again every PEERS_TTL_S)."""

    PEERS_TTL_S = 5.0

    def __init__(self, host: str):
        self.host = host
        self._peers: list[str] = []
        self._peers_read_at: Optional[float] = None

    def shown(self, redis_client, own: Board, now: float, zone: str = "UTC") -> Board:
        peers = self._current_peers(redis_client, now)
        # A peer's board as the console reads it (call_queue.live.read_board): fields an
        # older bridge did not write take the empty board's, never a failed push.
        boards = {host: dict(empty_board(now, zone), **board) for host, board
                  in (read_boards(redis_client, peers) if peers else {}).items()}
        boards[self.host] = own
        # This bridge is reporting (it is pushing this board), whatever its key says.
        up = (running_hosts(redis_client, peers) if peers else set()) | {self.host}
        return merged_or_single(boards, now, zone, up)

    def _current_peers(self, redis_client, now: float) -> list[str]:
        if self._peers_read_at is None or now - self._peers_read_at >= self.PEERS_TTL_S:
            self._peers = [host for host in known_hosts(redis_client) if host != self.host]
            self._peers_read_at = now
        return self._peers
