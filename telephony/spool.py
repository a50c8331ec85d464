"""A durable local spool for call records the database could not take.

When a commit fails (the database is down), the call writer hands the batch to
`Spool.write()`: the records go into a SQLite file under the state folder,
committed with `synchronous=FULL` (fsync'd) before `write()` returns, so a
bridge killed while the database is away loses nothing. While anything waits
in the spool, new batches are appended behind it (the upserts must reach the
database in the order the state machine produced them: a later record of a
call completes an earlier one), and `drain()` writes the waiting batches,
oldest first, as soon as a commit succeeds again.

A batch is stored as JSON: each CallRecord as its known columns
(`CallRecord.as_json`), the keys older bridges wrote too, so their files drain
alike; the writer reads them back strictly (`call_record.as_call_record`).

Replaying is idempotent: the writer upserts keyed by callid and ring attempt,
so a batch committed just before a crash and replayed after it changes
nothing. A batch holding a row the database refuses for good (a value too
long, a CHECK violation: not an outage) is written call by call by the commit
function, which sets the refused calls aside in `dead_letters` and answers
True; the batch then leaves the spool like any committed one, so one bad record
cannot block the rest, even one spooled by an older bridge.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Iterable, Optional

from telephony.call_record import CallRecord
from telephony.errors import SpoolError

log = logging.getLogger(__name__)

# The commit function the spool drains through: True when the records are
# stored (or can never be), False when the database is still away.
Commit = Callable[[list], bool]
DRAIN_BATCHES = 50
_SCHEMA = ("CREATE TABLE IF NOT EXISTS pending ("
           " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
           " spooled_at TEXT NOT NULL,"
           " records TEXT NOT NULL)")


def _encode(value):
    if isinstance(value, CallRecord):
        return value.as_json()  # read back by call_record.as_call_record
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be spooled")


def _decode(mapping: dict):
    if set(mapping) == {"__datetime__"}:
        return dt.datetime.fromisoformat(mapping["__datetime__"])
    return mapping


def dumps(records: list) -> str:
    return json.dumps(records, default=_encode, ensure_ascii=False, allow_nan=False)


def loads(text: str) -> list:
    return json.loads(text, object_hook=_decode)


class Spool:
    """Batches of call records waiting for the database, in a fsync'd SQLite file."""

    def __init__(self, path: Path, retry_interval_s: float = 1.0):
        self.path = Path(path)
        self.retry_interval_s = retry_interval_s
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: each committed append is on disk before write() returns.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise SpoolError(f"call record spool {self.path} cannot be opened: {error}") from error
        self._pending = self._count()
        if self._pending:
            log.warning("spool %s holds %d batches of call records from an earlier run; "
                        "they are written when the database answers", self.path, self._pending)

    # ---- what the writer calls
    @property
    def pending(self) -> int:
        """Batches waiting (kept in memory: no file read on the writer's hot path)."""
        return self._pending

    def write(self, records: list, commit: Commit) -> bool:
        """Store `records` in the database, or in the spool when it cannot be.

        Returns True when they reached the database, False when they were spooled.
        """
        if self._pending:
            self.append(records)
            self.drain(commit)
            return False
        if commit(records):
            return True
        self.append(records)
        return False

    def drain(self, commit: Commit, max_batches: Optional[int] = None) -> int:
        """Commit waiting batches oldest first until one fails; return how many went."""
        written = 0
        while self._pending and (max_batches is None or written < max_batches):
            batches = self._oldest(DRAIN_BATCHES)
            if not batches:
                self._pending = 0
                break
            last_seq = batches[-1][0]
            if not commit([record for _, records in batches for record in records]):
                break
            self._remove_through(last_seq)
            written += len(batches)
        if written:
            log.info("spool: %d batches of call records written; %d still waiting",
                     written, self._pending)
        return written

    # ---- storage
    def append(self, records: Iterable[dict]) -> None:
        text = dumps(list(records))
        with self._lock:
            try:
                self._db.execute("INSERT INTO pending (spooled_at, records) VALUES (?, ?)",
                                 (dt.datetime.now(dt.timezone.utc).isoformat(), text))
            except sqlite3.Error as error:
                raise SpoolError(f"call records could not be spooled to {self.path}: "
                                 f"{error}") from error
            self._pending += 1
        if self._pending == 1 or self._pending % 100 == 0:
            log.warning("database unavailable: %d batches of call records spooled in %s",
                        self._pending, self.path)

    def batches(self) -> list[tuple[int, list]]:
        """Every waiting batch as (sequence number, records), oldest first."""
        return self._oldest(None)

    def _oldest(self, limit: Optional[int]) -> list[tuple[int, list]]:
        query = "SELECT seq, records FROM pending ORDER BY seq"
        with self._lock:
            rows = self._db.execute(query + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
        batches = []
        for seq, text in rows:
            try:
                batches.append((seq, loads(text)))
            except ValueError:  # a torn or foreign row: keep the file's other batches going
                log.error("spool row %d is not readable and is skipped: %.200r", seq, text)
                batches.append((seq, []))
        return batches

    def _remove_through(self, seq: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM pending WHERE seq <= ?", (seq,))
            self._pending = self._count_locked()

    def _count(self) -> int:
        with self._lock:
            return self._count_locked()

    def _count_locked(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM pending").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def spool_path(settings) -> Path:
    """Where the bridge keeps its spool: under the state folder, outside git."""
    return Path(settings.state_dir) / "spool" / "call-records.sqlite3"
