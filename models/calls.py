"""Tables of the calls area: one row per queue call and one per ring attempt.

A call is keyed by its queue callid (the caller channel's Uniqueid, which is
also queue_log's callid) and carries its Asterisk host: with several hosts each
has its own systemname, which prefixes its Uniqueids (b-1796164084.2). The bridge writes rows by idempotent upserts on that
key, so a replayed or duplicated AMI event never stores a call twice. Work
orders and QA scores refer to a call by the same callid string.

Durations are whole seconds as Asterisk reports them (HoldTime, TalkTime,
RingTime), so they compare exactly with queue_log; `ring_ms` of an attempt is
measured between AgentCalled and the event that ended the ring.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.vocabulary import CALL_OUTCOMES, HUNG_UP_BY, RING_OUTCOMES, TRANSFER_KINDS

# The host of rows from before there were several (migration 0014), and of a single
# Asterisk without a systemname; hotline.settings' HOTLINE_ASTERISK_HOST default.
DEFAULT_HOST = "main"


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IS NULL OR {column} IN ({quoted})"


class Call(Base):
    """One call that entered a queue, from entering to hang-up.

    `outcome` is NULL while the call is still open (waiting or talking).
    """

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    callid: Mapped[str] = mapped_column(String(64), unique=True)
    # The Asterisk host the call was on (its systemname, set by that host's bridge):
    # the systemname also prefixes its Uniqueids, so callid alone stays unique.
    host: Mapped[str] = mapped_column(String(32), default=DEFAULT_HOST,
                                      server_default=DEFAULT_HOST)
    linkedid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    channel: Mapped[Optional[str]] = mapped_column(String(128))
    caller_number_raw: Mapped[Optional[str]] = mapped_column(String(64))
    # The caller ID as AMI gave it, only when caller_number_raw had to be cut
    # to its column (a hostile or broken caller ID; see telephony.call_writer).
    caller_number_full: Mapped[Optional[str]] = mapped_column(Text)
    # As households match numbers (telephony.call_state.normalize_caller_number).
    caller_number: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    caller_name: Mapped[Optional[str]] = mapped_column(String(128))
    dialled_number: Mapped[Optional[str]] = mapped_column(String(64))
    queue: Mapped[Optional[str]] = mapped_column(String(64))
    position: Mapped[Optional[int]] = mapped_column(Integer)
    entered_queue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    agent_interface: Mapped[Optional[str]] = mapped_column(String(128))
    agent_member: Mapped[Optional[str]] = mapped_column(String(128))
    agent_channel: Mapped[Optional[str]] = mapped_column(String(128))
    # Seconds the answered attempt rang (AgentConnect's RingTime) and the rings
    # heard: ceil(ring time / settings.ring_cadence_s).
    ring_s: Mapped[Optional[int]] = mapped_column(Integer)
    rings: Mapped[Optional[int]] = mapped_column(Integer)
    wait_s: Mapped[Optional[int]] = mapped_column(Integer)
    talk_s: Mapped[Optional[int]] = mapped_column(Integer)
    hold_s: Mapped[Optional[int]] = mapped_column(Integer)
    wrapup_s: Mapped[Optional[int]] = mapped_column(Integer)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    hung_up_by: Mapped[Optional[str]] = mapped_column(String(16))
    outcome: Mapped[Optional[str]] = mapped_column(String(16))
    transfer_target: Mapped[Optional[str]] = mapped_column(String(128))
    # The transfer's second leg: how it was transferred, the phone that took the
    # caller (interface and channel), from when until when.
    transfer_kind: Mapped[Optional[str]] = mapped_column(String(16))
    transfer_interface: Mapped[Optional[str]] = mapped_column(String(128), index=True)
    transfer_channel: Mapped[Optional[str]] = mapped_column(String(128))
    transfer_answered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    transfer_ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    recording_path: Mapped[Optional[str]] = mapped_column(String(512))
    recording_duration_s: Mapped[Optional[float]] = mapped_column(Float)
    recording_size_bytes: Mapped[Optional[int]] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ring_attempts: Mapped[list["RingAttempt"]] = relationship(
        back_populates="call", order_by="RingAttempt.started_at", viewonly=True)

    __table_args__ = (
        # The statistics filter on time, then queue or agent.
        Index("ix_calls_entered_queue_at", "entered_queue_at"),
        Index("ix_calls_queue_entered", "queue", "entered_queue_at"),
        Index("ix_calls_agent_entered", "agent_interface", "entered_queue_at"),
        Index("ix_calls_outcome", "outcome"),
        Index("ix_calls_host_entered", "host", "entered_queue_at"),
        CheckConstraint(_in("outcome", CALL_OUTCOMES), name="outcome"),
        CheckConstraint(_in("hung_up_by", HUNG_UP_BY), name="hung_up_by"),
        CheckConstraint(_in("transfer_kind", TRANSFER_KINDS), name="transfer_kind"),
    )

    @property
    def is_open(self) -> bool:
        return self.outcome is None


class RingAttempt(Base):
    """One member's phone ringing for a call; keyed by the agent channel's id."""

    __tablename__ = "call_ring_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callid: Mapped[str] = mapped_column(
        String(64), ForeignKey("calls.callid", ondelete="CASCADE"))
    # DestUniqueid of AgentCalled (or the agent channel's name): one per attempt.
    attempt_key: Mapped[str] = mapped_column(String(128))
    member_name: Mapped[Optional[str]] = mapped_column(String(128))
    interface: Mapped[Optional[str]] = mapped_column(String(128), index=True)
    agent_channel: Mapped[Optional[str]] = mapped_column(String(128))
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[Optional[str]] = mapped_column(String(16))
    ring_ms: Mapped[Optional[int]] = mapped_column(Integer)

    call: Mapped[Call] = relationship(back_populates="ring_attempts", viewonly=True)

    __table_args__ = (
        UniqueConstraint("callid", "attempt_key", name="uq_call_ring_attempts_callid_attempt"),
        CheckConstraint(_in("outcome", RING_OUTCOMES), name="outcome"),
    )

