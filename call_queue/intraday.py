"""Today's calls by half hour for the wallboard's chart: offered, answered, abandoned
and the service level of each half hour, in the office's day.

The same definitions as the live board (call_queue.projection): a short abandon
(at most `short_abandon_s` in the queue) is neither offered nor abandoned; a call
answered within `service_level_s` counts towards the service level; the half
hour is the one the caller entered the queue in.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import Call

SLOTS_PER_DAY = 48
# A transferred call was answered first (the agent passed it on).
ANSWERED = frozenset({"answered", "transferred"})


@dataclasses.dataclass(frozen=True)
class HalfHour:
    start: str  # "HH:MM" in the office's time
    offered: int
    answered: int
    abandoned: int
    answered_in_sl: int

    @property
    def service_level(self) -> Optional[float]:
        return round(self.answered_in_sl / self.offered, 4) if self.offered else None


def day_bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), ZoneInfo(zone))
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(zone))
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def _slot(entered: dt.datetime, zone: str) -> int:
    local = entered.astimezone(ZoneInfo(zone))
    return local.hour * 2 + local.minute // 30


def half_hours(session: Session, day: dt.date, zone: str, *, service_level_s: int,
               short_abandon_s: int, queue: Optional[str] = None) -> list[HalfHour]:
    """The day's 48 half hours (a DST day has its own count of real half hours; the
    office's zone, Asia/Shanghai, has none)."""
    start, end = day_bounds(day, zone)
    query = select(Call.entered_queue_at, Call.outcome, Call.wait_s).where(
        Call.entered_queue_at >= start, Call.entered_queue_at < end)
    if queue:
        query = query.where(Call.queue == queue)
    counts = [[0, 0, 0, 0] for _ in range(SLOTS_PER_DAY)]
    for entered, outcome, wait_s in session.execute(query):
        wait_s = wait_s or 0
        if outcome == "abandoned" and wait_s <= short_abandon_s:
            continue
        slot = counts[_slot(entered, zone)]
        slot[0] += 1
        if outcome in ANSWERED:
            slot[1] += 1
            slot[3] += wait_s <= service_level_s
        elif outcome == "abandoned":
            slot[2] += 1
    return [HalfHour(f"{index // 2:02d}:{index % 2 * 30:02d}", *slot)
            for index, slot in enumerate(counts)]


def to_json(slots: list[HalfHour], service_level_pct: int) -> dict:
    return {"slots": [dict(dataclasses.asdict(slot), service_level=slot.service_level)
                      for slot in slots],
            "service_level_norm": service_level_pct / 100}
