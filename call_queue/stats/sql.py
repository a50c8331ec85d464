"""The only dialect-specific SQL of the statistics: time buckets and durations.

Every bucket is a text label computed by the database, identical on SQLite and
PostgreSQL, in the office's time zone (a day is the office's day):
  halfhour 'YYYY-MM-DD HH:MM' (MM 00 or 30), day 'YYYY-MM-DD',
  week 'YYYY-MM-DD' of its Monday (ISO week), month 'YYYY-MM-01'.
PostgreSQL holds timestamptz and converts with the zone's name (exact across
daylight-saving changes). SQLite stores UTCDateTime as 'YYYY-MM-DD HH:MM:SS.ffffff'
UTC text and has no zone database: it shifts by the zone's offset at the period's
start, exact for zones without daylight saving (Asia/Shanghai); a period across
a change is logged.
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, cast, func, text
from sqlalchemy.sql import case

from call_queue.errors import StatsError

log = logging.getLogger(__name__)

BUCKETS = ("halfhour", "day", "week", "month")


def bucket_expr(dialect: str, column, by: str, zone: str = "UTC",
                offset_s: int = 0) -> ColumnElement:
    """A text label of the `by` bucket (in `zone`) that `column`, a UTC timestamp,
    falls in. `offset_s`: the zone's UTC offset, for SQLite (see `zone_offset`)."""
    if by not in BUCKETS:
        raise StatsError(f"--by must be one of {', '.join(BUCKETS)}, not {by!r}")
    if dialect == "sqlite":
        local = column if offset_s == 0 else func.datetime(column, f"{offset_s:+d} seconds")
        return _sqlite_bucket(local, by)
    if dialect == "postgresql":
        return _postgres_bucket(func.timezone(zone, column), by)
    raise StatsError(f"statistics support SQLite and PostgreSQL, not {dialect}")


def zone_offset(zone: str, start: dt.datetime, end: dt.datetime) -> int:
    """The zone's UTC offset (s) at `start`; a different one at `end` is logged."""
    tz = ZoneInfo(zone)
    first = int(start.astimezone(tz).utcoffset().total_seconds())
    last = int((end - dt.timedelta(microseconds=1)).astimezone(tz).utcoffset().total_seconds())
    if first != last:
        log.warning("%s changes its UTC offset within %s..%s: SQLite buckets use %+d s",
                    zone, start.isoformat(), end.isoformat(), first)
    return first


def _sqlite_bucket(column, by: str) -> ColumnElement:
    # The stored text starts 'YYYY-MM-DD HH:MM': slicing it is far cheaper than strftime.
    if by == "day":
        return func.substr(column, 1, 10)
    if by == "month":
        return func.substr(column, 1, 7).concat("-01")
    if by == "week":
        # 'weekday 0' moves on to the coming Sunday (or stays on one); 6 days back is Monday.
        return func.date(column, "weekday 0", "-6 days")
    half = case((func.substr(column, 15, 2) < "30", "00"), else_="30")
    return func.substr(column, 1, 14).concat(half)


def _postgres_bucket(local, by: str) -> ColumnElement:
    # `local` is the office's wall-clock time (timestamp without zone).
    if by == "day":
        return func.to_char(local, "YYYY-MM-DD")
    if by == "month":
        return func.to_char(local, "YYYY-MM-01")
    if by == "week":
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    half = case((func.extract("minute", local) < 30, "00"), else_="30")
    return func.to_char(local, "YYYY-MM-DD HH24:").concat(half)


def seconds_between(dialect: str, start, end) -> ColumnElement:
    """end - start in seconds (float), both UTC timestamps."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def greatest(dialect: str, *values) -> ColumnElement:
    return func.max(*values) if dialect == "sqlite" else func.greatest(*values)


def least(dialect: str, *values) -> ColumnElement:
    return func.min(*values) if dialect == "sqlite" else func.least(*values)


def ratio(part, whole) -> ColumnElement:
    """part / whole as a float, NULL when whole is 0 (no calls: no rate)."""
    return cast(part, Float) / func.nullif(whole, 0)


def tune_for_reporting(session) -> None:
    """PostgreSQL: room for the month's grouping in memory (4 MB, the default, sends
    the sort to disk and the planner to a sort-based plan). SET LOCAL ends with the
    transaction, so other queries on the pooled connection keep the default."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
