"""The callback requests in the database.

A request is placed once per attempt: `claim_due` turns a due request into a queued
one with one guarded UPDATE (state and attempt count as read), so a second engine, or
the same one restarted, loses the race and moves on; the attempt row's unique
(request, number) is a second wall. The reports of a placeholder's end (the resident's
DIALSTATUS from the dialling half, the queue's from the queue half) each end the
attempt once; whichever comes first decides, a dial status over a queue one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from line_callback.errors import LineCallbackError
from line_callback.policy import Booking, RetryPolicy, placeholder_callid
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Claim:
    """One placeholder to put into the queue."""
    request_id: int
    attempt_id: int
    number: int
    callid: str  # the placeholder's queue call
    original_callid: str  # the call whose caller pressed 1
    caller_number: str
    queue: str
    joined_at: dt.datetime
    exit_position: Optional[int]


def book(session: Session, booking: Booking, household_id: Optional[int], host: str,
         now: dt.datetime) -> CallbackRequest:
    """The request of a caller who pressed 1 (once per call: a second press finds it)."""
    existing = session.scalars(select(CallbackRequest).where(
        CallbackRequest.host == host, CallbackRequest.callid == booking.callid)).first()
    if existing is not None:
        return existing
    request = CallbackRequest(
        host=host, callid=booking.callid, caller_number=booking.caller_number,
        household_id=household_id, queue=booking.queue, joined_at=booking.joined_at,
        exit_position=booking.exit_position, state="booked", attempts=0, next_at=now,
        created_at=now, updated_at=now, closed_note="")
    session.add(request)
    session.flush()
    return request


def claim_due(session: Session, host: str, now: dt.datetime, limit: int) -> list[Claim]:
    """Up to `limit` requests due now claimed (committed), the earliest joined first."""
    due = session.execute(
        select(CallbackRequest.id, CallbackRequest.attempts)
        .where(CallbackRequest.host == host, CallbackRequest.state.in_(("booked", "retry")),
               CallbackRequest.next_at <= now)
        .order_by(CallbackRequest.joined_at, CallbackRequest.id).limit(limit)).all()
    claims = []
    for request_id, attempts in due:
        won = session.execute(update(CallbackRequest).where(
            CallbackRequest.id == request_id, CallbackRequest.state.in_(("booked", "retry")),
            CallbackRequest.attempts == attempts)
            .values(state="queued", attempts=attempts + 1, updated_at=now)).rowcount
        if won != 1:
            session.rollback()
            continue
        request = session.get(CallbackRequest, request_id)
        attempt = CallbackRequestAttempt(request_id=request_id, number=attempts + 1,
                                         callid=f"pending-{request_id}-{attempts + 1}",
                                         position=0, placed_at=now, outcome="placed",
                                         dial_status="")
        session.add(attempt)
        session.flush()
        attempt.callid = placeholder_callid(attempt.id, now)
        session.commit()
        claims.append(Claim(request_id, attempt.id, attempt.number, attempt.callid,
                            request.callid, request.caller_number, request.queue, request.joined_at,
                            request.exit_position if attempt.number == 1 else 1))
    return claims


def release(session: Session, claims: list[Claim], now: dt.datetime) -> None:
    """Claims never sent to the bridge: their attempts removed, the requests due again."""
    for claim in claims:
        session.execute(delete(CallbackRequestAttempt).where(
            CallbackRequestAttempt.id == claim.attempt_id,
            CallbackRequestAttempt.outcome == "placed"))
        session.execute(update(CallbackRequest).where(
            CallbackRequest.id == claim.request_id, CallbackRequest.state == "queued",
            CallbackRequest.attempts == claim.number)
            .values(state="booked" if claim.number == 1 else "retry",
                    attempts=claim.number - 1, updated_at=now))
    session.commit()


def set_position(session: Session, attempt_id: int, position: int) -> None:
    session.execute(update(CallbackRequestAttempt).where(
        CallbackRequestAttempt.id == attempt_id).values(position=position))
    session.commit()


def placeholder_joins(session: Session, host: str) -> dict[str, float]:
    """callid of each placeholder in a queue now -> its request's join time (epoch s)."""
    rows = session.execute(select(CallbackRequestAttempt.callid, CallbackRequest.joined_at)
                           .join(CallbackRequest)
                           .where(CallbackRequest.host == host,
                                  CallbackRequest.state == "queued",
                                  CallbackRequestAttempt.outcome == "placed")).all()
    return {callid: joined.timestamp() for callid, joined in rows}


def end_attempt(session: Session, attempt_id: int, outcome: str, dial_status: str,
                policy: RetryPolicy, now: dt.datetime) -> Optional[CallbackRequest]:
    """The placeholder ended (once): its outcome, and the request's next step. None if it
    had ended already (the other half reported first) or does not exist."""
    attempt = session.get(CallbackRequestAttempt, attempt_id)
    if attempt is None:
        raise LineCallbackError(f"no callback attempt {attempt_id}")
    won = session.execute(update(CallbackRequestAttempt).where(
        CallbackRequestAttempt.id == attempt_id, CallbackRequestAttempt.outcome == "placed")
        .values(outcome=outcome, dial_status=dial_status[:16], ended_at=now)).rowcount
    if won != 1:
        session.rollback()
        return None
    request = session.get(CallbackRequest, attempt.request_id)
    state, next_at = policy.after(request.attempts, outcome, now)
    request.state, request.next_at, request.updated_at = state, next_at, now
    if state in ("completed", "failed"):
        request.ended_at = now
    session.commit()
    log.info("callback %s attempt %s: %s (%s); request %s", request.id, attempt.number,
             outcome, dial_status or "-", state)
    return request


def attempt_by_callid(session: Session, callid: str) -> Optional[CallbackRequestAttempt]:
    return session.scalars(select(CallbackRequestAttempt).where(
        CallbackRequestAttempt.callid == callid)).first()


def lose_stale(session: Session, host: str, now: dt.datetime, stale_s: float,
               policy: RetryPolicy) -> int:
    """Placeholders that never ended (their end came while the bridge was down): lost,
    each counted as an attempt, the request retried or failed by the policy."""
    since = now - dt.timedelta(seconds=stale_s)
    stale = session.scalars(select(CallbackRequestAttempt.id).join(CallbackRequest).where(
        CallbackRequest.host == host, CallbackRequestAttempt.outcome == "placed",
        CallbackRequestAttempt.placed_at < since)).all()
    return sum(1 for attempt_id in stale
               if end_attempt(session, attempt_id, "lost", "", policy, now) is not None)


def failed_requests(session: Session, limit: int = 200) -> list[CallbackRequest]:
    """The requests listed for an agent: every attempt failed, nobody closed them yet."""
    return list(session.scalars(select(CallbackRequest).where(CallbackRequest.state == "failed")
                                .order_by(CallbackRequest.ended_at.desc()).limit(limit)))


def close(session: Session, request_id: int, user_id: int, note: str,
          now: dt.datetime) -> CallbackRequest:
    """An agent dealt with a failed request (called by hand, or no call was needed)."""
    request = session.get(CallbackRequest, request_id)
    if request is None:
        raise LineCallbackError(f"no callback request {request_id}")
    if request.state != "failed":
        raise LineCallbackError(f"callback request {request_id} is {request.state}, not failed")
    if len(note) > 200:
        raise LineCallbackError("the note is longer than 200 characters")
    request.state, request.closed_by_id, request.closed_note = "closed", user_id, note
    request.updated_at = now
    session.commit()
    return request


def open_count(session: Session, host: str) -> int:
    return session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.host == host, CallbackRequest.state.in_(("booked", "queued", "retry"))))
