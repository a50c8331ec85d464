"""The statistics of the line from queue_log's tables (models.line_figures): blocked
calls (their rate needs the calls that entered the queue: report._derive) and how
close the announced wait came to the actual one.

The estimate's median and 90th percentile are not sums, so the database groups the
period's errors (whole seconds) by key and error with a count, a short histogram
(a month's calls have a few hundred distinct errors per queue), and the percentiles
are read off it here, by nearest rank: the p-th percentile is the smallest error
that at least p % of the callers had at most. Neither table knows an agent, so
both give no per-agent rows and nothing under an agent filter.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Optional

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from call_queue.stats.rollup import LEVELS, rollup
from line_callback import figures as callback_figures
from models.line_figures import BlockedCall, WaitEstimate

# A caller told "about N minutes" who waited within this of it heard near enough the truth.
WITHIN_S = 60
LINE_LEVELS = ("bucket", "queue", "host")


def blocked_measures(session: Session, period, levels=LEVELS) -> dict:
    if period.agent:
        return {}
    where = [BlockedCall.blocked_at >= period.start, BlockedCall.blocked_at < period.end]
    if period.queue:
        where.append(BlockedCall.queue == period.queue)
    if period.host:
        where.append(BlockedCall.host == period.host)
    dialect = session.get_bind().dialect.name
    keys = {"bucket": period.bucket(dialect, BlockedCall.blocked_at),
            "queue": BlockedCall.queue, "host": BlockedCall.host}
    return rollup(session, keys, {"n": case((BlockedCall.id.is_not(None), 1), else_=0)}, where,
                  lambda S: {"blocked": S("n")}, levels)


def callback_measures(session: Session, period, offer_s: int, levels=LEVELS) -> dict:
    """Keep-my-place callbacks offered, accepted, completed and failed: line_callback's own
    query (the one `hotline stats verify` sets beside queue_log), by day, queue and host;
    nothing per agent or under an agent filter."""
    if period.agent:
        return {}
    return callback_figures.database_measures(session, period, offer_s, levels)


def nearest_rank(histogram: dict[int, int], fraction: float) -> Optional[int]:
    """The smallest value with at least `fraction` of the counts at or below it."""
    total = sum(histogram.values())
    if not total:
        return None
    needed, seen = fraction * total, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= needed:
            return value
    return max(histogram)


def _quality(histogram: dict[int, int]) -> dict:
    told = sum(histogram.values())
    within = sum(count for error, count in histogram.items() if error <= WITHIN_S)
    return {"estimate_told": told,
            "estimate_median_error_s": nearest_rank(histogram, 0.5),
            "estimate_p90_error_s": nearest_rank(histogram, 0.9),
            "estimate_within_60_rate": within / told if told else None}


def estimate_measures(session: Session, period, levels=LEVELS) -> dict:
    """Answered callers who were given an estimate (the queue's was above 0 on entry)."""
    if period.agent:
        return {}
    dialect = session.get_bind().dialect.name
    error = func.abs(WaitEstimate.waited_s - WaitEstimate.estimated_s)
    keys = {"bucket": cast(period.bucket(dialect, WaitEstimate.entered_at), String),
            "queue": WaitEstimate.queue, "host": WaitEstimate.host}
    wanted = [level for level in levels if level in LINE_LEVELS]
    query = (select(*[keys[level].label(level) for level in wanted], error.label("error"),
                    func.count().label("n"))
             .where(WaitEstimate.entered_at >= period.start,
                    WaitEstimate.entered_at < period.end, WaitEstimate.estimated_s > 0))
    if period.queue:
        query = query.where(WaitEstimate.queue == period.queue)
    if period.host:
        query = query.where(WaitEstimate.host == period.host)
    query = query.group_by(*[keys[level] for level in wanted], error)
    histograms: dict[str, dict] = {level: defaultdict(lambda: defaultdict(int))
                                   for level in levels if level in LINE_LEVELS + ("total",)}
    for row in session.execute(query):
        values = row._mapping
        for level, by_key in histograms.items():
            key = None if level == "total" else values[level]
            by_key[key][int(values["error"])] += int(values["n"])
    return {level: [{"key": key, **_quality(histogram)} for key, histogram in by_key.items()]
            for level, by_key in histograms.items() if by_key}
