"""The office calendar: opening hours per weekday and the public holidays with
their make-up working days (调休), from the TOML file the office edits
(deploy/office-calendar.toml; the path is HOTLINE_OFFICE_CALENDAR).

A file that cannot be read is refused whole, with one line naming the file and the
key, so a typo never leaves the hotline silently open (or closed) on a holiday.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from call_queue.errors import OfficeCalendarError

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# A span may end at 24:00 (open until midnight), which dt.time cannot hold.
_MIDNIGHT = "24:00"


@dataclass(frozen=True)
class OpeningSpan:
    """Open from `start` up to (not including) `end`, within one day; end None = midnight."""
    start: dt.time
    end: dt.time | None

    def contains(self, moment: dt.time) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)


@dataclass(frozen=True)
class Holiday:
    name: str
    first: dt.date
    last: dt.date
    make_up_working_days: tuple[dt.date, ...]


@dataclass(frozen=True)
class OfficeCalendar:
    zone: ZoneInfo
    weekday_hours: tuple[tuple[OpeningSpan, ...], ...]  # Monday first, 7 entries
    make_up_day_hours: tuple[OpeningSpan, ...]
    holiday_hours: tuple[OpeningSpan, ...]
    holidays: tuple[Holiday, ...]
    source: str = ""

    @classmethod
    def from_file(cls, path: Path | str, zone: ZoneInfo | str = "Asia/Shanghai"
                  ) -> "OfficeCalendar":
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise OfficeCalendarError(path, "(file)", f"cannot read: {error.strerror}") \
                from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise OfficeCalendarError(path, "(file)", f"not TOML: {error}") from None
        return cls.from_mapping(raw, ZoneInfo(zone) if isinstance(zone, str) else zone,
                                source=str(path))

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], zone: ZoneInfo,
                     source: str = "(calendar)") -> "OfficeCalendar":
        unknown = set(raw) - {"hours", "holidays"}
        if unknown:
            raise OfficeCalendarError(source, sorted(unknown)[0], "unknown key")
        hours = raw.get("hours")
        if not isinstance(hours, dict):
            raise OfficeCalendarError(source, "hours", "missing or not a table")
        extra = set(hours) - set(WEEKDAYS) - {"make_up_day", "holiday"}
        if extra:
            raise OfficeCalendarError(source, f"hours.{sorted(extra)[0]}", "unknown key")
        weekday = tuple(_spans(source, f"hours.{name}", hours.get(name, None))
                        for name in WEEKDAYS)
        make_up = (_spans(source, "hours.make_up_day", hours["make_up_day"])
                   if "make_up_day" in hours else weekday[0])
        holiday = _spans(source, "hours.holiday", hours.get("holiday", []))
        holidays = _holidays(source, raw.get("holidays", []))
        return cls(zone, weekday, make_up, holiday, holidays, source)

    def holiday_on(self, day: dt.date) -> Holiday | None:
        return next((h for h in self.holidays if h.first <= day <= h.last), None)

    def is_make_up_day(self, day: dt.date) -> bool:
        return any(day in h.make_up_working_days for h in self.holidays)

    def is_rest_day(self, day: dt.date) -> bool:
        """Every public holiday; a weekend unless it is a make-up working day."""
        if self.holiday_on(day):
            return True
        return day.weekday() >= 5 and not self.is_make_up_day(day)

    def opening_hours(self, day: dt.date) -> tuple[OpeningSpan, ...]:
        if self.holiday_on(day):
            return self.holiday_hours
        if self.is_make_up_day(day):
            return self.make_up_day_hours
        return self.weekday_hours[day.weekday()]

    def is_open(self, moment: dt.datetime) -> bool:
        """Open at this aware moment, judged on the office's own clock."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("is_open needs an aware datetime")
        local = moment.astimezone(self.zone)
        return any(span.contains(local.time()) for span in self.opening_hours(local.date()))


