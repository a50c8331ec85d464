"""Blocked calls (issue 16.8): callers a full queue refused (maxlen), from queue_log.

app_queue writes nothing when it refuses a caller for a full queue (QUEUESTATUS
FULL); the dialplan ([hotline-queue]) logs the refusal with QueueLog as verb
BLOCKED, callid = the caller's Uniqueid, data = the caller's number. The seeds'
blocked (busy) rate is blocked / (calls that reached the queue + blocked), norm
1-3 % (domain.md).
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

from telephony.queue_log import QueueLogEntry

BLOCKED_VERB = "BLOCKED"
NORM_PCT = (1.0, 3.0)


@dataclasses.dataclass(frozen=True)
class BlockedFigures:
    queue: str
    entered: int  # ENTERQUEUE: calls that reached the queue
    blocked: int

    @property
    def offered(self) -> int:
        return self.entered + self.blocked

    @property
    def blocked_pct(self) -> Optional[float]:
        return round(100 * self.blocked / self.offered, 1) if self.offered else None


def blocked_figures(entries: Iterable[QueueLogEntry], since: float | None = None,
                    until: float | None = None) -> dict[str, BlockedFigures]:
    """Per queue, for the entries in [since, until)."""
    entered: dict[str, int] = {}
    blocked: dict[str, int] = {}
    for entry in entries:
        if (since is not None and entry.time < since) or (until is not None and entry.time >= until):
            continue
        if entry.verb == "ENTERQUEUE":
            entered[entry.queue] = entered.get(entry.queue, 0) + 1
        elif entry.verb == BLOCKED_VERB:
            blocked[entry.queue] = blocked.get(entry.queue, 0) + 1
    return {queue: BlockedFigures(queue, entered.get(queue, 0), blocked.get(queue, 0))
            for queue in sorted(set(entered) | set(blocked))}


def blocked_summary(entries: Iterable[QueueLogEntry], start, end,
                    queue: Optional[str] = None) -> dict[str, dict]:
    """For `hotline stats verify`: per queue, entered, blocked, offered and the rate,
    over [start, end) (aware datetimes)."""
    figures = blocked_figures(entries, start.timestamp(), end.timestamp())
    return {name: {"entered": f.entered, "blocked": f.blocked, "offered": f.offered,
                   "blocked_pct": f.blocked_pct}
            for name, f in figures.items() if queue is None or name == queue}
