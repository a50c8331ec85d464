"""The statistics page's grouping (every measure in one named group, a new measure is
one entry) and its date presets as the office's days (Asia/Shanghai is UTC+8)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from call_queue.errors import StatsError
from call_queue.stats.groups import BREAKDOWNS, GROUPS, OTHER, grouped
from call_queue.stats.measures import MEASURES
from call_queue.stats.presets import PRESETS, DateRange, preset_range

UTC = dt.timezone.utc
ZONE = "Asia/Shanghai"


def test_every_measure_is_in_a_named_group_once_in_measure_order():
    groups = grouped()
    assert [entry.group.key for entry in groups] == [group.key for group in GROUPS]
    shown = [measure.key for entry in groups for measure in entry.measures]
    assert sorted(shown) == sorted(measure.key for measure in MEASURES)
    assert len(shown) == len(set(shown))
    by_group = {entry.group.key: [m.key for m in entry.measures] for entry in groups}
    assert by_group["speed"][:1] == ["service_level"] and "asa_s" in by_group["speed"]
    assert "occupancy" in by_group["agents"] and "fcr_rate" in by_group["quality"]
    assert "follow_up_rate" in by_group["workflow"] and "abandon_rate" in by_group["volume"]


def test_a_new_measure_is_one_entry_and_an_unknown_group_is_still_shown():
    blocked = dataclasses.replace(MEASURES[0], key="blocked_rate", group="volume")
    stray = dataclasses.replace(MEASURES[0], key="stray", group="nowhere")
    groups = {entry.group.key: [m.key for m in entry.measures]
              for entry in grouped(MEASURES + (blocked, stray))}
    assert groups["volume"][-1] == "blocked_rate"
    assert groups[OTHER.key] == ["stray"]


def test_breakdowns_name_their_report_rows():
    assert [(b.level, b.report_key) for b in BREAKDOWNS] == [("queue", "by_queue"),
                                                             ("agent", "by_agent"),
                                                             ("host", "by_host")]


# 2026-03-09 17:30 UTC is 2026-03-10 01:30 in Shanghai, a Tuesday.
AFTER_OFFICE_MIDNIGHT = dt.datetime(2026, 3, 9, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize("name, first, end, by", [
    ("today", dt.date(2026, 3, 10), dt.date(2026, 3, 11), "halfhour"),
    ("yesterday", dt.date(2026, 3, 9), dt.date(2026, 3, 10), "halfhour"),
    ("this_week", dt.date(2026, 3, 9), dt.date(2026, 3, 11), "day"),
    ("this_month", dt.date(2026, 3, 1), dt.date(2026, 3, 11), "day"),
    ("last_month", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "day"),
])
def test_presets_are_office_days(name, first, end, by):
    assert preset_range(name, AFTER_OFFICE_MIDNIGHT, ZONE) == DateRange(first, end, by)
    # The same instant is still the 9th in UTC: there "today" is the 9th.
    assert preset_range("today", AFTER_OFFICE_MIDNIGHT, "UTC").first_day == dt.date(2026, 3, 9)


def test_preset_bounds_are_office_midnights_in_utc():
    start, end = preset_range("today", AFTER_OFFICE_MIDNIGHT, ZONE).utc_bounds(ZONE)
    assert start == dt.datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert end == dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def test_last_month_in_january_is_last_december_and_a_week_starts_on_monday():
    new_year = dt.datetime(2026, 1, 4, 4, 0, tzinfo=UTC)  # Sunday 4 January, 12:00 office
    assert preset_range("last_month", new_year, ZONE) == DateRange(
        dt.date(2025, 12, 1), dt.date(2026, 1, 1), "day")
    assert preset_range("this_week", new_year, ZONE).first_day == dt.date(2025, 12, 29)


def test_an_unknown_preset_is_refused_by_name():
    with pytest.raises(StatsError, match="preset must be one of"):
        preset_range("next_year", AFTER_OFFICE_MIDNIGHT, ZONE)
    assert "last_month" in PRESETS
