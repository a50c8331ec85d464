"""The reports over a hand-made November (tests/support/report_data.py), counted by
hand in the comments, on SQLite and PostgreSQL. Boundaries: R0 is called on
31 October 23:50 office time (15:50 UTC) and done on 1 November 01:00 (owed a
November follow-up, not in November's timeliness); R8 at 30 November 23:30 is
November's, R9 at 1 December 00:10 (still 30 November in UTC) is not; R_old (August)
is outside the 90 days of recurring problems."""
from __future__ import annotations

import datetime as dt

import pytest

from reports import figures, periods
from reports.errors import ReportError
from tests.support.report_data import ZONE_NAME, at, seed_november

NOW = at("2026-12-01 09:00")


@pytest.fixture
def month(session_factory):
    with session_factory() as session:
        ids = seed_november(session)
    return session_factory, ids


def _rows(breakdown):
    return {row.key: row for row in breakdown.rows}


def test_weekly_complaints_of_week_46(month):
    factory, ids = month
    period = periods.week("2026-W46", ZONE_NAME)
    assert (period.start, period.end) == (at("2026-11-09 00:00"), at("2026-11-16 00:00"))
    with factory() as session:
        report = figures.weekly_complaints(session, period, NOW)
    # C1 (minor, effective, done 11-11), C2 (important, done 11-16: after the week),
    # C3 (minor, marked invalid, done 11-15).
    assert [line.order_id for line in report.lines] == [ids["C1"], ids["C2"], ids["C3"]]
    s = report.summary
    assert (s.registered, s.effective, s.invalid) == (3, 2, 1)
    assert s.effective_rate == pytest.approx(2 / 3)
    assert (s.effective_resolved, s.handling_rate) == (1, 0.5)
    assert (s.resolved_on_time, s.on_time_rate) == (1, 0.5)
    assert report.overdue_open == 1  # C2: due 11-15 14:00, still open at the week's end
    tier, category, department = report.breakdowns
    assert [(r.key, r.complaints, r.resolved, r.still_open) for r in tier.rows] == [
        ("minor", 2, 2, 0), ("important", 1, 0, 1)]
    assert [r.key for r in category.rows] == ["environment", "noise", "service"]
    assert {r.key: r.complaints for r in department.rows} == {
        "security": 1, "service_centre": 1, "cleaning_greening": 1}
    lines = {line.order_id: line for line in report.lines}
    assert lines[ids["C1"]].room == "3-2-1201" and lines[ids["C1"]].community == "翠湖花园"
    assert lines[ids["C1"]].on_time is True and lines[ids["C2"]].resolved_at is None
    assert lines[ids["C3"]].effective is False


def test_weekly_complaints_of_week_47(month):
    factory, ids = month
    with factory() as session:
        report = figures.weekly_complaints(session, periods.week("2026-W47", ZONE_NAME), NOW)
    # C4 only: reopened on 11-22, done again 11-23 (after the week).
    assert [line.order_id for line in report.lines] == [ids["C4"]]
    assert (report.summary.registered, report.summary.effective_resolved) == (1, 0)
    assert report.overdue_open == 0


def test_monthly_complaints(month):
    factory, _ids = month
    with factory() as session:
        report = figures.monthly_analysis(session, periods.month("2026-11", ZONE_NAME), NOW)
    c = report.complaints
    # C1..C5; C3 invalid; resolved: C1, C2 (late: 11-16 10:00 > 11-15 14:00), C4 (11-23,
    # due 11-30); C5 open.
    assert (c.registered, c.effective, c.invalid, c.effective_rate) == (5, 4, 1, 0.8)
    assert (c.effective_resolved, c.handling_rate) == (3, 0.75)
    assert (c.resolved_on_time, c.on_time_rate) == (2, 0.5)
    category, department, community = report.complaint_breakdowns
    assert [(r.key, r.complaints, r.effective, r.resolved, r.on_time, r.still_open)
            for r in category.rows] == [
        ("noise", 2, 2, 1, 1, 1), ("environment", 1, 0, 1, 1, 0),
        ("security", 1, 1, 1, 1, 0), ("service", 1, 1, 1, 0, 0)]
    assert [(r.key, r.complaints) for r in department.rows] == [
        ("security", 3), ("cleaning_greening", 1), ("service_centre", 1)]
    # Security: C1 (done), C4 (done again), C5 (open): 3 effective, 2 resolved.
    security = _rows(department)["security"]
    assert (security.effective_resolved, security.effective_rate) == (2, 1.0)
    assert security.handling_rate == pytest.approx(2 / 3)
    assert _rows(department)["cleaning_greening"].handling_rate is None  # C3 only, invalid
    assert [(r.key, r.complaints) for r in community.rows] == [("翠湖花园", 4), ("枫林苑", 1)]


