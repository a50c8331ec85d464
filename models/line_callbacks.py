"""Keep-my-place callbacks (issue 16): a resident waiting in the line pressed 1 to
hang up and be called back, keeping their place.

One request per original queue call (its callid, on its host), with the time that
call joined the queue: the bridge (line_callback/) puts a placeholder call into the
queue at the place the resident would have had, an agent answers it and only then
is the resident dialled. Each placeholder is an attempt (at most three: the first
and two retries); a request that reached nobody is listed for an agent, who closes
it. These are not models.callbacks' call-backs, which agents place by hand for lost
calls: a callback request is neither abandoned nor lost.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.calls import DEFAULT_HOST

# booked: to be placed; queued: a placeholder is in the queue (or its call goes on);
# retry: waiting for the spacing before the next placeholder; completed: the resident
# was reached; failed: every attempt failed, listed for an agent; closed: an agent
# dealt with a failed one.
REQUEST_STATES: tuple[str, ...] = ("booked", "queued", "retry", "completed", "failed", "closed")
OPEN_STATES: tuple[str, ...] = ("booked", "queued", "retry")
# placed: in the queue or on the phone; reached: the resident answered; no_answer, busy:
# the resident's phone (DIALSTATUS); no_agent: the placeholder left the queue without an
# agent; not_placed: the bridge could not place it; lost: it never ended (bridge down).
# keep_place: the resident pressed 1; lost_call: booked by the bridge for a lost call when
# the queue had nobody waiting (HOTLINE_LOST_CALL_AUTO_CALLBACK, line_callback.lost_calls).
SOURCES: tuple[str, ...] = ("keep_place", "lost_call")
ATTEMPT_OUTCOMES: tuple[str, ...] = ("placed", "reached", "no_answer", "busy", "no_agent",
                                     "not_placed", "lost")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CallbackRequest(Base):
    __tablename__ = "callback_requests"
    __table_args__ = (UniqueConstraint("host", "callid"),
                      CheckConstraint(_in("state", REQUEST_STATES), name="state"),
                      CheckConstraint(_in("source", SOURCES), name="source"))

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(32), default=DEFAULT_HOST)
    callid: Mapped[str] = mapped_column(String(64), index=True)
    caller_number: Mapped[str] = mapped_column(String(40))
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"))
    queue: Mapped[str] = mapped_column(String(64))
    # When the original call joined the queue: its place in line.
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    exit_position: Mapped[Optional[int]] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="booked", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    closed_note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16), default="keep_place",
                                        server_default="keep_place", index=True)


class CallbackRequestAttempt(Base):
    __tablename__ = "callback_request_attempts"
    __table_args__ = (UniqueConstraint("request_id", "number"),
                      CheckConstraint(_in("outcome", ATTEMPT_OUTCOMES), name="outcome"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # The placeholder's queue call (its Uniqueid, chosen by the bridge: OtherChannelId).
    callid: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16), default="placed")
    dial_status: Mapped[str] = mapped_column(String(16), default="")
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
