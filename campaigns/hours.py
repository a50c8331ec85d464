"""When a campaign may call: its windows in office time, never on a rest day.

The rest days come from the office calendar (call_queue.office_calendar); the
composition root passes its `is_rest_day`, so this module reads no file.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Callable
from zoneinfo import ZoneInfo

from campaigns.errors import CampaignConfigError

DEFAULT_HOURS = "09:00-12:00,14:00-20:00"
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclasses.dataclass(frozen=True)
class Window:
    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        return self.start <= moment < self.end


def parse_windows(text: str) -> tuple[Window, ...]:
    """"09:00-12:00,14:00-20:00" -> windows; CampaignConfigError naming the bad span."""
    windows = []
    for span in (part.strip() for part in text.split(",")):
        match = _SPAN.match(span)
        if match is None:
            raise CampaignConfigError(f"calling hours {span!r}: write HH:MM-HH:MM")
        start = dt.time(int(match[1]), int(match[2]))
        end = dt.time.max if match[3] == "24" else dt.time(int(match[3]), int(match[4]))
        if end <= start:
            raise CampaignConfigError(f"calling hours {span!r}: the end is not after the start")
        windows.append(Window(start, end))
    if not windows:
        raise CampaignConfigError("calling hours are empty")
    return tuple(windows)


@dataclasses.dataclass(frozen=True)
class CallingHours:
    zone: ZoneInfo
    is_rest_day: Callable[[dt.date], bool]

    def open_at(self, hours_text: str, moment: dt.datetime) -> bool:
        """May a campaign with these hours call at `moment` (aware)?"""
        local = moment.astimezone(self.zone)
        if self.is_rest_day(local.date()):
            return False
        return any(window.contains(local.time()) for window in parse_windows(hours_text))
