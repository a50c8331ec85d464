"""The rules of a keep-my-place callback, without a database or Asterisk.

Its place in line: a placeholder enters the queue behind every caller still waiting
who joined before the original call did (a placeholder of an earlier request counts
by its own request's join time, not by when the placeholder itself entered), and
never behind one who joined after; Queue()'s position argument puts it there
(app_queue still keeps higher priorities, the emergency key's, in front). A retry
goes to the head: its turn had come already.

Retries: the first placeholder and two more, `spacing_s` apart; then the request is
listed for an agent.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Iterable, Optional

from line_callback.errors import LineCallbackError

MAX_ATTEMPTS = 3  # the first and two retries
RETRY_SPACING_S = 120
# DIALSTATUS of the resident's phone -> the attempt's outcome.
DIAL_OUTCOMES = {"ANSWER": "reached", "NOANSWER": "no_answer", "BUSY": "busy",
                 "CANCEL": "no_answer", "CONGESTION": "busy", "CHANUNAVAIL": "busy"}
# The placeholder's Uniqueid: <epoch>.<PLACEHOLDER_BASE + attempt id>, Asterisk's own
# form (queue_log's callid, recording names use the epoch part), far above the
# sequence numbers Asterisk hands out itself.
PLACEHOLDER_BASE = 700_000_000


@dataclasses.dataclass(frozen=True)
class Booking:
    """What the dialplan says about a caller who pressed 1."""
    callid: str
    caller_number: str
    queue: str
    joined_at: dt.datetime
    exit_position: Optional[int]


@dataclasses.dataclass(frozen=True)
class Waiting:
    """A caller waiting in the queue now (the live projection's entry)."""
    callid: str
    entered_at: float


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = MAX_ATTEMPTS
    spacing_s: int = RETRY_SPACING_S

    def after(self, attempts: int, outcome: str, now: dt.datetime) -> tuple[str, dt.datetime]:
        """The request's next state and when, after attempt number `attempts` ended."""
        if outcome == "reached":
            return "completed", now
        if attempts >= self.max_attempts:
            return "failed", now
        return "retry", now + dt.timedelta(seconds=self.spacing_s)


def parse_booking(callid: str, caller: str, queue: str, position: str,
                  joined: str) -> Booking:
    """The AGI's arguments checked; LineCallbackError names the one that is not right."""
    if not callid or len(callid) > 64:
        raise LineCallbackError(f"callid {callid!r} is not a call's id")
    number = "" if caller in ("", "unknown") else caller
    if not number or len(number) > 40 or not all(ch.isdigit() or ch == "+" for ch in number):
        raise LineCallbackError(f"caller number {caller!r} cannot be called back")
    if not queue or len(queue) > 64:
        raise LineCallbackError(f"queue {queue!r} is not a queue's name")
    try:
        stamp = float(joined)
    except ValueError:
        raise LineCallbackError(f"join time {joined!r} is not a time") from None
    if not math.isfinite(stamp) or stamp <= 0:
        raise LineCallbackError(f"join time {joined!r} is not a time")
    exit_position = int(position) if position.isdigit() and int(position) > 0 else None
    return Booking(callid, number, queue,
                   dt.datetime.fromtimestamp(stamp, dt.timezone.utc), exit_position)


def place_in_line(joined_at: dt.datetime, waiting: Iterable[Waiting],
                  placeholder_joins: dict[str, float],
                  exit_position: Optional[int] = None) -> int:
    """Queue()'s position for a request whose call joined at `joined_at`: 1 + the callers
    waiting now who joined before it. `placeholder_joins`: callid of a waiting placeholder
    -> its request's join time. Never further back than where the caller left (callers
    who joined since cannot be ahead of it)."""
    joined = joined_at.timestamp()
    ahead = sum(1 for caller in waiting
                if placeholder_joins.get(caller.callid, caller.entered_at) < joined)
    position = ahead + 1
    return min(position, exit_position) if exit_position else position


def placeholder_callid(attempt_id: int, now: dt.datetime) -> str:
    return f"{int(now.timestamp())}.{PLACEHOLDER_BASE + attempt_id}"


def dial_outcome(status: str) -> str:
    return DIAL_OUTCOMES.get(status.strip().upper(), "no_answer")
