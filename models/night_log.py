"""The night duty log (夜间值班记录表, seed 004): what the night shift took in (calls,
events), and at the morning handover what became of each entry: an order, or
closed with a reason. Urgent entries were acted on in the night; they are kept
in the log all the same, and closed the same way in the morning.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

DISPOSITIONS: tuple[str, ...] = ("order", "closed")
# An entry the line itself wrote (telephony/night_line.py): a call out of hours,
# the night-duty phone rung, answered or not, its recording and the voicemail.
SOURCE_LINE = "line"
SUMMARY_MAX_CHARS = 500
REASON_MAX_CHARS = 300


class NightLogEntry(Base):
    __tablename__ = "night_log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    logged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None for an entry the line wrote (source "line"): nobody typed it.
    logged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    callid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    caller_number: Mapped[str] = mapped_column(String(40), default="")
    household_id: Mapped[Optional[int]] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX_CHARS))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    disposition: Mapped[Optional[str]] = mapped_column(String(16))
    work_order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("work_orders.id"))
    closed_reason: Mapped[str] = mapped_column(String(REASON_MAX_CHARS), default="")
    disposed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    disposed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    source: Mapped[Optional[str]] = mapped_column(String(16))
    duty_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    duty_answered: Mapped[Optional[bool]] = mapped_column(Boolean)
    # Paths under the recordings folder: the call with the night-duty phone, the message.
    recording: Mapped[str] = mapped_column(String(255), default="", server_default="")
    voicemail: Mapped[str] = mapped_column(String(255), default="", server_default="")

    __table_args__ = (
        CheckConstraint("disposition IN ('order', 'closed')", name="disposition"),
        CheckConstraint("source IN ('line')", name="source"),
    )
