"""Deadlines of work orders and follow-up calls, as the seed documents set them.

Pure functions over aware datetimes; every number is quoted from
shared/domain.md with the seed it comes from:

- hand a repair order to engineering within 3 minutes of the call (003);
- major complaint: to the office director the same day, a clear answer to the
  resident within 2 days, resolved within 10 days (004);
- important complaint: to the department supervisor within 1 hour, resolved
  within 3 days (004);
- minor complaint: resolved within 2 days or by the resident's own deadline (004);
- follow-up call after a repair: within 24 h of completion (000); safety-facility
  repairs within 2 days, leak repairs within 3 days after the leak test, other
  repairs within 2 days (004). Both are kept: the 24 h service target and the
  per-repair limit; an order is overdue only past the limit.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

DISPATCH_WITHIN = dt.timedelta(minutes=3)
MAJOR_ANSWER_WITHIN = dt.timedelta(days=2)
MAJOR_RESOLVE_WITHIN = dt.timedelta(days=10)
IMPORTANT_ESCALATE_WITHIN = dt.timedelta(hours=1)
IMPORTANT_RESOLVE_WITHIN = dt.timedelta(days=3)
MINOR_RESOLVE_WITHIN = dt.timedelta(days=2)

FOLLOW_UP_TARGET = dt.timedelta(hours=24)
SAFETY_REPAIR_FOLLOW_UP = dt.timedelta(days=2)
LEAK_REPAIR_FOLLOW_UP = dt.timedelta(days=3)
OTHER_REPAIR_FOLLOW_UP = dt.timedelta(days=2)

KINDS_DISPATCHED = frozenset({"repair", "complaint"})
KINDS_FOLLOWED_UP = frozenset({"repair", "complaint"})
SAFETY_CATEGORIES = frozenset({"safety_facility"})
LEAK_CATEGORIES = frozenset({"leak"})


@dataclasses.dataclass(frozen=True)
class OrderDeadlines:
    dispatch_due_at: Optional[dt.datetime]
    escalate_to: Optional[str]          # "director" or "supervisor"
    escalate_due_at: Optional[dt.datetime]
    answer_due_at: Optional[dt.datetime]
    resolve_due_at: Optional[dt.datetime]


@dataclasses.dataclass(frozen=True)
class FollowUpDue:
    target_at: dt.datetime
    due_at: dt.datetime
    rule: str


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


def end_of_local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The last instant of `moment`'s calendar day in the office's zone `tz`, in UTC."""
    local = moment.astimezone(tz)
    next_midnight = dt.datetime.combine(
        local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return (next_midnight - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc)


def order_deadlines(
    kind: str,
    call_at: dt.datetime,
    complaint_tier: Optional[str] = None,
    resident_deadline: Optional[dt.datetime] = None,
    *,
    tz: dt.tzinfo,
) -> OrderDeadlines:
    """The deadlines a new order carries, counted from the call that raised it.

    `tz` is the office's zone (settings.office_timezone): its clock decides "the same day".
    """
    _require_aware(call_at, "call_at")
    dispatch_due = call_at + DISPATCH_WITHIN if kind in KINDS_DISPATCHED else None
    if kind != "complaint":
        return OrderDeadlines(dispatch_due, None, None, None, None)
    if complaint_tier == "major":
        return OrderDeadlines(
            dispatch_due, "director", end_of_local_day(call_at, tz),
            call_at + MAJOR_ANSWER_WITHIN, call_at + MAJOR_RESOLVE_WITHIN)
    if complaint_tier == "important":
        return OrderDeadlines(
            dispatch_due, "supervisor", call_at + IMPORTANT_ESCALATE_WITHIN,
            None, call_at + IMPORTANT_RESOLVE_WITHIN)
    if complaint_tier == "minor":
        if resident_deadline is not None:
            _require_aware(resident_deadline, "resident_deadline")
        resolve = resident_deadline or call_at + MINOR_RESOLVE_WITHIN
        return OrderDeadlines(dispatch_due, None, None, None, resolve)
    raise ValueError(f"a complaint needs a tier (major, important, minor), not {complaint_tier!r}")


def follow_up_due(
    kind: str,
    category: str,
    done_at: dt.datetime,
    leak_test_at: Optional[dt.datetime] = None,
) -> Optional[FollowUpDue]:
    """When the follow-up call after a finished order is owed; None if none is."""
    _require_aware(done_at, "done_at")
    if kind not in KINDS_FOLLOWED_UP:
        return None
    target = done_at + FOLLOW_UP_TARGET
    if kind == "complaint":
        return FollowUpDue(target, target, "complaint_24h")
    if category in SAFETY_CATEGORIES:
        return FollowUpDue(target, done_at + SAFETY_REPAIR_FOLLOW_UP, "safety_repair_2d")
    if category in LEAK_CATEGORIES:
        tested_at = leak_test_at or done_at
        _require_aware(tested_at, "leak_test_at")
        return FollowUpDue(target, tested_at + LEAK_REPAIR_FOLLOW_UP, "leak_repair_3d_after_test")
    return FollowUpDue(target, done_at + OTHER_REPAIR_FOLLOW_UP, "other_repair_2d")


def overdue_deadlines(order_deadlines_by_name: dict, status: str, now: dt.datetime) -> list[str]:
    """Names of the deadlines an order in `status` has missed at `now`."""
    _require_aware(now, "now")
    missed = []
    dispatch_due = order_deadlines_by_name.get("dispatch_due_at")
    if dispatch_due and status == "new" and now > dispatch_due:
        missed.append("dispatch")
    resolve_due = order_deadlines_by_name.get("resolve_due_at")
    if resolve_due and status in ("new", "dispatched", "in_progress") and now > resolve_due:
        missed.append("resolve")
    escalate_due = order_deadlines_by_name.get("escalate_due_at")
    if escalate_due and status == "new" and now > escalate_due:
        missed.append("escalate")
    return missed
