"""What the statistics know of the line only from queue_log (issue 16.1, 16.8).

A blocked call never reached the queue (a full queue refused it, verb BLOCKED
written by the dialplan), so it has no `calls` row and no AMI event says so; the
estimate app_queue announced on entry is no event field either (it is the queue's
running holdtime, call_queue.wait_estimate). call_queue.line_import copies both
from queue_log into these tables, keyed by (host, callid) so that reading the
same lines again stores nothing twice.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime
from models.calls import DEFAULT_HOST


class BlockedCall(Base):
    """A caller a full queue refused."""

    __tablename__ = "blocked_calls"
    __table_args__ = (UniqueConstraint("host", "callid"),
                      Index("ix_blocked_calls_blocked_at", "blocked_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(32), default=DEFAULT_HOST)
    callid: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[Optional[str]] = mapped_column(String(64))
    blocked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class WaitEstimate(Base):
    """An answered caller's estimate on entering the queue beside their actual wait."""

    __tablename__ = "wait_estimates"
    __table_args__ = (UniqueConstraint("host", "callid"),
                      Index("ix_wait_estimates_entered_at", "entered_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(32), default=DEFAULT_HOST)
    callid: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    estimated_s: Mapped[int] = mapped_column(Integer)  # the queue's holdtime on entry
    waited_s: Mapped[int] = mapped_column(Integer)  # until an agent answered
