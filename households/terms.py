"""The settings the household rules read, handed in by the entry points.

Numbers, balances and the screen-pop need the local area code, the office's time
zone and the late-fee rate. The command line and the app factory build one
`HouseholdTerms` from their `Settings`; nothing below them reads the environment.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclasses.dataclass(frozen=True)
class HouseholdTerms:
    local_area_code: str
    office_timezone: str
    late_fee_daily_rate: Decimal

    @classmethod
    def from_settings(cls, settings) -> HouseholdTerms:
        return cls(settings.local_area_code, settings.office_timezone,
                   Decimal(str(settings.late_fee_daily_rate)))

    def today(self) -> dt.date:
        return office_today(self.office_timezone)


def office_today(office_timezone: str) -> dt.date:
    """Today in the office's zone (a UTC server is a day behind Beijing at 16:00 UTC)."""
    return dt.datetime.now(ZoneInfo(office_timezone)).date()

