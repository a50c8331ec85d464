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


@dataclasses.dataclass(frozen=True)
class EstimateQuality:
    callers: int  # answered callers who were given an estimate (it was above 0)
    mean_error_s: Optional[float]  # mean of |waited - estimated|
    mean_bias_s: Optional[float]  # mean of (waited - estimated): > 0 they waited longer
    within_pct: Optional[float]  # % within CLOSE_ENOUGH_S of the estimate


def replay_holdtime(holdtime: int, wait_s: int) -> int:
    """app_queue's recalc_holdtime on one answered call."""
    return ((holdtime << 2) - holdtime + wait_s) >> 2


def wait_promises(entries: Iterable[QueueLogEntry], queue: Optional[str] = None,
                  initial: Optional[dict[str, int]] = None) -> list[WaitPromise]:
    """Each answered caller's estimate on entry and actual wait, in log order
    (`initial`: each queue's estimate before the first entry, 0 unless given)."""
    holdtime: dict[str, int] = dict(initial or {})
    estimate_at_entry: dict[str, tuple[str, int]] = {}
    promises: list[WaitPromise] = []
    for entry in entries:
        if entry.verb == "QUEUESTART":
            holdtime.clear()
            continue
        if queue is not None and entry.queue != queue:
            continue
        if entry.verb == "ENTERQUEUE":
            estimate_at_entry[entry.callid] = (entry.queue, holdtime.get(entry.queue, 0))
        elif entry.verb == "CONNECT":
            wait = _int(entry.field(0))
            if wait is None:
                continue
            holdtime[entry.queue] = replay_holdtime(holdtime.get(entry.queue, 0), wait)
            queued = estimate_at_entry.pop(entry.callid, None)
            if queued is not None:
                promises.append(WaitPromise(entry.callid, queued[0], queued[1], wait, True))
    return promises


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
