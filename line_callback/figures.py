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

from sqlalchemy import func, select

from line_callback.policy import MAX_ATTEMPTS
from models.calls import Call
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt

KEY = "1"
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


def database_figures(session, period, offer_s: int, callids: Optional[set] = None,
                     ) -> CallbackFigures:
    where = [Call.entered_queue_at >= period.start, Call.entered_queue_at < period.end]
    if period.queue:
        where.append(Call.queue == period.queue)
    if period.host:
        where.append(Call.host == period.host)
    if callids is not None:
        where.append(Call.callid.in_(sorted(callids)))
    placeholders = select(CallbackRequestAttempt.callid)
    # The lost calls' automatic call-backs (line_callback.lost_calls) were never offered.
    booked = select(CallbackRequest.callid).where(CallbackRequest.source == "keep_place")
    offered = 0
    if offer_s:
        offered = session.scalar(select(func.count()).select_from(Call).where(
            *where, Call.outcome.is_not(None), Call.callid.not_in(placeholders),
            (func.coalesce(Call.wait_s, 0) >= offer_s) | Call.callid.in_(booked)))
    states = dict(session.execute(
        select(CallbackRequest.state, func.count()).join(
            Call, (Call.callid == CallbackRequest.callid) & (Call.host == CallbackRequest.host))
        .where(*where, CallbackRequest.source == "keep_place")
        .group_by(CallbackRequest.state)).all())
    return CallbackFigures(offered, sum(states.values()), states.get("completed", 0),
                           states.get("failed", 0) + states.get("closed", 0))


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
