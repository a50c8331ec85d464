"""Call-backs to residents whose call was lost in the queue (they hung up, or the
queue gave up on them): one row per attempt an agent made from the desktop.

A lost call counts as recovered once an attempt reached the resident; an agent
may also close it without a call (the resident rang again and was served, a
wrong number). The lost call itself is models.calls.Call (its callid).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, and_, exists, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.calls import Call
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt

# In the order of the CHECK constraint of migration 0010. "closed": no call was
# needed; None while the agent has placed the call and not yet said how it went.
CALLBACK_RESULTS: tuple[str, ...] = ("reached", "no_answer", "busy", "wrong_number", "closed")
NOTES_MAX_CHARS = 500


class CallbackAttempt(Base):
    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callid: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), default="")
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[Optional[str]] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(String(NOTES_MAX_CHARS), default="")
    recorded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("result IN ('reached', 'no_answer', 'busy', 'wrong_number', 'closed')",
                        name="result"),
    )


def lost_call_condition(short_abandon_s: int):
    """The SQL condition of a lost call: the caller hung up after the short-abandon
    threshold, or the queue gave up on them (its timeout, no agent at all). The
    desktop's list (workflow.abandoned) and the statistics both use this. A keep-my-place
    callback's placeholder is never lost: its request goes on (line_callback/)."""
    placeholder = Call.callid.in_(select(CallbackRequestAttempt.callid))
    return and_(or_(and_(Call.outcome == "abandoned",
                         func.coalesce(Call.wait_s, 0) > short_abandon_s),
                    Call.outcome.in_(("timeout", "exit_empty"))), ~placeholder)


def recovered_condition():
    """A call-back of this call reached the resident: an agent's by hand, or the
    automatic one the bridge placed (line_callback.lost_calls) completed."""
    return or_(
        exists().where(CallbackAttempt.callid == Call.callid, CallbackAttempt.result == "reached"),
        exists().where(CallbackRequest.host == Call.host, CallbackRequest.callid == Call.callid,
                       CallbackRequest.source == "lost_call",
                       CallbackRequest.state == "completed"))
