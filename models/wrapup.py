"""Tables of after-call work: the wrap-up of each answered call, and the calls an
agent linked to a household by hand.

Calls find their household loosely (by the caller's number); a call from a number
no household has - a neighbour's phone, a withheld number - is linked by an agent
(call_household_links, audited in access_audit). One wrap-up per call: the reason
category and a short summary, shown in the household's call history.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

# The call reasons, in the order the wrap-up form offers them; the CHECK
# constraint of migration 0004 lists them in this order.
WRAPUP_REASONS: tuple[str, ...] = (
    "repair", "complaint", "fee_enquiry", "enquiry", "praise", "wrong_number", "other")
SUMMARY_MAX_CHARS = 500


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class CallWrapup(Base):
    __tablename__ = "call_wrapups"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The queue callid (models.calls.Call.callid); one wrap-up per call.
    callid: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    interface: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX_CHARS))
    household_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint(_in("reason", WRAPUP_REASONS), name="reason"),)


class CallHouseholdLink(Base):
    """An earlier call an agent said belongs to this household (the number did not)."""
    __tablename__ = "call_household_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    callid: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int] = mapped_column(Integer, index=True)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
