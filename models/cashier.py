"""Tables of the cashier's desk (收费员, issue 16 item 6).

A payment the cashier enters is a row of models.fees.Payment like any imported
one (the balance, the pop and the IVR read only the ledger); `payment_entries`
adds what the desk knows beside it: how it was paid, the period the resident
said it was for, and who took it. `ivr_callback_calls` keeps each call the
cashier placed for a resident's IVR call-back request (models.ivr).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

# In the order of the CHECK constraint of migration 0011.
PAYMENT_METHODS: tuple[str, ...] = ("cash", "wechat", "alipay", "bank_transfer", "card")


class PaymentEntry(Base):
    __tablename__ = "payment_entries"
    __table_args__ = (
        CheckConstraint("method IN ('cash', 'wechat', 'alipay', 'bank_transfer', 'card')",
                        name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    method: Mapped[str] = mapped_column(String(16))
    # The charge's period the resident paid for (its period_start); settling still
    # follows the ledger's rule (oldest charge first, households.fees).
    period_start: Mapped[Optional[dt.date]] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IvrCallbackCall(Base):
    __tablename__ = "ivr_callback_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivr_callback_requests.id"), index=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("console_users.id"))
    number: Mapped[str] = mapped_column(String(64), default="")
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # False: the telephone system refused the originate (nothing rang).
    placed: Mapped[bool] = mapped_column(Boolean, default=True)


class PaymentReversal(Base):
    """A payment saved in error, cancelled by a correcting entry: a second row of
    models.fees.Payment with the opposite amount (same household, fee kind and day),
    so every reader of the ledger answers the corrected figure; never a delete."""

    __tablename__ = "payment_reversals"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    reversal_payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(300))
    reversed_by_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    reversed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
