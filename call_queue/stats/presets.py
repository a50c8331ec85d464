"""Date presets of the statistics page (today, yesterday, this week, this month, last
month), as the office's days: "today" at 01:00 in Shanghai is already the new day
although UTC is still on the old one."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from call_queue.errors import StatsError

PRESETS = ("today", "yesterday", "this_week", "this_month", "last_month")


@dataclasses.dataclass(frozen=True)
class DateRange:
    first_day: dt.date
    end_day: dt.date  # the day after the last one
    by: str  # the bucket that reads best for this range

    def utc_bounds(self, zone: str) -> tuple[dt.datetime, dt.datetime]:
        """Midnight of first_day and of end_day in the office's zone, in UTC."""
        tz = ZoneInfo(zone)
        return tuple(dt.datetime.combine(day, dt.time(), tz).astimezone(dt.timezone.utc)
                     for day in (self.first_day, self.end_day))


def office_today(now: dt.datetime, zone: str) -> dt.date:
    return now.astimezone(ZoneInfo(zone)).date()


def preset_range(name: str, now: dt.datetime, zone: str) -> DateRange:
    """The days a preset covers at `now` (aware) in the office's `zone`."""
    today = office_today(now, zone)
    one_day = dt.timedelta(days=1)
    if name == "today":
        return DateRange(today, today + one_day, "halfhour")
    if name == "yesterday":
        return DateRange(today - one_day, today, "halfhour")
    if name == "this_week":
        return DateRange(today - dt.timedelta(days=today.weekday()), today + one_day, "day")
    first_of_month = today.replace(day=1)
    if name == "this_month":
        return DateRange(first_of_month, today + one_day, "day")
    if name == "last_month":
        return DateRange((first_of_month - one_day).replace(day=1), first_of_month, "day")
    raise StatsError(f"preset must be one of {', '.join(PRESETS)}, not {name!r}")
