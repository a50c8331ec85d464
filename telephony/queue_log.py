"""Asterisk's queue_log: a pure parser and a per-call summary (the oracle).

Lines are `time|callid|queue|agent|VERB|data1|data2|...`. A line that is not
of that shape (a partial last line, junk, a header from another tool) is
skipped and counted, never fatal. The agent column holds the member's
interface with `log_membername_as_agent = no` (asterisk_conf/queues.conf) and
the member's name otherwise; comparisons accept either.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
from pathlib import Path
from typing import Iterable, Iterator, Optional

log = logging.getLogger(__name__)

# queue_log verbs that end an unanswered call -> the call's outcome.
EXIT_OUTCOMES = {
    "ABANDON": "abandoned", "EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "exit_empty",
    "EXITWITHKEY": "exit_key",
}
# -> (index of the wait seconds in data, outcome)
_EXIT_WAIT_INDEX = {"ABANDON": 2, "EXITWITHTIMEOUT": 2, "EXITEMPTY": 2, "EXITWITHKEY": 3}
COMPLETE_VERBS = {"COMPLETECALLER": "caller", "COMPLETEAGENT": "agent"}
TRANSFER_VERBS = ("BLINDTRANSFER", "ATTENDEDTRANSFER")
TAIL_BYTES = 4 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class QueueLogEntry:
    time: float
    callid: str
    queue: str
    agent: str
    verb: str
    data: tuple[str, ...]

    def field(self, index: int) -> str:
        return self.data[index] if index < len(self.data) else ""


@dataclasses.dataclass
class QueueLogCall:
    """What queue_log says about one call."""
    callid: str
    queue: str = ""
    entered_at: Optional[float] = None
    caller_number: str = ""
    outcome: Optional[str] = None
    agent: str = ""
    wait_s: Optional[int] = None
    ring_s: Optional[int] = None
    talk_s: Optional[int] = None
    ended_at: Optional[float] = None
    hung_up_by: Optional[str] = None
    transfer_target: Optional[str] = None
    ring_attempts: list = dataclasses.field(default_factory=list)  # (agent, verb, ms)


def parse_line(line: str) -> Optional[QueueLogEntry]:
    """One entry, or None for a line that is not a queue_log line."""
    parts = line.rstrip("\r\n").split("|")
    if len(parts) < 5 or not parts[4] or not parts[1]:
        return None
    try:
        stamp = float(parts[0])
    except ValueError:
        return None
    if not math.isfinite(stamp):
        return None  # "nan", "inf": float() takes them, Asterisk never writes them
    return QueueLogEntry(stamp, parts[1], parts[2], parts[3], parts[4], tuple(parts[5:]))


def parse_queue_log(lines: Iterable[str]) -> Iterator[QueueLogEntry]:
    skipped = 0
    for line in lines:
        entry = parse_line(line)
        if entry is None:
            if line.strip():
                skipped += 1
            continue
        yield entry
    if skipped:
        log.warning("queue_log: skipped %d lines that are not queue_log entries", skipped)


def read_queue_log(path: Path, tail_bytes: Optional[int] = None) -> list[QueueLogEntry]:
    """Entries of the file (only its last `tail_bytes` when given)."""
    with open(path, "rb") as file:
        if tail_bytes is not None:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - tail_bytes))
            if size > tail_bytes:
                file.readline()  # a partial first line
        text = file.read().decode("utf-8", "replace")
    # Asterisk ends lines with \n only; splitlines() would also cut at \x1c-\x1e,
    # \x85 or U+2028 inside a field, and disagree with QueueLogFollower.
    return list(parse_queue_log(text.split("\n")))


def _int(text: str) -> Optional[int]:
    try:
        return int(text)
    except ValueError:
        return None


def _apply(call: QueueLogCall, entry: QueueLogEntry) -> None:
    verb = entry.verb
    call.queue = call.queue or entry.queue
    if verb == "ENTERQUEUE":
        call.entered_at = entry.time
        call.caller_number = entry.field(1)
    elif verb == "CONNECT":
        call.agent, call.outcome = entry.agent, call.outcome or "answered"
        call.wait_s, call.ring_s = _int(entry.field(0)), _int(entry.field(2))
    elif verb in COMPLETE_VERBS:
        call.agent, call.ended_at = entry.agent, entry.time
        call.outcome = "answered" if call.outcome != "transferred" else call.outcome
        call.wait_s = _int(entry.field(0)) if call.wait_s is None else call.wait_s
        call.talk_s, call.hung_up_by = _int(entry.field(1)), COMPLETE_VERBS[verb]
    elif verb in TRANSFER_VERBS:
        call.agent, call.ended_at, call.outcome = entry.agent, entry.time, "transferred"
        call.hung_up_by, call.talk_s = "transfer", _int(entry.field(3))
        call.transfer_target = entry.field(0) if verb == "BLINDTRANSFER" else entry.field(1)
    elif verb in EXIT_OUTCOMES:
        call.outcome, call.ended_at = EXIT_OUTCOMES[verb], entry.time
        call.wait_s = _int(entry.field(_EXIT_WAIT_INDEX[verb]))
    elif verb in ("RINGNOANSWER", "RINGCANCELED"):
        call.ring_attempts.append((entry.agent, verb, _int(entry.field(0))))


def summarize_calls(entries: Iterable[QueueLogEntry]) -> dict[str, QueueLogCall]:
    """Per callid, what queue_log says (entries without a real callid are skipped)."""
    calls: dict[str, QueueLogCall] = {}
    for entry in entries:
        if entry.callid == "NONE":
            continue
        call = calls.get(entry.callid)
        if call is None:
            call = calls[entry.callid] = QueueLogCall(callid=entry.callid)
        _apply(call, entry)
    return calls


def exit_outcome(entries: Iterable[QueueLogEntry], callid: str) -> Optional[str]:
    """How an unanswered call left the queue per queue_log, or None if not logged."""
    outcome = None
    for entry in entries:
        if entry.callid == callid and entry.verb in EXIT_OUTCOMES:
            outcome = EXIT_OUTCOMES[entry.verb]
    return outcome


class QueueLogFollower:
    """Reads queue_log as it grows, remembering recent calls' summaries.

    The bridge asks it how an unanswered call left (timeout vs abandon), which
    no AMI event says, and how calls that ended while it was away ended. A
    missing or unreadable file (Asterisk on another host) answers None.
    """

    def __init__(self, path: Path, max_calls: int = 50_000):
        self.path = Path(path)
        self.max_calls = max_calls
        self.calls: dict[str, QueueLogCall] = {}
        self._offset: Optional[int] = None
        self._partial = b""

    def refresh(self) -> None:
        try:
            with open(self.path, "rb") as file:
                size = file.seek(0, os.SEEK_END)
                if self._offset is None or size < self._offset:  # first read or rotated
                    self._offset = max(0, size - TAIL_BYTES)
                    self._partial = b""
                file.seek(self._offset)
                data = file.read()
        except OSError:
            return
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        text = [line.decode("utf-8", "replace") for line in lines]
        for entry in parse_queue_log(text):
            if entry.callid == "NONE":
                continue
            call = self.calls.get(entry.callid)
            if call is None:
                call = self.calls[entry.callid] = QueueLogCall(callid=entry.callid)
            _apply(call, entry)
        while len(self.calls) > self.max_calls:
            del self.calls[next(iter(self.calls))]

    def call(self, callid: str) -> Optional[QueueLogCall]:
        self.refresh()
        return self.calls.get(callid)


# ---- the oracle: stored calls against queue_log
def callid_seconds(callid: str) -> Optional[float]:
    try:
        seconds = float(callid.split(".", 1)[0])
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


def in_period(callid: str, since: Optional[float], until: Optional[float]) -> bool:
    """Both sides are filtered by the callid's own time, so they cut the same calls."""
    began = callid_seconds(callid)
    if began is None:
        return False
    return (since is None or began >= since) and (until is None or began < until)


