"""The three reports, computed from the orders queries.py reads.

Definitions (the seeds' words, made countable):

- A complaint is registered in the period its call (call_at) falls in.
- **Effective complaint** (有效投诉, 003 "争取有效投诉处理率达100%"): a registered
  complaint the agent did not mark invalid in the register (Complaint.effective;
  004's 无效投诉 is a complaint that is served but has no ground against the office).
  The **effective-complaint rate** is effective ÷ registered; the **handling rate**
  (有效投诉处理率, target 100 %) is effective complaints resolved by the period's end ÷
  effective complaints; **on time** means resolved by the tier's resolve deadline.
  Resolved means complete as the order stands now (done, followed up or closed,
  not reopened), completed before the period's end.
- A complaint's department is the one complained about (the register), else the one
  it was dispatched to.
- **Follow-ups** are owed by every repair and complaint completed (done_at) in the
  period; coverage counts an order whose latest attempt reached the resident.
  Satisfaction counts every reached, scored call of those orders (a reopened order's
  unhappy call and its later happy one both), satisfied at 4 or 5 of 5.
- **Recurring problem** (004: "反复出现的问题"): three or more repairs or complaints of
  one category in one room, called in the 90 days that end with the period; or, for
  the building's own parts (lift, public area, fire alarm, power: BUILDING_CATEGORIES),
  three or more in one building from more than one room (one room's repeats are that
  room's line). Orders with no household on file have no place.
- **Repair timeliness**: repairs called in the period; call -> dispatch -> arrival
  (first dispatched -> in_progress) -> done (first completion), each stage in seconds;
  dispatched within 3 minutes of the call (003).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Callable, Iterable, Optional

from sqlalchemy.orm import Session

from reports import queries
from reports.periods import RECURRING_WINDOW, ReportPeriod
from reports.queries import OrderFacts
from reports.records import (
    Breakdown, ComplaintGroup, ComplaintLine, EffectiveComplaints, FollowUpGroup,
    MonthlyAnalysis, RecurringProblem, RepairLine, RepairTimeliness, StageFigures,
    TimelinessGroup, WeeklyComplaintReport, ratio,
)
from workflow.rules import COMMON_PART_CATEGORIES

DISPATCH_WITHIN_S = 180   # 003: the repair order reaches engineering within 3 minutes
SATISFIED_FROM = 4        # of 5
RECURRING_FROM = 3        # occurrences
FOLLOWED_UP_KINDS = ("repair", "complaint")
# Faults of the building, not of a flat: repeats from different rooms are one problem.
# (A flat's tap failing in 3 of a tower's 200 flats is not; those count per room.)
BUILDING_CATEGORIES = COMMON_PART_CATEGORIES | {"power_cut"}


def _resolved(fact: OrderFacts, end: dt.datetime) -> bool:
    return fact.resolved_at is not None and fact.resolved_at < end


def _on_time(fact: OrderFacts, end: dt.datetime) -> bool:
    return _resolved(fact, end) and (fact.resolve_due_at is None
                                     or fact.resolved_at <= fact.resolve_due_at)


def effective_complaints(facts: list[OrderFacts], end: dt.datetime) -> EffectiveComplaints:
    effective = [fact for fact in facts if fact.effective]
    resolved = sum(1 for fact in effective if _resolved(fact, end))
    on_time = sum(1 for fact in effective if _on_time(fact, end))
    return EffectiveComplaints(len(facts), len(effective), len(facts) - len(effective),
                               ratio(len(effective), len(facts)), resolved,
                               ratio(resolved, len(effective)), on_time,
                               ratio(on_time, len(effective)))


def _grouped(facts: Iterable[OrderFacts], key: Callable[[OrderFacts], str]) -> dict:
    groups: dict[str, list[OrderFacts]] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    # Largest first; "" (not known) last.
    return dict(sorted(groups.items(), key=lambda item: (item[0] == "", -len(item[1]), item[0])))


def _complaint_group(name: str, group: list[OrderFacts], end: dt.datetime) -> ComplaintGroup:
    effective = sum(1 for f in group if f.effective)
    effective_resolved = sum(1 for f in group if f.effective and _resolved(f, end))
    return ComplaintGroup(name, len(group), effective, sum(1 for f in group if _resolved(f, end)),
                          sum(1 for f in group if _on_time(f, end)),
                          sum(1 for f in group if not _resolved(f, end)), effective_resolved,
                          ratio(effective, len(group)), ratio(effective_resolved, effective))


def _complaint_rows(facts, key, end) -> list[ComplaintGroup]:
    return [_complaint_group(name, group, end) for name, group in _grouped(facts, key).items()]


def complaint_department(fact: OrderFacts) -> str:
    return fact.respondent_department or fact.department


def _community(fact: OrderFacts) -> str:
    return fact.place.community if fact.place else ""


def _line(fact: OrderFacts, end: dt.datetime) -> ComplaintLine:
    resolved = fact.resolved_at if _resolved(fact, end) else None
    return ComplaintLine(
        fact.order_id, fact.call_at, fact.tier, fact.category, _community(fact),
        fact.place.room if fact.place else "", complaint_department(fact), fact.summary,
        fact.status, fact.effective, resolved,
        _on_time(fact, end) if resolved else None, fact.result, fact.resident_told_at)


def weekly_complaints(session: Session, period: ReportPeriod,
                      now: dt.datetime) -> WeeklyComplaintReport:
    facts = queries.load_orders(session, ("complaint",), "call_at", period.start, period.end)
    end = period.end
    overdue = sum(1 for f in facts if not _resolved(f, end) and f.resolve_due_at is not None
                  and f.resolve_due_at < end)
    return WeeklyComplaintReport(period, now, effective_complaints(facts, end), overdue, [
        Breakdown("tier", "complaint_tier", _complaint_rows(facts, lambda f: f.tier or "", end)),
        Breakdown("category", "category", _complaint_rows(facts, lambda f: f.category, end)),
        Breakdown("department", "respondent_department",
                  _complaint_rows(facts, complaint_department, end)),
    ], [_line(fact, end) for fact in facts])


def follow_up_group(key: str, facts: list[OrderFacts]) -> FollowUpGroup:
    latest = [fact.attempts[-1].result if fact.attempts else "pending" for fact in facts]
    scores = [a.satisfaction for fact in facts for a in fact.attempts
              if a.result == "reached" and a.satisfaction is not None]
    satisfied = sum(1 for score in scores if score >= SATISFIED_FROM)
    reached = latest.count("reached")
    return FollowUpGroup(key, len(facts), reached, latest.count("unreachable"),
                         latest.count("refused"), latest.count("pending"),
                         ratio(reached, len(facts)), len(scores), satisfied,
                         ratio(satisfied, len(scores)),
                         statistics.fmean(scores) if scores else None,
                         sum(1 for fact in facts if fact.reopened))


def recurring_problems(facts: list[OrderFacts]) -> list[RecurringProblem]:
    placed = [fact for fact in facts if fact.place is not None]
    found = []
    by_room = _grouped(placed, lambda f: f"{f.place.room}\0{f.category}\0{f.place.community}")
    for group in by_room.values():
        if len(group) >= RECURRING_FROM:
            found.append(_problem("room", group[0].place.room, group))
    by_building = _grouped([f for f in placed if f.category in BUILDING_CATEGORIES],
                           lambda f: f"{f.place.building_id}\0{f.category}")
    for group in by_building.values():
        if len(group) >= RECURRING_FROM and len({f.place.room for f in group}) > 1:
            found.append(_problem("building", group[0].place.building, group))
    return sorted(found, key=lambda p: (-p.count, p.scope != "room", p.community, p.place,
                                        p.category))


def _problem(scope: str, place: str, group: list[OrderFacts]) -> RecurringProblem:
    group = sorted(group, key=lambda f: (f.call_at, f.order_id))
    return RecurringProblem(scope, group[0].place.community, place, group[0].category,
                            len(group), [f.order_id for f in group], group[0].call_at,
                            group[-1].call_at)


def monthly_analysis(session: Session, period: ReportPeriod, now: dt.datetime) -> MonthlyAnalysis:
    end = period.end
    complaints = queries.load_orders(session, ("complaint",), "call_at", period.start, end)
    completed = queries.load_orders(session, FOLLOWED_UP_KINDS, "done_at", period.start, end)
    since = end - RECURRING_WINDOW
    window = queries.load_orders(session, FOLLOWED_UP_KINDS, "call_at", since, end)

    def follow_up_rows(key):
        return [follow_up_group(name, group) for name, group in _grouped(completed, key).items()]

    return MonthlyAnalysis(
        period, now, effective_complaints(complaints, end), [
            Breakdown("category", "category",
                      _complaint_rows(complaints, lambda f: f.category, end)),
            Breakdown("department", "respondent_department",
                      _complaint_rows(complaints, complaint_department, end)),
            Breakdown("community", None, _complaint_rows(complaints, _community, end)),
        ], follow_up_group("", completed), [
            Breakdown("kind", "order_kind", follow_up_rows(lambda f: f.kind)),
            Breakdown("category", "category", follow_up_rows(lambda f: f.category)),
            Breakdown("department", "department", follow_up_rows(lambda f: f.department)),
            Breakdown("community", None, follow_up_rows(_community)),
        ], since, recurring_problems(window))


def _seconds(later: Optional[dt.datetime], earlier: Optional[dt.datetime]) -> Optional[int]:
    if later is None or earlier is None:
        return None
    return max(0, int((later - earlier).total_seconds()))


def _repair_line(fact: OrderFacts) -> RepairLine:
    return RepairLine(
        fact.order_id, fact.call_at, fact.category, fact.department, _community(fact),
        fact.place.room if fact.place else "", fact.dispatched_at, fact.arrived_at,
        fact.first_done_at, _seconds(fact.dispatched_at, fact.call_at),
        _seconds(fact.arrived_at, fact.dispatched_at), _seconds(fact.first_done_at, fact.arrived_at),
        _seconds(fact.first_done_at, fact.call_at), fact.reopened)


def _stage(values: list[Optional[int]]) -> StageFigures:
    measured = [value for value in values if value is not None]
    if not measured:
        return StageFigures(0, None, None, None)
    return StageFigures(len(measured), float(statistics.median(measured)),
                        statistics.fmean(measured), max(measured))


def timeliness_group(key: str, lines: list[RepairLine]) -> TimelinessGroup:
    dispatched = [line for line in lines if line.call_to_dispatch_s is not None]
    quick = sum(1 for line in dispatched if line.call_to_dispatch_s <= DISPATCH_WITHIN_S)
    return TimelinessGroup(
        key, len(lines), len(dispatched), quick, ratio(quick, len(dispatched)),
        sum(1 for line in lines if line.arrived_at is not None),
        sum(1 for line in lines if line.done_at is not None),
        sum(1 for line in lines if line.reopened),
        _stage([line.call_to_dispatch_s for line in lines]),
        _stage([line.dispatch_to_arrival_s for line in lines]),
        _stage([line.arrival_to_done_s for line in lines]),
        _stage([line.call_to_done_s for line in lines]))


def repair_timeliness(session: Session, period: ReportPeriod, now: dt.datetime) -> RepairTimeliness:
    facts = queries.load_orders(session, ("repair",), "call_at", period.start, period.end)
    lines = [_repair_line(fact) for fact in facts]

    def rows(key):
        return [timeliness_group(name, group) for name, group in _grouped(lines, key).items()]

    return RepairTimeliness(period, now, timeliness_group("", lines), [
        Breakdown("category", "category", rows(lambda line: line.category)),
        Breakdown("department", "department", rows(lambda line: line.department)),
    ], lines)
