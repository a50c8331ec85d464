"""The bridge's first sink: call records into the database, idempotently.

Records (telephony.call_record.CallRecord: from `CallStateMachine.take_changed()`,
the finishing passes, the resync) are upserted keyed by callid and ring
attempts keyed by (callid, attempt_key), on SQLite and PostgreSQL alike
(INSERT ... ON CONFLICT DO UPDATE). A column the record does not know (None)
keeps what the row holds, so a bridge that restarted and sees only the end of
a call completes the row instead of blanking it. A record read back from the
spool or a dead letter (JSON) is read strictly (`as_call_record`): a key that
is no field is a TypeError, and such a record is set aside, not half written.

A writer thread commits in batches: it takes whatever has queued up while the
previous commit ran (group commit), so a quiet system commits each event at
once and a busy one amortises the commit. The delay from an event's arrival to
its commit is kept for the benchmark. A failed commit is retried with back-off;
nothing is dropped while the bridge runs. With a spool (telephony.spool), a
batch the database cannot take is fsync'd to a local file instead, and written
from there, in order, once the database answers again: the writer never
blocks, and a bridge killed during the outage loses nothing.

Everything in a record that came from outside (caller ID number and name, the
dialled number, channel and member names) is bounded here to the length of its
column, read from the model, so a hostile or broken caller ID cannot make the
database refuse the row: a cut value ends in MARKER, and a cut caller number is
kept whole in `caller_number_full`. Key columns are never cut (two calls would
merge). A batch the database still refuses for good (`dead_letters.is_outage`
is False) is written call by call, and the calls it refuses are set aside in
`dead_letters` with the error; only an outage sends a batch to the spool.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from typing import Any, Iterable, Mapping, Optional, Union

from sqlalchemy import Engine, String, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite

from models.calls import DEFAULT_HOST, Call, RingAttempt
from telephony.call_record import (
    ATTEMPT_FIELDS, COLUMN_FIELDS, CallRecord, as_call_record, read_attempt_columns, read_columns,
)
from telephony.dead_letters import CALL_RECORD, is_outage, set_aside
from telephony.errors import SpoolError

log = logging.getLogger(__name__)

CALLS = Call.__table__
ATTEMPTS = RingAttempt.__table__
_TIME_COLUMNS = ("entered_queue_at", "answered_at", "ended_at", "started_at",
                 "transfer_answered_at", "transfer_ended_at")
_CALL_COLUMNS = tuple(c.name for c in CALLS.columns if c.name not in ("id",))
_ATTEMPT_COLUMNS = tuple(c.name for c in ATTEMPTS.columns if c.name != "id")
MAX_BATCH = 2000
# A record as submitted, or as read back from the spool or a dead letter (JSON).
RecordLike = Union[CallRecord, Mapping[str, Any]]
_STOP = object()
# Ends a value cut to its column, so a reader sees it is not the whole value.
MARKER = "\u2026"
# caller_number_full is TEXT; still, AMI lines are not ours to size the database by.
FULL_NUMBER_CHARS = 1024


def text_limits(table, keys: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(column, length) of every bounded text column but the keys, from the model."""
    return tuple((column.name, column.type.length) for column in table.columns
                 if isinstance(column.type, String) and column.type.length
                 and column.name not in keys)


_CALL_LIMITS = text_limits(CALLS, ("callid", "host"))
_ATTEMPT_LIMITS = text_limits(ATTEMPTS, ("callid", "attempt_key"))


def cut_to(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit - 1] + MARKER


def bound_row(row: dict, limits: tuple[tuple[str, int], ...]) -> list[str]:
    """Cut over-long texts of `row` in place to their columns; return the columns cut."""
    cut = []
    for name, limit in limits:
        value = row.get(name)
        if isinstance(value, str) and len(value) > limit:
            row[name] = value[:limit - 1] + MARKER
            cut.append(name)
    return cut


