"""queue_log's blocked calls and announced waits into the database (issue 16).

The statistics page reads the database only (the console need not run where
Asterisk writes queue_log); these two figures are in queue_log alone, so a
follower copies them: every BLOCKED line into blocked_calls, and every answered
caller's estimate on entry beside their wait into wait_estimates.

The estimate is app_queue's running holdtime, replayed from the file's first line
(call_queue.wait_estimate.HoldtimeReplay): the follower reads the whole file once
at start, then only what was appended, keeping the replay between reads. A file
that shrank was rotated: it is read from its start, the replay carries on (Asterisk's
holdtime does not reset when its log is rotated). Rows are keyed by (host, callid)
and inserted with ON CONFLICT DO NOTHING, so a restarted follower re-reading the
file stores nothing twice.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from call_queue.blocked import BLOCKED_VERB
from call_queue.errors import QueueLogError
from call_queue.wait_estimate import HoldtimeReplay, WaitPromise
from models.line_figures import BlockedCall, WaitEstimate
from telephony.queue_log import QueueLogEntry, parse_queue_log

log = logging.getLogger(__name__)

CHUNK_BYTES = 4 * 1024 * 1024
BATCH_ROWS = 1000


@dataclasses.dataclass(frozen=True)
class LineRows:
    blocked: tuple[dict, ...]
    estimates: tuple[dict, ...]


@dataclasses.dataclass(frozen=True)
class ImportResult:
    lines: int  # queue_log entries read this time
    blocked: int  # rows offered to blocked_calls (already stored ones are kept)
    estimates: int


def _utc(stamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc)


def rows_from(entries: Iterable[QueueLogEntry], replay: HoldtimeReplay, host: str) -> LineRows:
    blocked, estimates = [], []
    for entry in entries:
        if entry.verb == BLOCKED_VERB and entry.callid != "NONE":
            blocked.append({"host": host, "callid": entry.callid, "queue": entry.queue,
                            "caller_number": entry.field(0)[:64] or None,
                            "blocked_at": _utc(entry.time)})
            continue
        promise: Optional[WaitPromise] = replay.feed(entry)
        if promise is not None and promise.entered_at is not None:
            estimates.append({"host": host, "callid": promise.callid, "queue": promise.queue,
                              "entered_at": _utc(promise.entered_at),
                              "estimated_s": promise.estimated_s, "waited_s": promise.waited_s})
    return LineRows(tuple(blocked), tuple(estimates))


def _insert(session: Session, model, rows: tuple[dict, ...]) -> None:
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:
        raise QueueLogError(f"the line's figures support SQLite and PostgreSQL, not {dialect}")
    for first in range(0, len(rows), BATCH_ROWS):
        statement = insert(model).values(list(rows[first:first + BATCH_ROWS]))
        session.execute(statement.on_conflict_do_nothing(index_elements=["host", "callid"]))


def store(session: Session, rows: LineRows) -> None:
    _insert(session, BlockedCall, rows.blocked)
    _insert(session, WaitEstimate, rows.estimates)


class LineFollower:
    """Follows one Asterisk host's queue_log and stores its line figures."""

    def __init__(self, path: Path, host: str):
        self.path, self.host = Path(path), host
        self.replay = HoldtimeReplay()
        self._offset = 0
        self._partial = b""

    def _read_new(self) -> list[QueueLogEntry]:
        try:
            with open(self.path, "rb") as file:
                size = file.seek(0, os.SEEK_END)
                if size < self._offset:  # rotated (or truncated): the new file from its start
                    log.info("%s shrank from %d to %d bytes: read from its start",
                             self.path, self._offset, size)
                    self._offset, self._partial = 0, b""
                file.seek(self._offset)
                entries = []
                while chunk := file.read(CHUNK_BYTES):
                    self._offset += len(chunk)
                    lines = (self._partial + chunk).split(b"\n")
                    self._partial = lines.pop()  # a line Asterisk is still writing
                    entries.extend(parse_queue_log(
                        line.decode("utf-8", "replace") for line in lines))
                return entries
        except OSError as error:
            raise QueueLogError(f"cannot read queue_log {self.path}: {error}") from error

    def import_new(self, sessions: Callable[[], Session]) -> ImportResult:
        entries = self._read_new()
        rows = rows_from(entries, self.replay, self.host)
        if rows.blocked or rows.estimates:
            with sessions() as session, session.begin():
                store(session, rows)
        return ImportResult(len(entries), len(rows.blocked), len(rows.estimates))


def follow(follower: LineFollower, sessions: Callable[[], Session], every_s: float,
           rounds: Optional[int] = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """import_new every `every_s` seconds (`rounds` times, or until stopped); a file
    that cannot be read now (Asterisk rotating it, a mount away) is tried again."""
    done = 0
    while rounds is None or done < rounds:
        try:
            result = follower.import_new(sessions)
            if result.blocked or result.estimates:
                log.info("queue_log: %d blocked, %d estimates", result.blocked, result.estimates)
        except QueueLogError as error:
            log.warning("%s; trying again in %s s", error, every_s)
        done += 1
        if rounds is None or done < rounds:
            sleep(every_s)
