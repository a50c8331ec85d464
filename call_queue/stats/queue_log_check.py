"""Checking the project's SQL figures against Asterisk's own queue_log.

queue_log (`telephony.queue_log`, the pure parser) is what Asterisk call-centre
tools read; here its calls are summarised again, the queue measures recomputed
from them with the same definitions as `call_queue.stats.queries`, and compared
with the SQL figures for the same calls. Agreement must be exact: counts equal,
rates and averages equal up to the last bit a float division can differ in.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Iterable, Optional

from sqlalchemy import select

from call_queue.blocked import blocked_summary
from call_queue.wait_estimate import estimate_summary
from call_queue.stats import queries as stats_queries, report as stats
from call_queue.errors import QueueLogError
from line_callback.figures import database_figures, queue_log_figures
from models.calls import Call
from telephony.queue_log import QueueLogCall, read_queue_log, summarize_calls

# The measures queue_log can vouch for (it knows nothing of holds, wrap-up, orders).
QUEUE_MEASURES = (
    "received", "offered", "answered", "abandoned", "short_abandoned", "unanswered_other",
    "answered_rate", "abandon_rate", "service_level", "asterisk_sl", "asterisk_sl2", "asa_s",
    "avg_queue_s", "avg_abandon_s", "avg_ring_s", "avg_talk_s", "transfer_rate",
    "queue_placement_rate",
    "callbacks_offered", "callbacks_accepted", "callbacks_completed", "callbacks_failed",
)
ANSWERED = ("answered", "transferred")
MAX_LISTED = 20  # calls named in a report of missing ones
OTHER_EXITS = ("timeout", "exit_empty", "exit_key")


@dataclasses.dataclass(frozen=True)
class Difference:
    measure: str
    queue_log: Optional[float]
    database: Optional[float]


def _ratio(part: float, whole: float) -> Optional[float]:
    return float(part) / whole if whole else None


def _mean(values: list) -> Optional[float]:
    return float(sum(values)) / len(values) if values else None


def recompute(calls: Iterable[QueueLogCall], settings) -> dict:
    """The queue measures from queue_log's calls (the oracle)."""
    sl, short = settings.service_level_s, settings.short_abandon_s
    calls = list(calls)
    answered = [call for call in calls if call.outcome in ANSWERED]
    unanswered = [call for call in calls if call.outcome is not None
                  and call.outcome not in ANSWERED]
    wait = {call.callid: call.wait_s or 0 for call in calls}
    short_abandons = [c for c in unanswered if c.outcome == "abandoned" and wait[c.callid] <= short]
    abandons = [c for c in unanswered if c.outcome == "abandoned" and wait[c.callid] > short]
    answered_in_sl = [c for c in answered if wait[c.callid] <= sl]
    waited = ([c for c in answered if wait[c.callid] > (c.ring_s or 0)]
              + [c for c in calls if c.outcome not in ANSWERED and wait[c.callid] > 0])
    offered = len(calls) - len(short_abandons)
    return {
        "received": len(calls), "offered": offered, "answered": len(answered),
        "abandoned": len(abandons), "short_abandoned": len(short_abandons),
        "unanswered_other": sum(1 for c in unanswered if c.outcome in OTHER_EXITS),
        "answered_rate": _ratio(len(answered), offered),
        "abandon_rate": _ratio(len(abandons), offered),
        "service_level": _ratio(len(answered_in_sl), offered),
        "asterisk_sl": _ratio(len(answered_in_sl), len(answered)),
        "asterisk_sl2": _ratio(
            len(answered_in_sl) + sum(1 for c in unanswered if wait[c.callid] <= sl),
            len(answered) + len(unanswered)),
        "asa_s": _ratio(sum(wait[c.callid] for c in answered), len(answered)),
        "avg_queue_s": _mean([wait[c.callid] for c in answered
                              if wait[c.callid] > (c.ring_s or 0)]),
        "avg_abandon_s": _mean([wait[c.callid] for c in abandons]),
        "avg_ring_s": _mean([c.ring_s for c in answered if c.ring_s is not None]),
        "avg_talk_s": _mean([c.talk_s for c in answered if c.talk_s is not None]),
        "transfer_rate": _ratio(sum(1 for c in answered if c.outcome == "transferred"),
                                len(answered)),
        "queue_placement_rate": _ratio(len(waited), len(calls)),
    }


