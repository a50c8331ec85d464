"""The four callback figures (offered, accepted, completed, failed), from the database
and again from queue_log, for `hotline stats verify` to set side by side.

offered: callers who waited the offer's seconds (or pressed 1 before), placeholders
  left out; accepted: pressed 1 (queue_log EXITWITHKEY with key 1; the database's
  booked requests); completed: the resident was reached (CALLBACKDIAL ANSWER; state
  completed); failed: every attempt failed (that many placeholders, none answered;
  state failed or closed). A request counts in the period its original call entered.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

from sqlalchemy import and_, case, func, literal, or_

from call_queue.stats.rollup import LEVELS, rollup
from line_callback.policy import MAX_ATTEMPTS
from models.calls import Call
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt

KEY = "1"
KEEP_PLACE = "keep_place"  # models.line_callbacks.SOURCES: the resident pressed 1
FAILED_STATES = ("failed", "closed")  # every attempt failed (closed: an agent dealt with it)
ENDING_VERBS = {"COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY",
                "EXITWITHKEY", "BLINDTRANSFER", "ATTENDEDTRANSFER", "CALLBACKDIAL"}


@dataclasses.dataclass(frozen=True)
class CallbackFigures:
    offered: int
    accepted: int
    completed: int
    failed: int

    def as_dict(self) -> dict:
        return {f"callbacks_{key}": value for key, value in dataclasses.asdict(self).items()}


def _if(condition):
    return case((condition, 1), else_=0)


def database_measures(session, period, offer_s: int, levels: tuple[str, ...] = LEVELS,
                      callids: Optional[set] = None) -> dict:
    """The four figures from the database, per level (bucket, total, queue, host): the one
    query both the statistics page and `hotline stats verify` read. One scan of the
    period's calls: a placeholder (an attempt's call) is none of them; the request joined
    is its original call's, keep-my-place only (the lost calls' automatic call-backs,
    line_callback.lost_calls, were never offered). No agent level: a caller offered a
    callback is nobody's, and the placeholder's agent is not who offered it."""
    where = [Call.entered_queue_at >= period.start, Call.entered_queue_at < period.end,
             CallbackRequestAttempt.id.is_(None)]
    if period.queue:
        where.append(Call.queue == period.queue)
    if period.host:
        where.append(Call.host == period.host)
    if callids is not None:
        where.append(Call.callid.in_(sorted(callids)))
    source = (Call.__table__
              .outerjoin(CallbackRequestAttempt.__table__,
                         CallbackRequestAttempt.callid == Call.callid)
              .outerjoin(CallbackRequest.__table__,
                         and_(CallbackRequest.callid == Call.callid,
                              CallbackRequest.host == Call.host,
                              CallbackRequest.source == KEEP_PLACE)))
    booked = CallbackRequest.id.is_not(None)
    waited = func.coalesce(Call.wait_s, 0) >= offer_s
    additive = {
        # Offered: waited the offer's seconds or pressed 1 before; no offer, none offered.
        "offered": _if(and_(Call.outcome.is_not(None), or_(waited, booked)))
        if offer_s else literal(0),
        "accepted": _if(booked),
        "completed": _if(CallbackRequest.state == "completed"),
        "failed": _if(CallbackRequest.state.in_(FAILED_STATES)),
    }
    dialect = session.get_bind().dialect.name
    keys = {"bucket": period.bucket(dialect, Call.entered_queue_at), "queue": Call.queue,
            "host": Call.host}
    return rollup(session, keys, additive, where, lambda S: {
        f"callbacks_{name}": S(name) for name in additive}, levels, from_clause=source)


def database_figures(session, period, offer_s: int, callids: Optional[set] = None,
                     ) -> CallbackFigures:
    (total,) = database_measures(session, period, offer_s, ("total",), callids)["total"]
    return CallbackFigures(*(int(total[f"callbacks_{field.name}"])
                             for field in dataclasses.fields(CallbackFigures)))


def queue_log_figures(entries: Iterable, calls: Iterable, offer_s: int,
                      max_attempts: int = MAX_ATTEMPTS) -> CallbackFigures:
    """`calls`: queue_log's calls of the period (call_queue.stats.queue_log_check.calls_in)."""
    entries = list(entries)
    calls = {call.callid: call for call in calls}
    pressed = {e.callid for e in entries if e.verb == "EXITWITHKEY" and e.field(0) == KEY}
    placeholder_of = {e.callid: e.field(0) for e in entries if e.verb == "CALLBACK"}
    ended = {e.callid for e in entries if e.verb in ENDING_VERBS}
    answered = {e.field(1) for e in entries if e.verb == "CALLBACKDIAL" and e.field(0) == "ANSWER"}
    tries: dict[str, list[str]] = {}
    for placeholder, original in placeholder_of.items():
        tries.setdefault(original, []).append(placeholder)
    mine = [call for callid, call in calls.items() if callid not in placeholder_of]
    offered = 0
    if offer_s:
        offered = sum(1 for call in mine if call.ended_at is not None
                      and ((call.wait_s or 0) >= offer_s or call.callid in pressed))
    accepted = [call.callid for call in mine if call.callid in pressed]
    completed = sum(1 for callid in accepted if callid in answered)
    failed = sum(1 for callid in accepted if callid not in answered
                 and len(tries.get(callid, ())) >= max_attempts
                 and all(p in ended for p in tries[callid]))
    return CallbackFigures(offered, len(accepted), completed, failed)
