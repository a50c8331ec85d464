"""Adherence rules by hand: time ready inside the shift ÷ the shift, norm 92 %."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from call_queue.adherence import ADHERENCE_NORM, StateSpan, Window, adherence

OFFICE = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=OFFICE)


SHIFT = [Window(at(8), at(16))]  # 08:00–16:00 office time: 480 min scheduled
SPANS = [
    StateSpan("idle", at(7, 30), at(8)),            # before the shift: not counted
    StateSpan("unavailable", at(8), at(8, 10)),     # logged in 10 min late
    StateSpan("idle", at(8, 10), at(9)),            # 50 min
    StateSpan("talking", at(9), at(11, 30)),        # 150 min
    StateSpan("wrapup", at(11, 30), at(12)),        # 30 min (work: counts)
    StateSpan("paused", at(12), at(12, 20)),        # a pause: 20 min not ready
    StateSpan("on_hold", at(12, 20), at(12, 30)),   # 10 min
    StateSpan("idle", at(12, 30), at(17)),          # 210 min to 16:00, then outside
]


def test_shift_with_a_pause_and_time_outside_it():
    # Ready inside 08:00–16:00: 50 + 150 + 30 + 10 + 210 = 450 min = 7 h 30 min.
    result = adherence(SHIFT, SPANS, now=at(20))
    assert result.scheduled_s == 480 * 60
    assert result.ready_s == 450 * 60
    assert result.rate == 0.9375
    assert result.meets_norm is True


def test_a_longer_pause_falls_below_the_norm():
    spans = [StateSpan("idle", at(8), at(12)), StateSpan("paused", at(12), at(13)),
             StateSpan("idle", at(13), at(16))]
    result = adherence(SHIFT, spans, now=at(20))
    assert result.ready_s == 420 * 60
    assert result.rate == 0.875 < ADHERENCE_NORM
    assert result.meets_norm is False


def test_a_shift_under_way_counts_only_its_past_and_an_open_span_runs_to_now():
    result = adherence(SHIFT, [StateSpan("idle", at(8, 30), None)], now=at(10))
    assert result.scheduled_s == 120 * 60
    assert result.ready_s == 90 * 60
    assert result.rate == 0.75


def test_no_shift_no_rate_and_overlapping_spans_count_once():
    assert adherence([], SPANS, now=at(20)).rate is None
    assert adherence([Window(at(10), at(14))], [], now=at(9)).rate is None
    doubled = [StateSpan("idle", at(8), at(16)), StateSpan("talking", at(9), at(10))]
    assert adherence(SHIFT, doubled, now=at(20)).rate == 1.0


def test_night_shift_across_midnight():
    night = [Window(at(17, 30), at(8, 30, day=2))]  # the seeds' night duty: 15 h
    spans = [StateSpan("idle", at(17, 30), at(2, day=2)),
             StateSpan("unavailable", at(2, day=2), at(3, day=2)),
             StateSpan("idle", at(3, day=2), at(9, day=2))]
    result = adherence(night, spans, now=at(12, day=2))
    assert result.scheduled_s == 15 * 3600
    assert result.ready_s == 14 * 3600
