"""The purge log as the supervisor's page reads it: the last runs, newest first."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.retention import PURGE_KINDS, PurgeRun


@dataclasses.dataclass(frozen=True)
class KindLine:
    kind: str
    retention_days: int
    cutoff: dt.datetime
    count: int
    oldest: dt.datetime | None
    newest: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class RunLine:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    run_by: str
    kinds: dict[str, KindLine]  # by kind, in PURGE_KINDS order

    @property
    def total(self) -> int:
        return sum(line.count for line in self.kinds.values())


def recent_runs(session: Session, limit: int = 30) -> list[RunLine]:
    runs = session.scalars(select(PurgeRun).options(selectinload(PurgeRun.kinds))
                           .order_by(PurgeRun.started_at.desc(), PurgeRun.id.desc())
                           .limit(limit))
    return [RunLine(run.id, run.started_at, run.finished_at, run.run_by, {
        kind.kind: KindLine(kind.kind, kind.retention_days, kind.cutoff, kind.count,
                            kind.oldest, kind.newest)
        for kind in sorted(run.kinds, key=lambda kind: PURGE_KINDS.index(kind.kind))})
        for run in runs]
