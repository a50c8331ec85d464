"""What a resync reads of the calls the database holds (telephony.resync).

Only reads: every write goes through the call writer. The bridge flushes the
writer before a resync reads here, so what its state machine closed is seen.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Iterable, Optional

from sqlalchemy import Engine, func, select

from models.calls import Call


@dataclasses.dataclass(frozen=True, slots=True)
class OpenCall:
    """A call the database holds open (no outcome yet)."""

    callid: str
    linkedid: Optional[str]
    queue: Optional[str]
    answered_at: Optional[dt.datetime]


class StoredCalls:
    """The calls table as a resync asks about it."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def open_calls(self) -> dict[str, OpenCall]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Call.callid, Call.linkedid, Call.queue, Call.answered_at)
                .where(Call.outcome.is_(None)))
            return {row.callid: OpenCall(row.callid, row.linkedid, row.queue, row.answered_at)
                    for row in rows}

    def closed_since(self, since: dt.datetime, outcomes: Iterable[str]) -> list[tuple[str, str]]:
        """(callid, outcome) of calls that ended since `since` with one of `outcomes`."""
        with self.engine.connect() as connection:
            return [(row.callid, row.outcome) for row in connection.execute(
                select(Call.callid, Call.outcome)
                .where(Call.ended_at >= since, Call.outcome.in_(list(outcomes))))]

    def newest_entered_at(self) -> Optional[dt.datetime]:
        """When the latest stored call entered its queue (None: no call stored)."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(Call.entered_queue_at))).scalar()

    def stored_among(self, callids: Iterable[str]) -> set[str]:
        """Which of `callids` the database holds."""
        wanted = list(callids)
        if not wanted:
            return set()
        with self.engine.connect() as connection:
            return set(connection.scalars(select(Call.callid).where(Call.callid.in_(wanted))))
