"""Tables of the supervision area: listening in, QA scores, the audit trail.

Calls are referred to by `callid` (Asterisk's Uniqueid of the queue call, also
queue_log's callid) rather than by a foreign key: a spy session or an audit row
must survive even when the call record is written late or never (a bridge that
missed the call), and queue_log ties to the same key.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.calls import RingAttempt
from models.console import WorkOrder

SPY_MODES = ("listen", "whisper", "barge")


class SpySession(Base):
    """One ChanSpy run: from ChanSpyStart to ChanSpyStop."""

    __tablename__ = "spy_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, nullable=True)
    spyer_channel: Mapped[str] = mapped_column(String(128))
    spyee_channel: Mapped[str] = mapped_column(String(128))
    # Known when the session was requested from the wallboard; empty when it was
    # started some other way (dialplan) and only seen through AMI.
    mode: Mapped[str] = mapped_column(String(16), default="")
    supervisor_user_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    supervisor_interface: Mapped[str] = mapped_column(String(64), default="")
    callid: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_spy_sessions_open", "spyer_channel", "spyee_channel", "stopped_at"),
    )


class QaScore(Base):
    """A supervisor's monitoring score of one recorded call (criteria + total)."""

    __tablename__ = "qa_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callid: Mapped[str] = mapped_column(String(64), index=True)
    # The scored agent, as the queue member interface the call was answered on.
    agent_interface: Mapped[str] = mapped_column(String(64), index=True)
    scorer_user_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")


class AuditLog(Base):
    """Who looked at what: one row each time someone opens a recording."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="")


class AgentStateSpan(Base):
    """One stretch of time an agent (queue member interface) spent in one state.

    Written by the live board as states change (idle, ringing, talking, on_hold,
    wrapup, paused, unavailable); `ended_at` is NULL for the current state. The
    statistics read occupancy and logged-in hours from it.
    """

    __tablename__ = "agent_state_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interface: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_agent_state_spans_started", "started_at", "interface"),
        Index("ix_agent_state_spans_open", "interface", "ended_at"),
    )


# Indexes the statistics (call_queue.stats.queries) need on tables other areas own;
# defined here, beside the other supervision tables, so that every metadata user
# (tests, Alembic autogenerate) sees them.
STATS_INDEXES = (
    Index("ix_work_orders_call_at", WorkOrder.call_at),
    Index("ix_work_orders_household_kind_call_at",
          WorkOrder.household_id, WorkOrder.kind, WorkOrder.call_at),
    Index("ix_call_ring_attempts_started_at", RingAttempt.started_at),
)
