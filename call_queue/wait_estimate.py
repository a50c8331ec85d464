"""How good the announced wait is (issue 16.1): the estimate app_queue spoke to each
caller on entry, beside what that caller then actually waited, from queue_log.

app_queue's estimate is the queue's `holdtime`, a running average it updates on
every answered call with the wait of that call (app_queue.c recalc_holdtime:
holdtime = (3 * holdtime + wait) >> 2, integer arithmetic) and reports as
QueueParams' Holdtime. queue_log's CONNECT lines carry each of those waits, so the
estimate at any moment is replayed here exactly (from the start of the log, as
Asterisk's own figure starts at 0 when it starts; QUEUESTART lines reset it).
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

from telephony.queue_log import QueueLogEntry

# A caller told "about N" who waits within this many seconds of it heard the truth.
CLOSE_ENOUGH_S = 30


@dataclasses.dataclass(frozen=True)
class WaitPromise:
    callid: str
    queue: str
    estimated_s: int  # what the queue's estimate was when the caller entered
    waited_s: int  # until answered
    answered: bool
    entered_at: Optional[float] = None  # queue_log time of the caller's ENTERQUEUE


@dataclasses.dataclass(frozen=True)
class EstimateQuality:
    callers: int  # answered callers who were given an estimate (it was above 0)
    mean_error_s: Optional[float]  # mean of |waited - estimated|
    mean_bias_s: Optional[float]  # mean of (waited - estimated): > 0 they waited longer
    within_pct: Optional[float]  # % within CLOSE_ENOUGH_S of the estimate


def replay_holdtime(holdtime: int, wait_s: int) -> int:
    """app_queue's recalc_holdtime on one answered call."""
    return ((holdtime << 2) - holdtime + wait_s) >> 2


class HoldtimeReplay:
    """app_queue's estimate replayed line by line: `feed` each queue_log entry in log
    order; an answered caller's CONNECT gives their WaitPromise. A follower keeps one
    across reads of a growing file (call_queue.line_import)."""

    def __init__(self, initial: Optional[dict[str, int]] = None,
                 queue: Optional[str] = None):
        self.holdtime: dict[str, int] = dict(initial or {})
        self.queue = queue
        self._at_entry: dict[str, tuple[str, int, float]] = {}

    def feed(self, entry: QueueLogEntry) -> Optional[WaitPromise]:
        if entry.verb == "QUEUESTART":  # Asterisk restarted: its estimates start at 0
            self.holdtime.clear()
            self._at_entry.clear()
            return None
        if self.queue is not None and entry.queue != self.queue:
            return None
        if entry.verb == "ENTERQUEUE":
            self._at_entry[entry.callid] = (entry.queue, self.holdtime.get(entry.queue, 0),
                                            entry.time)
        elif entry.verb == "CONNECT":
            wait = _int(entry.field(0))
            if wait is None:
                return None
            self.holdtime[entry.queue] = replay_holdtime(self.holdtime.get(entry.queue, 0), wait)
            queued = self._at_entry.pop(entry.callid, None)
            if queued is not None:
                return WaitPromise(entry.callid, queued[0], queued[1], wait, True, queued[2])
        elif entry.verb in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"):
            self._at_entry.pop(entry.callid, None)  # never answered: no promise to judge
        return None


def wait_promises(entries: Iterable[QueueLogEntry], queue: Optional[str] = None,
                  initial: Optional[dict[str, int]] = None) -> list[WaitPromise]:
    """Each answered caller's estimate on entry and actual wait, in log order
    (`initial`: each queue's estimate before the first entry, 0 unless given)."""
    replay = HoldtimeReplay(initial, queue)
    promises = (replay.feed(entry) for entry in entries)
    return [promise for promise in promises if promise is not None]


def estimate_quality(promises: Iterable[WaitPromise]) -> EstimateQuality:
    told = [p for p in promises if p.answered and p.estimated_s > 0]
    if not told:
        return EstimateQuality(0, None, None, None)
    errors = [p.waited_s - p.estimated_s for p in told]
    within = sum(1 for e in errors if abs(e) <= CLOSE_ENOUGH_S)
    return EstimateQuality(len(told), round(sum(abs(e) for e in errors) / len(told), 1),
                           round(sum(errors) / len(told), 1), round(100 * within / len(told), 1))


def _int(text: str) -> Optional[int]:
    try:
        return int(text)
    except ValueError:
        return None


def estimate_summary(entries: list[QueueLogEntry], start, end,
                     queue: Optional[str] = None) -> dict:
    """For `hotline stats verify`: the quality of the estimates given to the callers who
    entered in [start, end) (aware datetimes); the replay runs over the whole log."""
    since, until = start.timestamp(), end.timestamp()
    entered = {e.callid: e.time for e in entries if e.verb == "ENTERQUEUE"}
    promises = [p for p in wait_promises(entries, queue)
                if since <= entered.get(p.callid, -1) < until]
    return dataclasses.asdict(estimate_quality(promises))