def calls_in(entries, start: Optional[dt.datetime] = None, end: Optional[dt.datetime] = None,
             queue: Optional[str] = None, callids: Optional[set] = None) -> list[QueueLogCall]:
    """queue_log's calls that entered a queue in [start, end) (and the queue, the ids)."""
    chosen = []
    for call in summarize_calls(entries).values():
        if call.entered_at is None:
            continue  # entered before the file begins: not a whole call
        entered = dt.datetime.fromtimestamp(call.entered_at, dt.timezone.utc)
        if (start and entered < start) or (end and entered >= end):
            continue
        if (queue and call.queue != queue) or (callids is not None and call.callid not in callids):
            continue
        chosen.append(call)
    return chosen


def _same(a: Optional[float], b: Optional[float]) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def compare(queue_log_values: dict, database_values: dict) -> list[Difference]:
    return [Difference(key, queue_log_values.get(key), database_values.get(key))
            for key in QUEUE_MEASURES
            if not _same(queue_log_values.get(key), database_values.get(key))]


def verify(session, settings, queue_log_path: Path, start: Optional[dt.datetime] = None,
           end: Optional[dt.datetime] = None, queue: Optional[str] = None,
           callids: Optional[set] = None, host: Optional[str] = None) -> dict:
    """Recompute from queue_log and compare with SQL over the same calls.

    Without a period, the period is the file's: from its first to just after its
    last ENTERQUEUE. `callids` narrows both sides to given calls (a test's own).
    `host`: the Asterisk host whose queue_log this is; the database side is then
    that host's calls only (with several hosts, each has its own queue_log).
    """
    try:
        entries = read_queue_log(Path(queue_log_path))
    except OSError as error:
        raise QueueLogError(f"cannot read queue_log {queue_log_path}: {error}") from error
    calls = calls_in(entries, start, end, queue, callids)
    if not calls:
        raise QueueLogError(f"{queue_log_path}: no whole queue call in the period")
    entered = [call.entered_at for call in calls]
    start = start or dt.datetime.fromtimestamp(math.floor(min(entered)), dt.timezone.utc)
    end = end or dt.datetime.fromtimestamp(math.floor(max(entered)) + 1, dt.timezone.utc)
    period = dataclasses.replace(stats.make_period(start, end, "day", queue=queue), host=host)
    database_values = database_totals(session, period, settings, callids)
    queue_log_values = recompute(calls, settings)
    # The keep-my-place callbacks: queue_log's EXITWITHKEY, CALLBACK and CALLBACKDIAL
    # lines against the stored requests, compared with the other measures.
    # Test doubles of the settings may carry only the queue's own fields: no offer.
    offer_s = getattr(settings, "callback_offer_s", 0)
    queue_log_values.update(queue_log_figures(entries, calls, offer_s).as_dict())
    database_values.update(database_figures(session, period, offer_s, callids).as_dict())
    in_database = database_callids(session, period, callids)
    in_queue_log = {call.callid for call in calls}
    return {"from": start.isoformat(), "to": end.isoformat(), "host": host, "calls": len(calls),
            "missing_in_database": sorted(in_queue_log - in_database)[:MAX_LISTED],
            "missing_in_queue_log": sorted(in_database - in_queue_log)[:MAX_LISTED],
            "queue_log": queue_log_values,
            "database": {key: database_values.get(key) for key in QUEUE_MEASURES},
            "differences": [dataclasses.asdict(d) for d in compare(queue_log_values,
                                                                   database_values)],
            # Refused by a full queue: in queue_log only (no call reached the queue).
            "blocked": blocked_summary(entries, start, end, queue),
            # The wait app_queue announced beside what the callers then waited.
            "wait_estimate": estimate_summary(entries, start, end, queue)}


def database_callids(session, period, callids: Optional[set] = None) -> set[str]:
    """The calls the database has in the period: to name the ones queue_log lacks."""
    query = select(Call.callid).where(Call.entered_queue_at >= period.start,
                                      Call.entered_queue_at < period.end)
    if period.queue:
        query = query.where(Call.queue == period.queue)
    if period.host:
        query = query.where(Call.host == period.host)
    if callids is not None:
        query = query.where(Call.callid.in_(sorted(callids)))
    return set(session.scalars(query))


def database_totals(session, period, settings, callids: Optional[set] = None) -> dict:
    """The SQL side: the same call measures the statistics page shows, as a total."""
    rows = stats_queries.call_measures(session, period, settings, ("total",), callids=callids)
    return stats.clean_values(rows["total"][0]) if rows.get("total") else {}
