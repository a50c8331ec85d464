"""Tables of the retention purge (hotline purge): the log of each run, what each kind
of personal data lost in it, and which call recordings it deleted.

A purged recording's call keeps its row (the statistics count it) with
recording_path cleared; purged_recordings says when and by which run the file went,
so "no recording" and "recording deleted after its retention period" stay apart.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

# The kinds of personal data with a retention period (maintenance/retention.ini).
PURGE_KINDS: tuple[str, ...] = ("recordings", "caller_numbers", "identity_numbers", "audit_log")


class PurgeRun(Base):
    __tablename__ = "purge_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # Who ran it (the system user of `hotline purge`, or the timer's unit).
    run_by: Mapped[str] = mapped_column(String(64), default="")
    policy_file: Mapped[str] = mapped_column(String(512), default="")

    kinds: Mapped[list["PurgeRunKind"]] = relationship(
        back_populates="run", order_by="PurgeRunKind.id", cascade="all, delete-orphan")


class PurgeRunKind(Base):
    """What one run did to one kind: the period applied and what went, oldest to newest."""

    __tablename__ = "purge_run_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("purge_runs.id", ondelete="CASCADE"),
                                        index=True)
    kind: Mapped[str] = mapped_column(String(24))
    retention_days: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
    oldest: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    newest: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    run: Mapped[PurgeRun] = relationship(back_populates="kinds")

    __table_args__ = (
        CheckConstraint("kind IN ('recordings', 'caller_numbers', 'identity_numbers', "
                        "'audit_log')", name="kind"),
    )


class PurgedRecording(Base):
    """A call recording deleted by a purge run (the call row stays, its path cleared)."""

    __tablename__ = "purged_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    callid: Mapped[str] = mapped_column(String(64), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("purge_runs.id", ondelete="CASCADE"),
                                        index=True)
    path: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[Optional[int]] = mapped_column(BigInteger)
    call_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
