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
"""
from __future__ import annotations

import json
from typing import Iterable, Optional

from call_queue.live_schema import BOARD_KEY
from call_queue.projection import COUNTERS, Board, empty_board
from models.calls import DEFAULT_HOST

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


def host_summary(host: str, board: Board) -> dict:
    """One host's line of the breakdown: is it current, its callers, counters, agents."""
    queues = board["queues"].values()
    agents = [agent for agent in board["agents"].values() if agent["present"]]
    return {"host": host, "current": board["current"], "note": board["note"],
            "callers_waiting": sum(len(queue["waiting"]) for queue in queues),
            **{counter: sum(queue.get(counter, 0) for queue in queues) for counter in COUNTERS},
            "agents": len(agents),
            "agents_talking": sum(agent["state"] in ("talking", "on_hold") for agent in agents)}


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
    merged["hosts"] = [host_summary(host, board) for host, board in sorted(boards.items())]
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
                     ) -> Optional[Board]:
    """The board to show: a single host's as it is (with its line in `hosts`), several
    merged; None when no host has one."""
    if not boards:
        return None
    if len(boards) == 1:
        [(host, board)] = boards.items()
        return dict(board, hosts=[host_summary(host, board)])
    return merge(boards, now, zone)


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
        boards = read_boards(redis_client, peers) if peers else {}
        boards[self.host] = own
        return merged_or_single(boards, now, zone)

    def _current_peers(self, redis_client, now: float) -> list[str]:
        if self._peers_read_at is None or now - self._peers_read_at >= self.PEERS_TTL_S:
            self._peers = [host for host in known_hosts(redis_client) if host != self.host]
            self._peers_read_at = now
        return self._peers