def _spans(source: str, key: str, value: Any) -> tuple[OpeningSpan, ...]:
    if value is None:
        raise OfficeCalendarError(source, key, "missing (write [] for a closed day)")
    if not isinstance(value, list):
        raise OfficeCalendarError(source, key, 'not a list of ["HH:MM", "HH:MM"] spans')
    spans = []
    for index, pair in enumerate(value):
        where = f"{key}[{index}]"
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(x, str) for x in pair)):
            raise OfficeCalendarError(source, where, 'not a ["HH:MM", "HH:MM"] pair')
        start = _clock(source, where, pair[0], allow_midnight=False)
        end = _clock(source, where, pair[1], allow_midnight=True)
        if end is not None and end <= start:
            raise OfficeCalendarError(source, where,
                                      f"ends at {pair[1]}, not after its start {pair[0]}")
        spans.append(OpeningSpan(start, end))
    spans.sort(key=lambda s: s.start)
    for before, after in zip(spans, spans[1:]):
        if before.end is None or after.start < before.end:
            raise OfficeCalendarError(source, key, "spans overlap")
    return tuple(spans)


def _clock(source: str, key: str, text: str, allow_midnight: bool) -> dt.time | None:
    if allow_midnight and text == _MIDNIGHT:
        return None
    found = _HHMM.match(text)
    if not found:
        raise OfficeCalendarError(source, key, f"{text!r} is not a time like 08:30")
    return dt.time(int(found.group(1)), int(found.group(2)))


def _date(source: str, key: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise OfficeCalendarError(source, key, f"{value!r} is not a date like 2026-10-01")


def _holidays(source: str, value: Any) -> tuple[Holiday, ...]:
    if not isinstance(value, list):
        raise OfficeCalendarError(source, "holidays", "not a list of [[holidays]] tables")
    found: list[Holiday] = []
    for index, entry in enumerate(value):
        key = f"holidays[{index}]"
        if not isinstance(entry, dict):
            raise OfficeCalendarError(source, key, "not a table")
        unknown = set(entry) - {"name", "days", "make_up_working_days"}
        if unknown:
            raise OfficeCalendarError(source, f"{key}.{sorted(unknown)[0]}", "unknown key")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise OfficeCalendarError(source, f"{key}.name", "missing or empty")
        days = entry.get("days")
        if not (isinstance(days, list) and len(days) == 2):
            raise OfficeCalendarError(source, f"{key}.days", "not [first, last]")
        first = _date(source, f"{key}.days[0]", days[0])
        last = _date(source, f"{key}.days[1]", days[1])
        if last < first:
            raise OfficeCalendarError(source, f"{key}.days", "last day before the first")
        make_up = entry.get("make_up_working_days", [])
        if not isinstance(make_up, list):
            raise OfficeCalendarError(source, f"{key}.make_up_working_days", "not a list")
        make_up_days = tuple(_date(source, f"{key}.make_up_working_days[{i}]", d)
                             for i, d in enumerate(make_up))
        holiday = Holiday(name.strip(), first, last, make_up_days)
        _check_clash(source, key, holiday, found)
        found.append(holiday)
    return tuple(found)


def _check_clash(source: str, key: str, holiday: Holiday, found: list[Holiday]) -> None:
    """A day both rested and worked is a typing mistake the office must see."""
    for day in holiday.make_up_working_days:
        if any(h.first <= day <= h.last for h in [*found, holiday]):
            raise OfficeCalendarError(source, f"{key}.make_up_working_days",
                                      f"{day} is also a holiday")
    for other in found:
        if holiday.first <= other.last and other.first <= holiday.last:
            raise OfficeCalendarError(source, f"{key}.days", f"overlaps {other.name}")
        if any(holiday.first <= d <= holiday.last for d in other.make_up_working_days):
            raise OfficeCalendarError(source, f"{key}.days",
                                      f"covers a make-up working day of {other.name}")