def _utc(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromtimestamp(value, dt.timezone.utc)


def call_row(record: dict, now: dt.datetime, host: str = DEFAULT_HOST) -> dict:
    row = {name: record.get(name) for name in _CALL_COLUMNS}
    row["host"] = host
    for name in _TIME_COLUMNS:
        if name in row:
            row[name] = _utc(row[name])
    row["updated_at"] = now
    raw_number = row["caller_number_raw"]
    cut = bound_row(row, _CALL_LIMITS)
    if cut:
        if "caller_number_raw" in cut:
            row["caller_number_full"] = cut_to(raw_number, FULL_NUMBER_CHARS)
        _note_cut(row["callid"], cut)
    return row


def attempt_row(attempt: dict) -> dict:
    row = {name: attempt.get(name) for name in _ATTEMPT_COLUMNS}
    for name in ("started_at", "ended_at"):
        row[name] = _utc(row[name])
    cut = bound_row(row, _ATTEMPT_LIMITS)
    if cut:
        _note_cut(row["callid"], cut)
    return row


_CUT_NOTED: set = set()


def _note_cut(callid: Optional[str], columns: list[str]) -> None:
    # Once per call: the row is rewritten at every event of the call.
    if callid in _CUT_NOTED:
        return
    if len(_CUT_NOTED) > 10_000:
        _CUT_NOTED.clear()
    _CUT_NOTED.add(callid)
    log.warning("call %s: %s longer than the column, stored cut (ending in %s)",
                callid, ", ".join(columns), MARKER)


def _insert_for(engine: Engine):
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


_UPSERTS: dict = {}


def _upsert(engine: Engine, table, key: tuple[str, ...], columns: Iterable[str]):
    # Building the statement costs more than running it: build it once per dialect.
    cache_key = (engine.dialect.name, table.name)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        statement = _UPSERTS[cache_key] = _build_upsert(engine, table, key, tuple(columns))
    return statement


def _build_upsert(engine: Engine, table, key: tuple[str, ...], columns: tuple[str, ...]):
    insert = _insert_for(engine)(table)
    excluded = insert.excluded
    keep_known = {name: func.coalesce(excluded[name], table.c[name])
                  for name in columns if name not in key}
    if "updated_at" in keep_known:
        keep_known["updated_at"] = excluded["updated_at"]
    # A call's host is the one whose bridge stored it first: a replay elsewhere
    # (dead letters, queue_log) completes the row without moving it.
    keep_known.pop("host", None)
    return insert.on_conflict_do_update(index_elements=list(key), set_=keep_known)


def merge_records(records: Iterable[RecordLike]) -> tuple[dict[str, dict], dict[tuple, dict]]:
    """Every column per callid and per ring attempt: later known values over earlier ones.

    A column no record of the batch knows is None, which the upsert turns into
    "keep what the row holds".
    """
    calls: dict[str, dict] = {}
    attempts: dict[tuple, dict] = {}
    for record in records:
        record = as_call_record(record)
        merged = calls.get(record.callid)
        if merged is None:  # the common case: one record of the call in the batch
            merged = calls[record.callid] = dict(zip(COLUMN_FIELDS, read_columns(record)))
            merged["closed"] = record.closed
        else:
            _update_known(merged, COLUMN_FIELDS, read_columns(record))
            if record.closed is not None:
                merged["closed"] = record.closed
        for attempt in record.attempts:
            key = (attempt.callid, attempt.attempt_key)
            slot = attempts.get(key)
            if slot is None:
                attempts[key] = dict(zip(ATTEMPT_FIELDS, read_attempt_columns(attempt)))
            else:
                _update_known(slot, ATTEMPT_FIELDS, read_attempt_columns(attempt))
    return calls, attempts


def _update_known(merged: dict, names: tuple[str, ...], values: tuple) -> None:
    for name, value in zip(names, values):
        if value is not None:
            merged[name] = value


def write_records(connection, engine: Engine, records: Iterable[RecordLike],
                  host: str = DEFAULT_HOST) -> int:
    """Upsert records in the connection's transaction; return the number of calls.

    Every call is stamped with `host`, the Asterisk host the writing bridge follows.
    """
    calls, attempts = merge_records(records)
    if not calls:
        return 0
    now = dt.datetime.now(dt.timezone.utc)
    call_rows = [call_row(record, now, host) for record in calls.values()]
    connection.execute(_upsert(engine, CALLS, ("callid",), _CALL_COLUMNS), call_rows)
    if attempts:
        connection.execute(
            _upsert(engine, ATTEMPTS, ("callid", "attempt_key"), _ATTEMPT_COLUMNS),
            [attempt_row(attempt) for attempt in attempts.values()])
    closed = [callid for callid, record in calls.items() if record.get("closed")]
    if closed:
        _cancel_open_attempts(connection, closed)
    return len(call_rows)


_CANCEL_OPEN_ATTEMPTS = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.callid.in_(bindparam("callids", expanding=True)),
           ATTEMPTS.c.outcome.is_(None))
    .values(outcome="cancelled"))


def _cancel_open_attempts(connection, callids: list[str]) -> None:
    # Rings stored before a bridge restart that no later event ended.
    connection.execute(_CANCEL_OPEN_ATTEMPTS, {"callids": callids})