def _differs(stored: Optional[int], logged: Optional[int], tolerance: int = 1) -> bool:
    if stored is None and logged is None:
        return False
    if stored is None or logged is None:
        return True
    return abs(stored - logged) > tolerance


def compare_call(stored: dict, logged: QueueLogCall) -> list[str]:
    """Every difference between a stored call (column -> value) and queue_log's."""
    problems = []
    stored_closed = stored.get("outcome") is not None
    logged_closed = logged.ended_at is not None
    if stored_closed != logged_closed:
        problems.append(f"stored {'closed' if stored_closed else 'open'} "
                        f"({stored.get('outcome')}), queue_log "
                        f"{'closed' if logged_closed else 'open'} ({logged.outcome})")
    elif stored_closed and stored["outcome"] != logged.outcome:
        problems.append(f"outcome {stored['outcome']} != queue_log {logged.outcome}")
    if logged.agent and logged.agent not in (stored.get("agent_interface"),
                                             stored.get("agent_member")):
        problems.append(f"agent {stored.get('agent_interface')}/{stored.get('agent_member')}"
                        f" != queue_log {logged.agent}")
    for name, logged_value in (("wait_s", logged.wait_s), ("ring_s", logged.ring_s),
                               ("talk_s", logged.talk_s)):
        if _differs(stored.get(name), logged_value):
            problems.append(f"{name} {stored.get(name)} != queue_log {logged_value}")
    return problems


def compare_calls(stored: dict[str, dict], logged: dict[str, QueueLogCall]) -> list[str]:
    """Lines describing every mismatch, sorted by callid; [] when they agree."""
    lines = []
    for callid in sorted(set(stored) | set(logged), key=lambda c: (callid_seconds(c) or 0, c)):
        if callid not in stored:
            lines.append(f"{callid}: in queue_log ({logged[callid].outcome}) but not stored")
        elif callid not in logged:
            lines.append(f"{callid}: stored ({stored[callid].get('outcome')}) "
                         f"but not in queue_log")
        else:
            lines.extend(f"{callid}: {problem}"
                         for problem in compare_call(stored[callid], logged[callid]))
    return lines
