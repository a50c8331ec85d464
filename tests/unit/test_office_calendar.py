"""The office calendar on known dates of 2026 (the State Council's arrangement) and
its refusals: every malformed file is one line naming the file and the key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from call_queue.errors import OfficeCalendarError
from call_queue.office_calendar import OfficeCalendar, OpeningSpan
from hotline.settings import REPO_ROOT

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT = REPO_ROOT / "deploy" / "office-calendar.toml"


@pytest.fixture(scope="module")
def calendar() -> OfficeCalendar:
    return OfficeCalendar.from_file(DEFAULT, SHANGHAI)


@pytest.mark.parametrize("day, rest", [
    ("2026-01-01", True),   # 元旦, Thursday
    ("2026-01-02", True),   # Friday, swapped for Sunday 4 January
    ("2026-01-04", False),  # Sunday worked (调休上班)
    ("2026-02-14", False),  # Saturday worked before 春节
    ("2026-02-17", True),   # 正月初一
    ("2026-02-23", True),   # 正月初七, Monday, last day of the nine
    ("2026-02-24", False),  # Tuesday after
    ("2026-02-28", False),  # Saturday worked after 春节
    ("2026-04-06", True),   # 清明 Monday
    ("2026-05-05", True),   # 劳动节 Tuesday
    ("2026-05-09", False),  # Saturday worked
    ("2026-06-19", True),   # 端午 Friday
    ("2026-09-20", False),  # Sunday worked before 国庆
    ("2026-09-25", True),   # 中秋 Friday
    ("2026-10-07", True),   # 国庆 Wednesday
    ("2026-10-10", False),  # Saturday worked after 国庆
    ("2026-12-05", True),   # an ordinary Saturday
    ("2026-12-07", False),  # an ordinary Monday
])
def test_rest_days_of_2026(calendar, day, rest):
    assert calendar.is_rest_day(dt.date.fromisoformat(day)) is rest


def test_opening_hours_of_a_workday_a_holiday_and_a_make_up_sunday(calendar):
    office = (OpeningSpan(dt.time(8, 30), dt.time(17, 30)),)
    assert calendar.opening_hours(dt.date(2026, 12, 7)) == office
    assert calendar.opening_hours(dt.date(2026, 10, 1)) == ()
    assert calendar.opening_hours(dt.date(2026, 12, 6)) == ()
    assert calendar.opening_hours(dt.date(2026, 1, 4)) == office


def test_is_open_on_the_office_clock_not_utc(calendar):
    # 00:45 UTC on Monday 7 December is 08:45 in Shanghai: open.
    assert calendar.is_open(dt.datetime(2026, 12, 7, 0, 45, tzinfo=dt.timezone.utc))
    # 08:29 Shanghai: not yet; 17:30 sharp: closed.
    assert not calendar.is_open(dt.datetime(2026, 12, 7, 8, 29, tzinfo=SHANGHAI))
    assert calendar.is_open(dt.datetime(2026, 12, 7, 17, 29, tzinfo=SHANGHAI))
    assert not calendar.is_open(dt.datetime(2026, 12, 7, 17, 30, tzinfo=SHANGHAI))
    # Thursday 1 October at noon: 国庆, closed; Saturday 10 October at noon: worked.
    assert not calendar.is_open(dt.datetime(2026, 10, 1, 12, 0, tzinfo=SHANGHAI))
    assert calendar.is_open(dt.datetime(2026, 10, 10, 12, 0, tzinfo=SHANGHAI))


def test_a_naive_moment_is_refused(calendar):
    with pytest.raises(ValueError):
        calendar.is_open(dt.datetime(2026, 12, 7, 12, 0))


def test_a_span_to_midnight_and_a_split_day(tmp_path):
    path = _write(tmp_path, _hours(monday='[["08:00", "12:00"], ["13:00", "24:00"]]'))
    calendar = OfficeCalendar.from_file(path, SHANGHAI)
    monday = dt.date(2026, 12, 7)
    assert not calendar.is_open(dt.datetime.combine(monday, dt.time(12, 30), SHANGHAI))
    assert calendar.is_open(dt.datetime.combine(monday, dt.time(23, 59), SHANGHAI))


def _hours(**override: str) -> str:
    days = {d: '[["08:30", "17:30"]]' for d in
            ("monday", "tuesday", "wednesday", "thursday", "friday")}
    days |= {"saturday": "[]", "sunday": "[]"} | override
    return "[hours]\n" + "".join(f"{k} = {v}\n" for k, v in days.items())


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


HOLIDAY = '[[holidays]]\nname = "国庆节"\ndays = ["2026-10-01", "2026-10-07"]\n'


@pytest.mark.parametrize("text, key", [
    ("[hours\n", "(file)"),
    (_hours(monday='[["8h", "17:30"]]'), "hours.monday[0]"),
    (_hours(tuesday='[["17:30", "08:30"]]'), "hours.tuesday[0]"),
    (_hours(friday='"08:30-17:30"'), "hours.friday"),
    (_hours(monday='[["08:00", "12:00"], ["11:00", "18:00"]]'), "hours.monday"),
    (_hours().replace('sunday = []\n', ''), "hours.sunday"),
    (_hours(fridday="[]"), "hours.fridday"),
    (_hours() + "[[holidays]]\nname = \"国庆节\"\ndays = [\"2026-10-01\"]\n",
     "holidays[0].days"),
    (_hours() + HOLIDAY.replace("2026-10-07", "2026-10-32"), "holidays[0].days[1]"),
    (_hours() + HOLIDAY + 'make_up_working_days = ["2026-10-03"]\n',
     "holidays[0].make_up_working_days"),
    (_hours() + HOLIDAY + HOLIDAY.replace("国庆节", "again"), "holidays[1].days"),
    (_hours() + "[[holidays]]\ndays = [\"2026-10-01\", \"2026-10-02\"]\n",
     "holidays[0].name"),
])
def test_a_malformed_file_names_the_file_and_the_key(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(OfficeCalendarError) as refused:
        OfficeCalendar.from_file(path, SHANGHAI)
    line = str(refused.value)
    assert line.startswith(f"{path}: {key}: ")
    assert "\n" not in line


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(OfficeCalendarError, match=r"nowhere\.toml: \(file\): cannot read"):
        OfficeCalendar.from_file(tmp_path / "nowhere.toml", SHANGHAI)


def test_the_path_is_a_setting(monkeypatch, tmp_path):
    from hotline.settings import load_settings

    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    assert load_settings().office_calendar_path == DEFAULT
    monkeypatch.setenv("HOTLINE_OFFICE_CALENDAR", str(tmp_path / "office.toml"))
    assert load_settings().office_calendar_path == tmp_path / "office.toml"


def test_the_bridge_does_not_start_on_a_malformed_calendar(tmp_path):
    import dataclasses

    from hotline.bridge_root import run_bridge
    from hotline.settings import get_settings

    path = _write(tmp_path, _hours(monday='[["8h", "17:30"]]'))
    settings = dataclasses.replace(get_settings(), office_calendar_path=path)
    # Refused before anything connects: the engine is never touched.
    with pytest.raises(OfficeCalendarError, match=r"hours\.monday\[0\]"):
        run_bridge(settings, engine=None)