class CallWriter:
    """Writes call records on its own thread; `submit()` never blocks on the database."""

    def __init__(self, engine: Engine, keep_latencies: bool = False,
                 retry_delays: tuple[float, ...] = (0.1, 0.5, 1, 2, 5), spool=None,
                 host: str = DEFAULT_HOST):
        self.engine = engine
        self.host = host  # the Asterisk host of every call this writer stores
        self.spool = spool  # telephony.spool.Spool, or None: retry in memory
        self.keep_latencies = keep_latencies
        self.latencies: list[float] = []
        self.calls_written = 0
        self.commits = 0
        self.dead_letters = 0  # calls set aside because the database refused them
        self.retry_delays = retry_delays
        self._queue: queue.Queue = queue.Queue()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="call-writer", daemon=True)
        self._thread.start()

    def submit(self, records: list[RecordLike], arrived_at: Optional[float] = None) -> None:
        """Queue records for the next commit; `arrived_at` (perf_counter) times the delay.

        A mapping is read as a CallRecord here, so a key that is no field is a
        TypeError in the caller, not a column silently left out.
        """
        if records:
            self._queue.put(([as_call_record(record) for record in records], arrived_at))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is committed."""
        if not self._thread.is_alive():
            return self._queue.empty()  # closed: nothing will be committed any more
        done = threading.Event()
        self._queue.put((None, done))
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        self._stopping = True
        self._queue.put((_STOP, None))
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch, waiters, stop = self._take_batch()
            if batch:
                self._commit_with_retries(batch)
            if waiters and self.spool is not None and self.spool.pending:
                self.spool.drain(self._commit)  # flushed = in the database, if it answers
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def _take_batch(self):
        items = [self._next_item()]
        while len(items) < MAX_BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        batch, waiters, stop = [], [], False
        for records, tag in items:
            if records is _STOP:
                stop = True
            elif records is None:
                waiters.append(tag)
            else:
                batch.append((records, tag))
        return batch, waiters, stop

    def _next_item(self):
        """The next queued item; while the spool holds batches, retry it when idle."""
        while self.spool is not None and self.spool.pending:
            try:
                return self._queue.get(timeout=self.spool.retry_interval_s)
            except queue.Empty:
                self.spool.drain(self._commit)
        return self._queue.get()

    def _commit_with_retries(self, batch) -> None:
        records = [record for records, _ in batch for record in records]
        if self.spool is not None:
            try:
                if not self.spool.write(records, self._commit):
                    return  # spooled: committed (and timed) when the database is back
                self._keep_latencies(batch)
                return
            except SpoolError:  # disk full or the like: keep them in memory instead
                log.exception("spool failed; retrying %d call records in memory", len(records))
        tries = 0
        while not self._commit(records):
            tries += 1
            if self._stopping and tries >= 3:
                log.error("stopping: %d call records not committed; the next resync "
                          "rewrites open calls", len(records))
                return
            time.sleep(self.retry_delays[min(tries, len(self.retry_delays)) - 1])
        self._keep_latencies(batch)

    def _keep_latencies(self, batch) -> None:
        if self.keep_latencies:
            now = time.perf_counter()
            self.latencies.extend(now - arrived for _, arrived in batch if arrived is not None)

    def _commit(self, records: list[RecordLike]) -> bool:
        """True when stored (or set aside as dead letters), False when the database is away."""
        try:
            with self.engine.begin() as connection:
                self.calls_written += write_records(connection, self.engine, records, self.host)
            self.commits += 1
            return True
        except Exception as error:  # noqa: BLE001 - sorted below: outage, or refused data
            if is_outage(error):
                log.error("call records not committed, will retry: %s", error)
                return False
            log.warning("the database refused a batch of %d call records (%s); writing them "
                        "call by call", len(records), type(error).__name__)
        return self._commit_call_by_call(records)

    def _commit_call_by_call(self, records: list[RecordLike]) -> bool:
        """Write each call's records on its own; set aside those refused for good."""
        for callid, own_records in _by_call(records).items():
            try:
                with self.engine.begin() as connection:
                    self.calls_written += write_records(connection, self.engine, own_records,
                                                        self.host)
                self.commits += 1
                continue
            except Exception as error:  # noqa: BLE001
                if is_outage(error):
                    log.error("call records not committed, will retry: %s", error)
                    return False  # the batch is retried whole; the upserts are idempotent
                refusal = error
            if not self._set_aside(callid, own_records, refusal):
                return False
        return True

    def _set_aside(self, callid: str, records: list[RecordLike], error: BaseException) -> bool:
        log.error("call %s refused by the database, set aside in dead_letters: %s",
                  callid, error)
        try:
            with self.engine.begin() as connection:
                set_aside(connection, CALL_RECORD, callid, records, error)
            self.dead_letters += 1
            return True
        except Exception:  # noqa: BLE001 - e.g. no dead_letters table yet: keep them
            log.exception("call %s could not be set aside; kept for a retry", callid)
            return False


def _by_call(records: list[RecordLike]) -> dict[Optional[str], list[RecordLike]]:
    """Records grouped by callid, each group in the order it came."""
    groups: dict[Optional[str], list[RecordLike]] = {}
    for record in records:
        groups.setdefault(_callid_of(record), []).append(record)
    return groups


def _callid_of(record) -> Optional[str]:
    # A spooled record is JSON, maybe from an older bridge or torn: never raise here.
    if isinstance(record, CallRecord):
        return record.callid
    return record.get("callid") if isinstance(record, Mapping) else None


def write_dead_letter(connection, records: list[RecordLike], host: str = DEFAULT_HOST) -> None:
    """The replay writer for `dead_letters.replay` (kind CALL_RECORD)."""
    write_records(connection, connection.engine, records, host)
