"""The 费用 tab in full: balance by fee kind and period, ledger lines, late fee,
dunning stage and the last payments. Read on demand when the agent opens the tab,
not in the screen-pop (which must stay small and fast: bench/screen_pop.py).

Payments settle the oldest charge first, exactly as households.fees.summarize
does, so the lines add up to the pop's balance.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from households.fees import (
    BalanceSummary, LedgerCharge, balance_summary, late_fee, money, outstanding_by_charge,
)
from models.fees import Charge, FeeKind, Payment

LAST_PAYMENTS = 5
LEDGER_LINES = 24


@dataclasses.dataclass(frozen=True)
class LedgerLine:
    fee_kind: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    amount: Decimal
    outstanding: Decimal
    overdue: bool
    late_fee: Decimal


@dataclasses.dataclass(frozen=True)
class KindBalance:
    fee_kind: str
    outstanding: Decimal
    overdue: Decimal
    late_fee: Decimal


@dataclasses.dataclass(frozen=True)
class PaymentLine:
    paid_on: dt.date
    amount: Decimal
    receipt_number: str
    fee_kind: str | None


@dataclasses.dataclass(frozen=True)
class FeeDetail:
    balance: BalanceSummary
    by_kind: list[KindBalance]
    lines: list[LedgerLine]      # newest period first, at most LEDGER_LINES
    payments: list[PaymentLine]  # newest first, at most LAST_PAYMENTS

    def as_dict(self) -> dict:
        return {"balance": self.balance.as_dict(),
                "by_kind": [_jsonable(k) for k in self.by_kind],
                "lines": [_jsonable(line) for line in self.lines],
                "payments": [_jsonable(p) for p in self.payments]}


def _jsonable(record) -> dict:
    data = dataclasses.asdict(record)
    for key, value in data.items():
        if isinstance(value, Decimal):
            data[key] = str(value)
        elif isinstance(value, dt.date):
            data[key] = value.isoformat()
    return data


def fee_detail(session: Session, household_id: int, as_of: dt.date,
               daily_rate: Decimal) -> FeeDetail:
    rows = session.execute(
        select(FeeKind.code, Charge.period_start, Charge.period_end, Charge.due_on,
               Charge.amount)
        .join(FeeKind, FeeKind.id == Charge.fee_kind_id)
        .where(Charge.household_id == household_id, Charge.period_start <= as_of)).all()
    payments = session.execute(
        select(Payment.paid_on, Payment.amount, Payment.receipt_number, FeeKind.code)
        .outerjoin(FeeKind, FeeKind.id == Payment.fee_kind_id)
        .where(Payment.household_id == household_id, Payment.paid_on <= as_of)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())).all()
    paid = sum((Decimal(p.amount) for p in payments), Decimal(0))
    charges = [LedgerCharge(r.period_start, r.period_end, r.due_on, Decimal(r.amount))
               for r in rows]
    left = outstanding_by_charge(charges, paid)
    lines = [LedgerLine(fee_kind=row.code, period_start=row.period_start,
                        period_end=row.period_end, due_on=row.due_on,
                        amount=money(charge.amount), outstanding=money(rest),
                        overdue=rest > 0 and charge.due_on < as_of,
                        late_fee=late_fee(rest, charge.due_on, as_of, daily_rate))
             for row, charge, rest in zip(rows, charges, left)]
    lines.sort(key=lambda line: (line.period_start, line.fee_kind), reverse=True)
    return FeeDetail(
        balance=balance_summary(session, household_id, as_of, daily_rate),
        by_kind=_by_kind(lines), lines=lines[:LEDGER_LINES],
        payments=[PaymentLine(p.paid_on, money(p.amount), p.receipt_number, p.code)
                  for p in payments[:LAST_PAYMENTS]])


def _by_kind(lines: list[LedgerLine]) -> list[KindBalance]:
    totals: dict[str, list[Decimal]] = {}
    for line in lines:
        total = totals.setdefault(line.fee_kind, [Decimal(0), Decimal(0), Decimal(0)])
        total[0] += line.outstanding
        total[1] += line.outstanding if line.overdue else 0
        total[2] += line.late_fee
    return [KindBalance(kind, money(o), money(d), money(f))
            for kind, (o, d, f) in sorted(totals.items())]
