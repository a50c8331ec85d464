"""Report periods on the office's calendar: an ISO week, a month, a range of days.

Each is a half-open interval [start, end) of aware datetimes in the office zone
(midnight to midnight); the queries compare them with the UTC columns directly.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from reports.errors import ReportError

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
RECURRING_WINDOW = dt.timedelta(days=90)  # 004: problems that keep coming back


@dataclasses.dataclass(frozen=True)
class ReportPeriod:
    kind: str            # week, month, range
    label: str           # 2026-W48, 2026-11, 2026-11-01..2026-11-30
    start: dt.datetime   # office midnight, aware
    end: dt.datetime     # exclusive
    time_zone: str

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def week(text: str, time_zone: str) -> ReportPeriod:
    """'2026-W48' -> Monday 00:00 to the next Monday 00:00, office time."""
    match = WEEK.match(text.strip())
    if not match:
        raise ReportError("week", f"{text!r} is not an ISO week such as 2026-W48")
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ReportError("week", f"{text!r}: the year has no such week") from None
    zone = ZoneInfo(time_zone)
    return ReportPeriod("week", text.strip(), _midnight(monday, zone),
                        _midnight(monday + dt.timedelta(days=7), zone), time_zone)


def week_before(today: dt.date, time_zone: str) -> ReportPeriod:
    """The last whole Monday-Sunday week before `today` (a Tuesday's report: the week before)."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    year, number, _ = monday.isocalendar()
    return week(f"{year}-W{number:02d}", time_zone)


def month(text: str, time_zone: str) -> ReportPeriod:
    """'2026-11' -> the 1st 00:00 to the next month's 1st, office time."""
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ReportError("month", f"{text!r} is not a month such as 2026-11")
    first = dt.date(int(match[1]), int(match[2]), 1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    zone = ZoneInfo(time_zone)
    return ReportPeriod("month", text.strip(), _midnight(first, zone),
                        _midnight(following, zone), time_zone)


def month_before(today: dt.date, time_zone: str) -> ReportPeriod:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return month(f"{last.year}-{last.month:02d}", time_zone)


def parse_day(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(field, f"{text!r} is not a date (YYYY-MM-DD)") from None


def days(first: dt.date, last: dt.date, time_zone: str) -> ReportPeriod:
    """First to last day inclusive, office time."""
    if last < first:
        raise ReportError("to", f"{last.isoformat()} is before {first.isoformat()}")
    if (last - first).days > 366:
        raise ReportError("to", "at most a year at a time")
    zone = ZoneInfo(time_zone)
    return ReportPeriod("range", f"{first.isoformat()}..{last.isoformat()}",
                        _midnight(first, zone), _midnight(last + dt.timedelta(days=1), zone),
                        time_zone)
