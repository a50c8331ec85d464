"""The department rules without a database: acceptance deadlines by urgency, the
promised time, work hours, a repair's completion fields, and when the centre is told."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow import department_rules as rules
from workflow.department_rules import BadDepartmentInput

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("urgency, minutes", [("emergency", 10), ("urgent", 30),
                                              ("normal", 120), ("unknown", 120)])
def test_acceptance_deadline_follows_urgency(urgency, minutes):
    assert rules.accept_due(NOW, urgency) == NOW + dt.timedelta(minutes=minutes)


def test_acceptance_deadline_needs_an_aware_time():
    with pytest.raises(ValueError):
        rules.accept_due(NOW.replace(tzinfo=None), "normal")


@pytest.mark.parametrize("role, mine, department, allowed", [
    ("department", ("engineering",), "engineering", True),
    ("department", ("engineering", "security"), "security", True),
    ("department", ("engineering",), "security", False),
    ("department", ("engineering",), None, False),
    ("department", (), "engineering", False),
    ("agent", ("engineering",), "engineering", False),
    ("supervisor", (), "engineering", False),
])
def test_only_their_departments_orders(role, mine, department, allowed):
    assert rules.may_act(role, mine, department) is allowed


def test_promise_must_be_given_not_past_not_far():
    assert rules.check_promise(NOW + dt.timedelta(hours=3), NOW) == NOW + dt.timedelta(hours=3)
    assert rules.check_promise(NOW - dt.timedelta(seconds=30), NOW)  # the current minute
    for value, code in [(None, "required"), (NOW - dt.timedelta(minutes=5), "in_the_past"),
                        (NOW + dt.timedelta(days=31), "too_far")]:
        with pytest.raises(BadDepartmentInput) as error:
            rules.check_promise(value, NOW)
        assert (error.value.field, error.value.code) == ("promised_at", code)


@pytest.mark.parametrize("text, minutes", [("1.5", 90), ("2", 120), ("0.25", 15),
                                           (" 1,5 ", 90), ("0.001", 1), ("100", 6000)])
def test_work_hours_become_minutes(text, minutes):
    assert rules.work_minutes(text) == minutes


@pytest.mark.parametrize("text, code", [("", "required"), (None, "required"),
                                        ("abc", "not_a_number"), ("0", "out_of_range"),
                                        ("-1", "out_of_range"), ("100.5", "out_of_range"),
                                        ("nan", "out_of_range"), ("inf", "out_of_range")])
def test_bad_work_hours_are_refused_on_their_field(text, code):
    with pytest.raises(BadDepartmentInput) as error:
        rules.work_minutes(text)
    assert (error.value.field, error.value.code) == ("work_hours", code)


def test_a_repair_needs_materials_and_paid_or_free():
    done = rules.completion("repair", "1.5", " washer ", "free", "tap fixed")
    assert done == rules.Completion(90, "washer", False, "tap fixed")
    assert rules.completion("repair", "1", "none", "paid", "").paid is True
    with pytest.raises(BadDepartmentInput) as error:
        rules.completion("repair", "1", "", "free", "")
    assert error.value.field == "materials"
    with pytest.raises(BadDepartmentInput) as error:
        rules.completion("repair", "1", "washer", "", "")
    assert error.value.field == "paid"


def test_a_complaint_needs_only_hours():
    assert rules.completion("complaint", "0.5", "", None, "") == rules.Completion(30, "", None, "")


def test_text_too_long_is_refused():
    with pytest.raises(BadDepartmentInput) as error:
        rules.check_text("reason", "x" * 501, required=True)
    assert (error.value.code, error.value.params) == ("too_long", {"most": 500, "length": 501})


def test_late_deadlines_are_told_once_each():
    due = NOW + dt.timedelta(hours=2)
    later = due + dt.timedelta(minutes=1)
    assert rules.late_deadlines("open", due, None, False, False, NOW) == []
    assert rules.late_deadlines("open", due, None, False, False, later) == ["accept"]
    assert rules.late_deadlines("open", due, None, True, False, later) == []
    promised = later + dt.timedelta(hours=1)
    assert rules.late_deadlines("accepted", due, promised, True, False, later) == []
    past_promise = promised + dt.timedelta(seconds=1)
    assert rules.late_deadlines("accepted", due, promised, True, False, past_promise) == ["promise"]
    assert rules.late_deadlines("accepted", due, promised, True, True, past_promise) == []
    for state in ("completed", "rejected"):
        assert rules.late_deadlines(state, due, promised, False, False, past_promise) == []


def test_overdue_names_the_missed_deadline():
    due = NOW + dt.timedelta(hours=2)
    assert rules.overdue("open", due, None, NOW) is None
    assert rules.overdue("open", due, None, due + dt.timedelta(seconds=1)) == "accept"
    assert rules.overdue("accepted", due, NOW, due) == "promise"
    assert rules.overdue("completed", due, NOW, due) is None


def test_an_order_the_centre_moved_on_waits_for_no_acceptance():
    due = NOW + dt.timedelta(hours=2)
    later = due + dt.timedelta(minutes=1)
    assert rules.late_deadlines("open", due, None, False, False, later, "in_progress") == []
    assert rules.overdue("open", due, None, later, "in_progress") is None
