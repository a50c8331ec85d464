"""Lost calls and their call-backs: the list an agent works through, and whether
each lost call was recovered.

A lost call is a resident's call that reached no agent: they hung up in the
queue after the short-abandon threshold (a shorter one is most often a misdial,
and the statistics leave it out too), or the queue gave up on them (its
timeout, or no agent at all). It stays on the list until an agent reaches the
resident, closes it (wrong number, no call needed), or the resident rings
again and is answered. Withheld numbers are listed but cannot be called.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.callbacks import CALLBACK_RESULTS, NOTES_MAX_CHARS, CallbackAttempt, lost_call_condition
from models.calls import Call
from models.line_callbacks import CallbackRequest
from models.console import User
from workflow.errors import WorkflowError

Status = Literal["waiting", "tried", "recovered", "called_again", "closed"]
AutoCallback = Literal["booked", "ringing", "reached", "failed"]
# The automatic call-back's request state (line_callback.lost_calls) as the list says it.
AUTO_STATES: dict[str, AutoCallback] = {"booked": "booked", "retry": "booked", "queued": "ringing",
                                        "completed": "reached", "failed": "failed",
                                        "closed": "failed"}


@dataclasses.dataclass(frozen=True)
class LostCall:
    call: Call
    status: Status
    attempts: int
    last_result: str | None     # of the latest attempt (None: placed, result not yet given)
    household_number: str | None
    open_attempt: CallbackAttempt | None = None  # placed, its result not yet given
    auto_callback: AutoCallback | None = None  # the bridge's automatic call-back, if booked

    @property
    def callable(self) -> bool:
        return bool(self.call.caller_number) and self.status in ("waiting", "tried")


@dataclasses.dataclass(frozen=True)
class Recovery:
    lost: int
    recovered: int       # a call-back reached the resident
    called_again: int    # the resident rang again and was answered
    open: int

    @property
    def recovered_rate(self) -> float | None:
        return self.recovered / self.lost if self.lost else None


def lost_calls_between(session: Session, start: dt.datetime, end: dt.datetime,
                       short_abandon_s: int, queue: str | None = None) -> list[Call]:
    query = (select(Call).where(Call.entered_queue_at >= start, Call.entered_queue_at < end,
                                lost_call_condition(short_abandon_s))
             .order_by(Call.entered_queue_at, Call.id))
    if queue:
        query = query.where(Call.queue == queue)
    return list(session.scalars(query))


def _answered_after(session: Session, calls: list[Call]) -> set[str]:
    """Callids of lost calls whose number rang again later and was answered."""
    numbers = {call.caller_number for call in calls if call.caller_number}
    if not numbers:
        return set()
    answered: dict[str, list[dt.datetime]] = {}
    for number, entered in session.execute(
            select(Call.caller_number, Call.entered_queue_at)
            .where(Call.caller_number.in_(numbers), Call.answered_at.is_not(None))):
        answered.setdefault(number, []).append(entered)
    return {call.callid for call in calls if any(
        later > call.entered_queue_at for later in answered.get(call.caller_number or "", []))}


def _status(attempts: list[CallbackAttempt], rang_again: bool,
            auto: AutoCallback | None = None) -> Status:
    results = [attempt.result for attempt in attempts]
    if "reached" in results or auto == "reached":
        return "recovered"
    if "wrong_number" in results or "closed" in results:
        return "closed"
    if rang_again:
        return "called_again"
    return "tried" if attempts else "waiting"


def with_status(session: Session, calls: list[Call],
                households_by_number: dict[str, str]) -> list[LostCall]:
    callids = [call.callid for call in calls]
    attempts: dict[str, list[CallbackAttempt]] = {}
    for attempt in session.scalars(select(CallbackAttempt).where(
            CallbackAttempt.callid.in_(callids)).order_by(CallbackAttempt.id)):
        attempts.setdefault(attempt.callid, []).append(attempt)
    rang_again = _answered_after(session, calls)
    auto = {(host, callid): AUTO_STATES[state] for host, callid, state in session.execute(
        select(CallbackRequest.host, CallbackRequest.callid, CallbackRequest.state).where(
            CallbackRequest.callid.in_(callids), CallbackRequest.source == "lost_call"))}
    return [_lost_call(call, attempts.get(call.callid, []), call.callid in rang_again,
                       households_by_number, auto.get((call.host, call.callid)))
            for call in calls]


def _lost_call(call: Call, attempts: list[CallbackAttempt], rang_again: bool,
               households_by_number: dict[str, str],
               auto: AutoCallback | None = None) -> LostCall:
    return LostCall(call, _status(attempts, rang_again, auto), len(attempts),
                    attempts[-1].result if attempts else None,
                    households_by_number.get(call.caller_number or ""),
                    next((attempt for attempt in attempts if attempt.result is None), None),
                    auto)


def recovery(lost: list[LostCall]) -> Recovery:
    statuses = [item.status for item in lost]
    return Recovery(len(lost), statuses.count("recovered"), statuses.count("called_again"),
                    statuses.count("waiting") + statuses.count("tried"))


def lost_call(session: Session, callid: str, short_abandon_s: int) -> Call:
    call = session.scalar(select(Call).where(Call.callid == callid, lost_call_condition(short_abandon_s)))
    if call is None:
        raise WorkflowError("not a lost call")
    return call


def place_callback(session: Session, call: Call, user: User, now: dt.datetime) -> CallbackAttempt:
    """The attempt, before the agent's phone rings: an attempt whose call then fails
    to start is given the result no_answer by the caller of this function."""
    if not call.caller_number:
        raise WorkflowError("the number was withheld: there is nothing to call back")
    open_attempt = session.scalar(select(CallbackAttempt).where(
        CallbackAttempt.callid == call.callid, CallbackAttempt.result.is_(None)))
    if open_attempt is not None:
        raise WorkflowError("an earlier call-back of this call has no result yet")
    attempt = CallbackAttempt(callid=call.callid, user_id=user.id, number=call.caller_number,
                              placed_at=now, notes="")
    session.add(attempt)
    session.flush()
    return attempt


def record_result(session: Session, attempt: CallbackAttempt, result: str, notes: str,
                  now: dt.datetime) -> CallbackAttempt:
    if result not in CALLBACK_RESULTS:
        raise WorkflowError("unknown result")
    if len(notes) > NOTES_MAX_CHARS:
        raise WorkflowError("notes too long")
    attempt.result, attempt.notes, attempt.recorded_at = result, notes.strip(), now
    return attempt


def close_without_call(session: Session, call: Call, user: User, notes: str,
                       now: dt.datetime) -> CallbackAttempt:
    """The agent says no call is needed (a neighbour's misdial, resolved otherwise)."""
    if not notes.strip():
        raise WorkflowError("say why no call is needed")
    attempt = CallbackAttempt(callid=call.callid, user_id=user.id, number=call.caller_number or "",
                              placed_at=now, notes="")
    session.add(attempt)
    return record_result(session, attempt, "closed", notes, now)


def recovery_in_last_day(session: Session, now: dt.datetime, short_abandon_s: int) -> Recovery:
    """The last 24 hours' lost calls, as the desktop's list shows them by default."""
    calls = lost_calls_between(session, now - dt.timedelta(hours=24), now, short_abandon_s)
    return recovery(with_status(session, calls, {}))