def test_monthly_follow_ups(month):
    factory, _ids = month
    with factory() as session:
        report = figures.monthly_analysis(session, periods.month("2026-11", ZONE_NAME), NOW)
    f = report.follow_ups
    # Owed: complaints C1-C4 and repairs R0-R5, R7 (done in November) = 11.
    # Latest attempt reached: C1 C2 C3 R0 R1 R2 R4 R7 = 8; R5 unreachable; C4, R3 pending.
    assert (f.owed, f.reached, f.unreachable, f.refused, f.pending) == (11, 8, 1, 0, 2)
    assert f.coverage_rate == pytest.approx(8 / 11)
    # Scores: C1 5, C2 4, C3 3, C4 2, R0 5, R1 5, R2 4, R4 5, R7 1 then 4 -> 7 of 10 at 4-5.
    assert (f.scored, f.satisfied, f.satisfaction_rate) == (10, 7, 0.7)
    assert f.mean_satisfaction == pytest.approx(3.8)
    assert f.reopened == 2  # C4, R7
    kind = _rows(report.follow_up_breakdowns[0])
    assert (kind["complaint"].owed, kind["complaint"].reached, kind["complaint"].pending,
            kind["complaint"].satisfied, kind["complaint"].mean_satisfaction) == (4, 3, 1, 2, 3.5)
    assert (kind["repair"].owed, kind["repair"].reached, kind["repair"].unreachable,
            kind["repair"].scored, kind["repair"].mean_satisfaction) == (7, 5, 1, 6, 4.0)
    department = _rows(report.follow_up_breakdowns[2])
    assert {key: row.owed for key, row in department.items()} == {
        "engineering": 7, "cleaning_greening": 2, "security": 2}


def test_recurring_problems(month):
    factory, ids = month
    with factory() as session:
        report = figures.monthly_analysis(session, periods.month("2026-11", ZONE_NAME), NOW)
    assert report.recurring_since == at("2026-09-02 00:00")
    # Room 3-2-1201 plumbing: R0 (October), R1, R2, R3 (R_old is August, R9 December).
    # Building 3's lift: R4, R6 (from 3-2-1202) and R5 (3-1-0501). Plumbing is a flat's
    # own fault: counted per room only.
    assert [(p.scope, p.place, p.category, p.count, p.order_ids) for p in report.recurring] == [
        ("room", "3-2-1201", "plumbing", 4, [ids["R0"], ids["R1"], ids["R2"], ids["R3"]]),
        ("building", "3", "elevator", 3, [ids["R4"], ids["R5"], ids["R6"]])]
    assert report.recurring[0].first_at == at("2026-10-31 23:50")


def test_repair_timeliness(month):
    factory, ids = month
    period = periods.days(dt.date(2026, 11, 1), dt.date(2026, 11, 30), ZONE_NAME)
    with factory() as session:
        report = figures.repair_timeliness(session, period, NOW)
    # R1..R8: R0 called in October, R9 in December (office time).
    assert [line.order_id for line in report.lines] == [
        ids[name] for name in ("R1", "R4", "R2", "R7", "R5", "R3", "R6", "R8")]
    t = report.total
    assert (t.repairs, t.dispatched, t.arrived, t.done, t.reopened) == (8, 8, 6, 6, 1)
    # Call to dispatch: 120 600 60 180 300 120 240 600 s; within 180: R1 R3 R4 R6.
    assert (t.dispatched_within_3_min, t.dispatch_3_min_rate) == (4, 0.5)
    assert (t.call_to_dispatch.median_s, t.call_to_dispatch.mean_s,
            t.call_to_dispatch.longest_s) == (210.0, 277.5, 600)
    assert (t.dispatch_to_arrival.measured, t.dispatch_to_arrival.median_s,
            t.dispatch_to_arrival.mean_s, t.dispatch_to_arrival.longest_s) == (6, 3450.0, 5750.0,
                                                                               17760)
    # Done is the first completion: R7's 11-13 10:00, not its rework's.
    assert (t.arrival_to_done.median_s, t.arrival_to_done.mean_s,
            t.arrival_to_done.longest_s) == (9000.0, 18900.0, 72000)
    assert (t.call_to_done.median_s, t.call_to_done.mean_s) == (12600.0, 24900.0)
    category, department = report.breakdowns
    assert [(r.key, r.repairs, r.dispatched_within_3_min) for r in category.rows] == [
        ("elevator", 3, 2), ("plumbing", 3, 2), ("leak", 1, 0), ("other", 1, 0)]
    assert _rows(category)["plumbing"].call_to_dispatch.median_s == 120.0
    assert [(r.key, r.repairs) for r in department.rows] == [
        ("engineering", 7), ("cleaning_greening", 1)]
    lines = {line.order_id: line for line in report.lines}
    assert lines[ids["R8"]].room == "" and lines[ids["R8"]].call_to_dispatch_s == 600
    assert lines[ids["R7"]].reopened and lines[ids["R7"]].call_to_done_s == 90000


def test_periods():
    assert periods.week_before(dt.date(2026, 12, 1), ZONE_NAME).label == "2026-W48"
    assert periods.week_before(dt.date(2026, 11, 30), ZONE_NAME).label == "2026-W48"
    assert periods.week_before(dt.date(2027, 1, 5), ZONE_NAME).label == "2026-W53"
    assert periods.month_before(dt.date(2027, 1, 5), ZONE_NAME).label == "2026-12"
    assert periods.month("2026-12", ZONE_NAME).end == at("2027-01-01 00:00")
    for maker, text, field in ((periods.week, "2026-48", "week"),
                               (periods.week, "2026-W60", "week"),
                               (periods.month, "2026-13", "month")):
        with pytest.raises(ReportError) as error:
            maker(text, ZONE_NAME)
        assert error.value.field == field
    with pytest.raises(ReportError, match="before"):
        periods.days(dt.date(2026, 11, 30), dt.date(2026, 11, 1), ZONE_NAME)
