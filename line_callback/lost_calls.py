"""Lost calls called back automatically when agents are free (issue 16.5).

With HOTLINE_LOST_CALL_AUTO_CALLBACK on, each tick of the callback engine (before it
claims what is due) books at most one request per queue for a lost call, and only in a
queue where nobody is waiting, an agent is free (the live projection's WaitingCallers)
and no lost-call request is open: a resident ringing now always comes first, and with
no agent the placeholder would leave the queue empty and use up its attempts.
The request is then placed exactly like a keep-my-place one (an agent is reserved by
the placeholder, then the resident is dialled), retried by the same policy and, when
every attempt failed, listed for an agent with the others. Its join time is the
booking time, so the placeholder goes to the end of the line.

The lost call picked: the oldest in the window (models.callbacks.lost_call_condition),
not recovered, never called back by an agent nor booked before, with a number, whose
number has no open request and has not since had an answered call (the resident rang
again and was served). The (host, callid) unique key stops a second engine booking it
twice.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Callable, Optional

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models.callbacks import CallbackAttempt, lost_call_condition, recovered_condition
from models.calls import Call
from models.line_callbacks import OPEN_STATES, CallbackRequest

log = logging.getLogger(__name__)

SOURCE = "lost_call"


@dataclasses.dataclass(frozen=True)
class LostCallOptions:
    window_s: int
    short_abandon_s: int


def _candidates(session: Session, host: str, now: dt.datetime, options: LostCallOptions):
    later = aliased(Call)
    answered_since = exists().where(
        later.caller_number == Call.caller_number, later.answered_at.is_not(None),
        later.entered_queue_at > Call.entered_queue_at)
    booked = exists().where(CallbackRequest.host == Call.host,
                            CallbackRequest.callid == Call.callid)
    number_open = exists().where(CallbackRequest.host == Call.host,
                                 CallbackRequest.caller_number == Call.caller_number,
                                 CallbackRequest.state.in_(OPEN_STATES))
    handled = exists().where(CallbackAttempt.callid == Call.callid)
    return (select(Call).where(
        Call.host == host, Call.entered_queue_at >= now - dt.timedelta(seconds=options.window_s),
        Call.entered_queue_at <= now, func.coalesce(Call.caller_number, "") != "",
        Call.queue.is_not(None), lost_call_condition(options.short_abandon_s),
        ~recovered_condition(), ~booked, ~number_open, ~handled, ~answered_since)
        .order_by(Call.entered_queue_at, Call.id))


def _open_queues(session: Session, host: str) -> set[str]:
    return set(session.scalars(select(CallbackRequest.queue).where(
        CallbackRequest.host == host, CallbackRequest.source == SOURCE,
        CallbackRequest.state.in_(OPEN_STATES))))


def book_lost_calls(session: Session, is_free: Callable[[str], bool], host: str,
                    now: dt.datetime, options: LostCallOptions) -> list[CallbackRequest]:
    """The requests booked this round (committed), one per free queue at most."""
    busy = _open_queues(session, host)
    booked: list[CallbackRequest] = []
    numbers: set[str] = set()
    for call in session.scalars(_candidates(session, host, now, options)):
        if call.queue in busy or call.caller_number in numbers:
            continue
        busy.add(call.queue)  # the oldest of the queue only, booked or not
        if not is_free(call.queue):
            continue
        request = _book(session, call, host, now)
        if request is not None:
            booked.append(request)
            numbers.add(call.caller_number)
    return booked


def _book(session: Session, call: Call, host: str, now: dt.datetime) -> Optional[CallbackRequest]:
    request = CallbackRequest(
        host=host, callid=call.callid, caller_number=call.caller_number, household_id=None,
        queue=call.queue, joined_at=now, exit_position=None, state="booked", attempts=0,
        next_at=now, created_at=now, updated_at=now, closed_note="", source=SOURCE)
    try:
        with session.begin_nested():
            session.add(request)
        session.commit()
    except IntegrityError:  # another engine booked it a moment ago
        session.rollback()
        return None
    log.info("lost call %s in %s: automatic call-back %s booked", call.callid, call.queue,
             request.id)
    return request


@dataclasses.dataclass
class LostCallBooker:
    """The engine's hook: books lost calls' call-backs from the callers waiting now."""
    waiting: object  # line_callback.engine.WaitingCallers (free_queues)
    host: str
    options: LostCallOptions

    def __call__(self, session: Session, now: dt.datetime) -> list[CallbackRequest]:
        # Every second with the agents busy: no queue free, no query of the calls.
        free = self.waiting.free_queues(now.timestamp())
        if not free:
            return []
        return book_lost_calls(session, free.__contains__, self.host, now, self.options)
