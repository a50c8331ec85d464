"""Records the database refused for good: set aside, listed, replayed.

A commit can fail in two ways. The database may be away (a connection error,
a lock timeout, a deadlock: `is_outage`); then the batch waits in the spool and
is retried as it is. Or the database may refuse one row for good (a value too
long, a CHECK or unique violation, a bug building the row): retrying it as it
is can never succeed, and retrying the batch holding it would stop every later
call from being stored. Such a row is set aside here, in the `dead_letters`
table of the same database, with the error, so the rest can be written; an
operator lists them (`hotline dead-letters list`), fixes the cause and replays
them (`hotline dead-letters replay`).

Setting aside is idempotent: the same records refused again (a batch replayed
from the spool after a crash) bump the existing row's attempts instead of adding
a second one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from typing import Callable, Iterable, Optional

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import (
    DBAPIError, DisconnectionError, InterfaceError, OperationalError, TimeoutError as PoolTimeout,
)

from models.dead_letters import DeadLetter
from telephony.spool import dumps, loads

log = logging.getLogger(__name__)

CALL_RECORD = "call_record"
DEAD_LETTERS = DeadLetter.__table__
_KEY_LENGTH = DEAD_LETTERS.c.record_key.type.length
_CLASS_LENGTH = DEAD_LETTERS.c.error_class.type.length
# Enough of the database's message to see the cause; its full SQL and
# parameters repeat the payload.
_ERROR_CHARS = 2000

# Writes one dead letter's records in the connection's transaction; raises when
# the database refuses them.
WriteRecords = Callable[[object, list], object]


def is_outage(error: BaseException) -> bool:
    """True when the database is away (retry later), False when it refused the data."""
    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


@dataclasses.dataclass(frozen=True)
class StoredDeadLetter:
    """One row of `dead_letters`, as `list` shows it."""

    id: int
    kind: str
    record_key: str
    error_class: str
    error: str
    attempts: int
    created_at: dt.datetime
    last_tried_at: dt.datetime
    resolved_at: Optional[dt.datetime]
    records: list


@dataclasses.dataclass(frozen=True)
class ReplayResult:
    id: int
    written: bool
    error: str = ""


def _error_text(error: BaseException) -> str:
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).replace("\x00", "").strip()
    return text[:_ERROR_CHARS]


def _error_class(error: BaseException) -> str:
    original = getattr(error, "orig", None)
    name = type(error).__name__
    if original is not None:
        name += f"/{type(original).__module__}.{type(original).__name__}"
    return name[:_CLASS_LENGTH]


def _payload(records: list) -> str:
    try:
        return dumps(records)
    except (TypeError, ValueError):  # a bug put an odd value in: keep what it looked like
        return json.dumps(records, default=repr, ensure_ascii=False)


def set_aside(connection, kind: str, record_key: str, records: list,
              error: BaseException) -> None:
    """Store refused records in the connection's transaction (once per distinct payload)."""
    now = dt.datetime.now(dt.timezone.utc)
    payload = _payload(records)
    key = (record_key or "")[:_KEY_LENGTH]
    values = {"error_class": _error_class(error), "error": _error_text(error),
              "last_tried_at": now}
    existing = connection.execute(
        select(DEAD_LETTERS.c.id).where(DEAD_LETTERS.c.kind == kind,
                                        DEAD_LETTERS.c.record_key == key,
                                        DEAD_LETTERS.c.resolved_at.is_(None),
                                        DEAD_LETTERS.c.payload == payload)).first()
    if existing is not None:
        connection.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id == existing.id)
                           .values(attempts=DEAD_LETTERS.c.attempts + 1, **values))
        return
    connection.execute(DEAD_LETTERS.insert().values(
        kind=kind, record_key=key, payload=payload, attempts=1, created_at=now, **values))


def list_dead_letters(engine: Engine, include_resolved: bool = False,
                      ids: Iterable[int] = ()) -> list[StoredDeadLetter]:
    query = select(DEAD_LETTERS).order_by(DEAD_LETTERS.c.id)
    if not include_resolved:
        query = query.where(DEAD_LETTERS.c.resolved_at.is_(None))
    wanted = list(ids)
    if wanted:
        query = query.where(DEAD_LETTERS.c.id.in_(wanted))
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [_stored(row) for row in rows]


def _stored(row) -> StoredDeadLetter:
    try:
        records = loads(row["payload"])
    except ValueError:
        records = []
    return StoredDeadLetter(
        id=row["id"], kind=row["kind"], record_key=row["record_key"],
        error_class=row["error_class"], error=row["error"], attempts=row["attempts"],
        created_at=row["created_at"], last_tried_at=row["last_tried_at"],
        resolved_at=row["resolved_at"], records=records)


def replay(engine: Engine, writers: dict[str, WriteRecords],
           ids: Iterable[int] = ()) -> list[ReplayResult]:
    """Write the open dead letters (all, or those of `ids`) again, each on its own.

    A row that goes in is marked resolved; one the database still refuses stays
    listed with the new error. An outage is raised: nothing can be judged then.
    """
    results = []
    for letter in list_dead_letters(engine, ids=ids):
        write = writers.get(letter.kind)
        if write is None:
            results.append(ReplayResult(letter.id, False, f"no writer for {letter.kind!r}"))
            continue
        results.append(_replay_one(engine, letter, write))
    return results


def _replay_one(engine: Engine, letter: StoredDeadLetter, write: WriteRecords) -> ReplayResult:
    now = dt.datetime.now(dt.timezone.utc)
    try:
        with engine.begin() as connection:
            write(connection, letter.records)
            connection.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id == letter.id)
                               .values(resolved_at=now, last_tried_at=now))
        return ReplayResult(letter.id, True)
    except Exception as error:  # noqa: BLE001 - every refusal is stored, outages raised
        if is_outage(error):
            raise
        with engine.begin() as connection:
            connection.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id == letter.id)
                               .values(attempts=DEAD_LETTERS.c.attempts + 1, last_tried_at=now,
                                       error_class=_error_class(error),
                                       error=_error_text(error)))
        log.warning("dead letter %d still refused: %s", letter.id, _error_text(error))
        return ReplayResult(letter.id, False, _error_text(error))
