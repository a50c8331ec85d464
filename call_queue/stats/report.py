"""Call-centre statistics for a period: every measure by bucket, per queue, per agent.

`compute_stats(session, period, settings)` runs one GROUP BY query per source
table and grouping (bucket rows, total, per queue, per agent: no N+1) and
returns a JSON-ready report in which each measure stands beside its norm.
The CLI (`hotline stats`), the supervisor's statistics page and the Excel
export all read this report.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from call_queue.stats import queries as q
from call_queue.errors import StatsError
from call_queue.stats.groups import BREAKDOWNS
from call_queue.stats.measures import BY_KEY, MEASURES, PER_AGENT_NORMS
from call_queue.stats.rollup import LEVELS
from call_queue.stats.sql import BUCKETS, tune_for_reporting

log = logging.getLogger(__name__)

GROUPS = LEVELS
# Keep-my-place callbacks (line_callback.figures): counts, 0 on a row with no call.
CALLBACK_COUNTS = ("callbacks_offered", "callbacks_accepted", "callbacks_completed",
                   "callbacks_failed")
_REPORT_KEYS = {breakdown.level: breakdown.report_key for breakdown in BREAKDOWNS}


def parse_day(text: str, option: str, zone: str = "UTC") -> dt.datetime:
    """'YYYY-MM-DD' (or an ISO time) as a UTC datetime; a date or a time without
    zone is the office's (`zone`) wall clock. StatsError names the option."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise StatsError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(dt.timezone.utc)


def make_period(start: dt.datetime, end: dt.datetime, by: str, queue=None, agent=None,
                zone: str = "UTC"):
    if by not in BUCKETS:
        raise StatsError(f"--by must be one of {', '.join(BUCKETS)}, not {by!r}")
    if end <= start:
        raise StatsError(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()})")
    return q.Period(start, end, by, queue or None, agent or None, zone)


def _derive(values: dict, per_agent: bool) -> dict:
    """Measures that combine two sources (calls and agent time; calls and queue_log's
    blocked calls). A row with no blocked call, estimate or callback has none: 0, except an
    agent's row (or an agent's report), where a refused caller or the queue's estimate
    is nobody's."""
    logged_in_s = values.get("logged_in_s")
    answered = values.get("answered")
    values["calls_per_agent_hour"] = (
        answered / (logged_in_s / 3600) if logged_in_s and answered is not None else None)
    if not per_agent:
        blocked = values.setdefault("blocked", 0)
        values.setdefault("estimate_told", 0)
        for name in CALLBACK_COUNTS:
            values.setdefault(name, 0)
        offered = (values.get("received") or 0) + blocked
        values["blocked_rate"] = blocked / offered if offered else None
    return values


def _collect(session: Session, period: q.Period, settings, levels: tuple[str, ...]) -> dict:
    """{level: {key: {measure: value}}}, each source table read once for all levels."""
    merged: dict = {level: {} for level in levels}
    tune_for_reporting(session)
    for source in q.SOURCES:
        for level, rows in source(session, period, settings, levels).items():
            for row in rows:
                key = row.pop("key")
                merged[level].setdefault(key, {}).update(clean_values(row))
    return {level: {key: _derive(values, level == "agent" or bool(period.agent))
                    for key, values in by_key.items()}
            for level, by_key in merged.items()}


def clean_values(values: dict) -> dict:
    """PostgreSQL's SUM of bigints is numeric (Decimal): whole ones become ints
    (counts), others floats."""
    cleaned = {}
    for name, value in values.items():
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        cleaned[name] = value
    return cleaned


def _judged(values: dict, level: str) -> dict:
    """Each measure's value beside a pass/fail against its norm (None: no norm, or a
    norm per agent, like the QA count, on a row that is not one agent's)."""
    def ok(measure):
        if measure.key in PER_AGENT_NORMS and level != "agent":
            return None
        return measure.within_norm(values.get(measure.key))

    return {measure.key: {"value": values.get(measure.key), "ok": ok(measure)}
            for measure in MEASURES} | {
        "extra": {name: value for name, value in values.items() if name not in BY_KEY}}


def compute_stats(session: Session, period: q.Period, settings,
                  groups: tuple[str, ...] = GROUPS) -> dict:
    """The full report: measures with norms, rows per bucket, total, per queue, per agent."""
    report = {
        "from": period.start.isoformat(), "to": period.end.isoformat(), "by": period.by,
        "time_zone": period.zone,
        "queue": period.queue, "agent": period.agent,
        "settings": {"service_level_s": settings.service_level_s,
                     "short_abandon_s": settings.short_abandon_s,
                     "ring_cadence_s": settings.ring_cadence_s,
                     "fcr_window_days": settings.fcr_window_days},
        "measures": [measure.as_dict() for measure in MEASURES],
    }
    collected = _collect(session, period, settings, groups)
    for group in groups:
        if group == "total":
            report["total"] = _judged(collected["total"].get(None, {}), "total")
            continue
        name = "rows" if group == "bucket" else _REPORT_KEYS.get(group, f"by_{group}")
        report[name] = [{group: key, **_judged(values, group)}
                        for key, values in sorted(collected[group].items(),
                                                  key=lambda kv: str(kv[0]))
                        if key is not None]
    return report


def flat_values(judged: dict) -> dict:
    """{measure: value} from a judged row (for tests, CSV and charts)."""
    return {key: cell["value"] for key, cell in judged.items()
            if key != "extra" and isinstance(cell, dict)} | judged.get("extra", {})
