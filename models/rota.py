"""The rota (排班, issue 14 item 4): who is on which shift, per office day.

The seeds' duty system (004 值班制度) staffs the centre round the clock in shifts;
adherence (call_queue.adherence) compares the agents' state spans with these rows.
A shift's instants are stored in UTC like every other time, with the office day it
belongs to: a night shift (17:30 to 08:30 next morning) is one row of the day it
starts on.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

# The "shift" labels group of agent_console/labels.py, in the CHECK's order (0012).
SHIFT_KINDS: tuple[str, ...] = ("day", "evening", "night")


class RotaShift(Base):
    __tablename__ = "rota_shifts"
    __table_args__ = (
        CheckConstraint("kind IN ('day', 'evening', 'night')", name="kind"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_rota_shifts_day_user", "day", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    day: Mapped[dt.date] = mapped_column(Date)  # the office day the shift starts on
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
