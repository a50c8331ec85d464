"""How fast online messages were handled (seed 000): accepted within 5 minutes of
being sent, dispatched within 5 minutes of acceptance; and the orders per channel.

Figures over the orders registered in [start, end): counts, the share in time, the
median and the longest wait, in seconds. An online order not yet accepted counts
as late once its 5 minutes are past (at `now`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.console import CHANNELS, WorkOrder
from workflow.rules import ACCEPT_ONLINE_WITHIN, DISPATCH_AFTER_ACCEPT_WITHIN, ONLINE_CHANNELS


@dataclasses.dataclass(frozen=True)
class Timeliness:
    measured: int                 # orders with both ends of the interval
    in_time: int
    late: int                     # measured late, or still open past the limit
    median_s: Optional[float]
    longest_s: Optional[int]

    @property
    def share_in_time(self) -> Optional[float]:
        total = self.in_time + self.late
        return self.in_time / total if total else None


@dataclasses.dataclass(frozen=True)
class OnlineReport:
    start: dt.datetime
    end: dt.datetime
    online_orders: int
    acceptance: Timeliness
    dispatch: Timeliness
    by_channel: dict[str, int]


def _timeliness(pairs: list[tuple[Optional[dt.datetime], Optional[dt.datetime]]],
                limit: dt.timedelta, now: dt.datetime) -> Timeliness:
    waits = [int((end - start).total_seconds()) for start, end in pairs
             if start is not None and end is not None]
    open_late = sum(1 for start, end in pairs
                    if start is not None and end is None and now - start > limit)
    in_time = sum(1 for wait in waits if wait <= limit.total_seconds())
    return Timeliness(len(waits), in_time, len(waits) - in_time + open_late,
                      statistics.median(waits) if waits else None,
                      max(waits) if waits else None)


def online_report(session: Session, start: dt.datetime, end: dt.datetime,
                  now: dt.datetime) -> OnlineReport:
    in_period = (WorkOrder.created_at >= start, WorkOrder.created_at < end)
    online = session.execute(select(
        WorkOrder.message_at, WorkOrder.accepted_at, WorkOrder.dispatched_at,
        WorkOrder.dispatch_due_at).where(
        WorkOrder.channel.in_(sorted(ONLINE_CHANNELS)), *in_period)).all()
    acceptance = _timeliness([(row.message_at, row.accepted_at) for row in online],
                             ACCEPT_ONLINE_WITHIN, now)
    # Only orders that are dispatched at all (repairs, complaints) owe a dispatch.
    dispatch = _timeliness([(row.accepted_at, row.dispatched_at) for row in online
                            if row.dispatch_due_at is not None],
                           DISPATCH_AFTER_ACCEPT_WITHIN, now)
    counts = dict(session.execute(select(WorkOrder.channel, func.count(WorkOrder.id))
                                  .where(*in_period).group_by(WorkOrder.channel)).all())
    return OnlineReport(start, end, len(online), acceptance, dispatch,
                        {channel: counts.get(channel, 0) for channel in CHANNELS})
