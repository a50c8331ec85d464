"""Tables of the IVR area: one row per IVR session, and callback requests.

Like the console's tables, these point at the call by its queue callid (the
caller channel's Uniqueid) and at the household by id, without foreign keys: an
IVR session must be stored even when the household list is being re-imported,
and the caller may never be identified at all.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

# in_progress: the row is written when the call arrives and closed at the end; a
# row still in progress after the call ended means the FastAGI process died.
IVR_OUTCOMES = ("in_progress", "self_served", "to_agent", "callback", "hung_up", "error")
IDENTIFIED_BY = ("caller_number", "keypad")
CALLBACK_STATUSES = ("open", "done", "cancelled")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class IvrSession(Base):
    __tablename__ = "ivr_sessions"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_in(IVR_OUTCOMES)})", name="outcome"),
        # The containment rate reads outcomes by day.
        Index("ix_ivr_sessions_started_outcome", "started_at", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The caller channel's Uniqueid: the queue call's id when the caller goes on
    # to an agent, so the screen-pop finds this session from the call.
    callid: Mapped[str] = mapped_column(String(64), index=True)
    linkedid: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(120), default="")
    script: Mapped[str] = mapped_column(String(40), default="fee_balance")
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    household_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    identified_by: Mapped[Optional[str]] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="in_progress")
    # Why the session ended that way: caller_chose_agent, bad_entries, timeout,
    # database_error, no_choice...
    reason: Mapped[str] = mapped_column(String(40), default="")
    bad_entries: Mapped[int] = mapped_column(Integer, default=0)
    # What the caller heard, in fen, as spoken (None: no balance was spoken).
    spoken_total_due_fen: Mapped[Optional[int]] = mapped_column(Integer)
    spoken_months_in_arrears: Mapped[Optional[int]] = mapped_column(Integer)
    spoken_late_fee_fen: Mapped[Optional[int]] = mapped_column(Integer)
    # Every prompt played, number said and entry read, in order:
    # [{"t": seconds since start, "kind": "play"|"say_number"|"input"|"note", ...}]
    steps: Mapped[list] = mapped_column(JSON, default=list)

    callback_requests: Mapped[list[IvrCallbackRequest]] = relationship(
        back_populates="ivr_session")


class IvrCallbackRequest(Base):
    """A caller asked the cashier to call back: a task for the console."""

    __tablename__ = "ivr_callback_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(CALLBACK_STATUSES)})", name="status"),
        Index("ix_ivr_callback_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ivr_session_id: Mapped[int] = mapped_column(ForeignKey("ivr_sessions.id"), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    callback_number: Mapped[str] = mapped_column(String(64), default="")
    # For the cashier: the balance the caller was told, in fen.
    total_due_fen: Mapped[Optional[int]] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    done_by: Mapped[Optional[str]] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")

    ivr_session: Mapped[IvrSession] = relationship(back_populates="callback_requests")


class IvrHouseholdPin(Base):
    """A household's IVR PIN, hashed; when set, the IVR asks for it instead of the
    last four digits of the owner's phone."""

    __tablename__ = "ivr_household_pins"

    household_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # "pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>" (telephony/ivr/identity.py)
    pin_hash: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IvrIdentityThrottle(Base):
    """Failed identity checks per household, across calls; past the limit the
    household is locked out of the IVR until `locked_until` (agents still help)."""

    __tablename__ = "ivr_identity_throttle"

    household_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Failures since the last success, lock-out or quiet lock-out period.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    locked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # The supervisor's list reads the households locked now.
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, index=True)
