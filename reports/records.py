"""The reports as typed records: what queries.py computes and render.py writes.

Keys of breakdown rows are codes (a category, a department, a tier) or, for a
community, its name; `Breakdown.label_group` says which catalogue group turns a
key into words ("" key: not known, shown as "—"). Times are aware datetimes;
durations are seconds.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from reports.periods import ReportPeriod


def ratio(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


@dataclasses.dataclass(frozen=True)
class EffectiveComplaints:
    """The effective-complaint figures (defined in queries.effective_complaints)."""
    registered: int
    effective: int
    invalid: int
    effective_rate: Optional[float]      # effective / registered
    effective_resolved: int
    handling_rate: Optional[float]       # effective_resolved / effective (003: 100 %)
    resolved_on_time: int
    on_time_rate: Optional[float]        # resolved_on_time / effective


@dataclasses.dataclass(frozen=True)
class ComplaintGroup:
    key: str
    complaints: int
    effective: int
    resolved: int
    on_time: int
    still_open: int
    effective_resolved: int
    effective_rate: Optional[float]     # effective / complaints
    handling_rate: Optional[float]      # effective_resolved / effective


@dataclasses.dataclass(frozen=True)
class Breakdown:
    dimension: str                 # tier, category, department, community, kind
    label_group: Optional[str]     # catalogue group of the keys; None: shown as they are
    rows: list


@dataclasses.dataclass(frozen=True)
class ComplaintLine:
    order_id: int
    call_at: dt.datetime
    tier: Optional[str]
    category: str
    community: str
    room: str
    department: str
    summary: str
    status: str
    effective: bool
    resolved_at: Optional[dt.datetime]
    on_time: Optional[bool]        # None: not resolved yet
    result: str
    resident_told_at: Optional[dt.datetime]


@dataclasses.dataclass(frozen=True)
class WeeklyComplaintReport:
    period: ReportPeriod
    generated_at: dt.datetime
    summary: EffectiveComplaints
    overdue_open: int              # registered this week, past the resolve deadline, not done
    breakdowns: list[Breakdown]    # tier, category, department
    lines: list[ComplaintLine]


@dataclasses.dataclass(frozen=True)
class FollowUpGroup:
    key: str
    owed: int                      # repairs and complaints completed in the period
    reached: int                   # latest attempt: the resident was reached
    unreachable: int
    refused: int
    pending: int
    coverage_rate: Optional[float]     # reached / owed (000, 004: 100 %)
    scored: int                        # reached calls with a score (every round)
    satisfied: int                     # score 4 or 5
    satisfaction_rate: Optional[float]  # satisfied / scored (000: at least 90 %)
    mean_satisfaction: Optional[float]
    reopened: int                      # orders sent back for rework after a follow-up


@dataclasses.dataclass(frozen=True)
class RecurringProblem:
    scope: str                     # room or building
    community: str
    place: str                     # the room's code (building-unit-room) or the building
    category: str
    count: int
    order_ids: list[int]
    first_at: dt.datetime
    last_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class MonthlyAnalysis:
    period: ReportPeriod
    generated_at: dt.datetime
    complaints: EffectiveComplaints
    complaint_breakdowns: list[Breakdown]    # category, department, community
    follow_ups: FollowUpGroup                # the total (key "")
    follow_up_breakdowns: list[Breakdown]    # kind, category, department, community
    recurring_since: dt.datetime             # the 90 days end with the period
    recurring: list[RecurringProblem]


@dataclasses.dataclass(frozen=True)
class StageFigures:
    measured: int
    median_s: Optional[float]
    mean_s: Optional[float]
    longest_s: Optional[int]


@dataclasses.dataclass(frozen=True)
class TimelinessGroup:
    key: str
    repairs: int
    dispatched: int
    dispatched_within_3_min: int
    dispatch_3_min_rate: Optional[float]   # of the dispatched (003: within 3 minutes)
    arrived: int
    done: int
    reopened: int
    call_to_dispatch: StageFigures
    dispatch_to_arrival: StageFigures
    arrival_to_done: StageFigures
    call_to_done: StageFigures


@dataclasses.dataclass(frozen=True)
class RepairLine:
    order_id: int
    call_at: dt.datetime
    category: str
    department: str
    community: str
    room: str
    dispatched_at: Optional[dt.datetime]
    arrived_at: Optional[dt.datetime]
    done_at: Optional[dt.datetime]
    call_to_dispatch_s: Optional[int]
    dispatch_to_arrival_s: Optional[int]
    arrival_to_done_s: Optional[int]
    call_to_done_s: Optional[int]
    reopened: bool


@dataclasses.dataclass(frozen=True)
class RepairTimeliness:
    period: ReportPeriod
    generated_at: dt.datetime
    total: TimelinessGroup
    breakdowns: list[Breakdown]    # category, department (rows: TimelinessGroup)
    lines: list[RepairLine]


REPORT_KINDS = ("weekly-complaints", "monthly", "repair-timeliness")
