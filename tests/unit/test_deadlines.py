"""Deadlines from domain.md: dispatch, complaint tiers, follow-up windows."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from workflow import deadlines

UTC = dt.timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai (UTC+8) on a Monday.
CALL = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_repair_is_dispatched_within_three_minutes_of_the_call():
    due = deadlines.order_deadlines("repair", CALL, tz=SHANGHAI)
    assert due.dispatch_due_at == CALL + dt.timedelta(minutes=3)
    assert due.resolve_due_at is None and due.escalate_to is None


@pytest.mark.parametrize("kind", ["enquiry", "fee", "praise", "other"])
def test_kinds_without_dispatch_have_no_deadlines(kind):
    assert deadlines.order_deadlines(kind, CALL, tz=SHANGHAI) == deadlines.OrderDeadlines(
        None, None, None, None, None)


def test_major_complaint_goes_to_the_director_the_same_local_day():
    due = deadlines.order_deadlines("complaint", CALL, "major", tz=SHANGHAI)
    assert due.escalate_to == "director"
    # end of 23 Nov in Shanghai is 15:59:59.999999 UTC
    assert due.escalate_due_at == dt.datetime(2026, 11, 23, 15, 59, 59, 999999, tzinfo=UTC)
    assert due.answer_due_at == CALL + dt.timedelta(days=2)
    assert due.resolve_due_at == CALL + dt.timedelta(days=10)


def test_the_same_day_is_the_zone_passed_in():
    # 02:00 UTC is 10:00 in Shanghai but still 22 Nov in New York.
    due = deadlines.order_deadlines("complaint", CALL, "major", tz=ZoneInfo("America/New_York"))
    assert due.escalate_due_at == dt.datetime(2026, 11, 23, 4, 59, 59, 999999, tzinfo=UTC)


def test_same_day_follows_the_office_clock_not_utc():
    late_evening_local = dt.datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    due = deadlines.order_deadlines("complaint", late_evening_local, "major", tz=SHANGHAI)
    assert due.escalate_due_at - late_evening_local < dt.timedelta(minutes=30)


def test_important_complaint_supervisor_within_an_hour_resolved_in_three_days():
    due = deadlines.order_deadlines("complaint", CALL, "important", tz=SHANGHAI)
    assert (due.escalate_to, due.escalate_due_at) == ("supervisor", CALL + dt.timedelta(hours=1))
    assert due.answer_due_at is None
    assert due.resolve_due_at == CALL + dt.timedelta(days=3)


def test_minor_complaint_two_days_or_the_residents_deadline():
    assert deadlines.order_deadlines("complaint", CALL, "minor", tz=SHANGHAI).resolve_due_at == \
        CALL + dt.timedelta(days=2)
    wish = CALL + dt.timedelta(hours=5)
    assert deadlines.order_deadlines("complaint", CALL, "minor", wish, tz=SHANGHAI).resolve_due_at == wish


def test_complaint_without_tier_and_naive_times_are_refused():
    with pytest.raises(ValueError, match="tier"):
        deadlines.order_deadlines("complaint", CALL, None, tz=SHANGHAI)
    with pytest.raises(ValueError, match="aware"):
        deadlines.order_deadlines("repair", CALL.replace(tzinfo=None), tz=SHANGHAI)


DONE = dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind, category, leak_test_at, due_after, rule", [
    ("repair", "safety_facility", None, dt.timedelta(days=2), "safety_repair_2d"),
    ("repair", "plumbing", None, dt.timedelta(days=2), "other_repair_2d"),
    ("repair", "leak", DONE + dt.timedelta(days=1), dt.timedelta(days=4),
     "leak_repair_3d_after_test"),
    ("repair", "leak", None, dt.timedelta(days=3), "leak_repair_3d_after_test"),
    ("complaint", "noise", None, dt.timedelta(hours=24), "complaint_24h"),
])
def test_follow_up_windows(kind, category, leak_test_at, due_after, rule):
    due = deadlines.follow_up_due(kind, category, DONE, leak_test_at)
    assert due.due_at == DONE + due_after
    assert due.target_at == DONE + dt.timedelta(hours=24)  # seed 000's 24 h standard
    assert due.rule == rule


@pytest.mark.parametrize("kind", ["enquiry", "fee", "praise", "other"])
def test_no_follow_up_for_other_kinds(kind):
    assert deadlines.follow_up_due(kind, "other", DONE) is None


def test_overdue_names_missed_deadlines_by_status():
    due = {"dispatch_due_at": CALL + dt.timedelta(minutes=3),
           "resolve_due_at": CALL + dt.timedelta(days=3), "escalate_due_at": None}
    later = CALL + dt.timedelta(minutes=4)
    assert deadlines.overdue_deadlines(due, "new", later) == ["dispatch"]
    assert deadlines.overdue_deadlines(due, "dispatched", later) == []
    much_later = CALL + dt.timedelta(days=4)
    assert deadlines.overdue_deadlines(due, "in_progress", much_later) == ["resolve"]
    assert deadlines.overdue_deadlines(due, "done", much_later) == []
