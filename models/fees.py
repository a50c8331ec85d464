"""Tables of the fees area: fee kinds, rates, charges per period, payments.

Late fees, arrears age and the dunning stage are not stored: they are functions of
the charges, the payments and the day (households/fees.py), so they can never
disagree with the ledger. Natural keys: fee_kind.code; (household, fee kind,
period_start) for a charge; receipt_number for a payment.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

MONEY = Numeric(12, 2)


class FeeKind(Base):
    __tablename__ = "fee_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # management, parking, ...
    name: Mapped[str] = mapped_column(String(60))  # 物业管理费, 停车费, ...


class FeeRate(Base):
    """The price of a fee kind in a community from a date (管理费标准)."""

    __tablename__ = "fee_rates"
    __table_args__ = (UniqueConstraint("fee_kind_id", "community_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fee_kind_id: Mapped[int] = mapped_column(ForeignKey("fee_kinds.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    # For management: yuan per m² per month; for flat fees: yuan per month.
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    per_square_metre: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)

    fee_kind: Mapped[FeeKind] = relationship()


class Charge(Base):
    """What a household owes for one fee kind and one period (应收)."""

    __tablename__ = "charges"
    __table_args__ = (
        UniqueConstraint("household_id", "fee_kind_id", "period_start"),
        Index("ix_charges_period_start", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    fee_kind_id: Mapped[int] = mapped_column(ForeignKey("fee_kinds.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
    due_on: Mapped[dt.date] = mapped_column(Date)  # last day of the payment window
    floor_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    factor: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("1"))
    amount: Mapped[Decimal] = mapped_column(MONEY)

    fee_kind: Mapped[FeeKind] = relationship()


class Payment(Base):
    """Money received, always with a receipt (001: never a hand-signed note)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    receipt_number: Mapped[str] = mapped_column(String(40), unique=True)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    fee_kind_id: Mapped[int | None] = mapped_column(ForeignKey("fee_kinds.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
