"""The fee rules of the seeds (000, 004), as pure functions, and the balance summary.

- Management fee from the day the keys are handed over; half rate until renovation
  is registered, full rate from that day, or once the home is lived in (000 4.2.1.1).
- Entrusted (托管) vacant homes pay 70 % of the full fee (004).
- Quarterly statements; the payment window is days 1–10 of the quarter's first
  month (000 4.2.1.6); the first notice goes out by the 20th, the second 10 days
  after an unpaid first, the final 10 days after the second, then other means
  (000 4.2.1.8–11); a formal letter by courier after 3 months unpaid (004).
- Late fee (滞纳金): a daily rate on overdue principal; the seeds give no rate, so it
  is the setting HOTLINE_LATE_FEE_DAILY_RATE.
Payments settle the oldest charge first; the late fee accrues on what is still
overdue today.
"""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import enum
import re
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from households import queries
from households.errors import FeeRuleError
from models.households import Occupancy

CENT = Decimal("0.01")
HALF_RATE = Decimal("0.5")
ENTRUSTED_RATE = Decimal("0.7")
FULL_RATE = Decimal("1")
PAYMENT_WINDOW_LAST_DAY = 10
NOTICE_INTERVAL = dt.timedelta(days=10)
FIRST_NOTICE_AFTER_WINDOW = dt.timedelta(days=10)  # window ends the 10th, notice by the 20th
FORMAL_LETTER_AFTER_MONTHS = 3


class DunningStage(str, enum.Enum):
    NONE = "none"
    FIRST_NOTICE = "first_notice"    # 首次催款通知单
    SECOND_NOTICE = "second_notice"  # 第二次催款通知单
    FINAL_NOTICE = "final_notice"    # 最后催款通知单
    OTHER_MEANS = "other_means"      # 其它方式: courier letter, visits, legal route


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*Q([1-4])\s*", text, re.I)
        if not match:
            raise FeeRuleError(f"{text!r} is not a quarter like 2026Q4")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        month = 3 * self.number
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def due_on(self) -> dt.date:
        """Last day of the payment window: the 10th of the quarter's first month."""
        return self.start.replace(day=PAYMENT_WINDOW_LAST_DAY)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def management_fee_factor(occupancy: Occupancy, renovation_registered_on: dt.date | None,
                          move_in_on: dt.date | None, day: dt.date) -> Decimal:
    """Share of the full management fee owed for `day`.

    An entrusted home that was never renovated pays the lower of the two reductions
    (half rate): 70 % is "of the full fee", and the seeds never make a rule raise it.
    """
    renovated = renovation_registered_on is not None and renovation_registered_on <= day
    lived_in = (move_in_on is not None and move_in_on <= day) or occupancy in (
        Occupancy.OWNER_OCCUPIED, Occupancy.RENTED)
    factor = FULL_RATE if renovated or lived_in else HALF_RATE
    if occupancy == Occupancy.ENTRUSTED:
        factor = min(factor, ENTRUSTED_RATE)
    return factor


def management_fee_for_period(area: Decimal, monthly_rate: Decimal, start: dt.date,
                              end: dt.date, key_handover_on: dt.date | None,
                              occupancy: Occupancy, renovation_registered_on: dt.date | None,
                              move_in_on: dt.date | None) -> Decimal:
    """The fee for start..end inclusive; a month's fee is spread over its days.

    Nothing is owed before the keys are handed over (or if they never were).
    """
    if area < 0 or monthly_rate < 0:
        raise FeeRuleError("floor area and rate must not be negative")
    if key_handover_on is None:
        return money(0)
    total = Decimal(0)
    for first, last in _constant_segments(max(start, key_handover_on), end,
                                          (renovation_registered_on, move_in_on)):
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        factor = management_fee_factor(occupancy, renovation_registered_on, move_in_on, first)
        total += area * monthly_rate * factor * ((last - first).days + 1) / days_in_month
    return money(total)


def _constant_segments(start: dt.date, end: dt.date, changes: tuple[dt.date | None, ...]):
    """start..end cut at month ends and at the days the factor may change."""
    cuts = sorted({day for day in changes if day is not None and start < day <= end})
    day = start
    while day <= end:
        month_end = dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        last = min(month_end, end)
        for cut in cuts:
            if day < cut <= last:
                last = cut - dt.timedelta(days=1)
                break
        yield day, last
        day = last + dt.timedelta(days=1)


def late_fee(overdue: Decimal, due_on: dt.date, as_of: dt.date, daily_rate: Decimal) -> Decimal:
    """滞纳金 on one overdue amount: daily rate × days after the window closed."""
    days_late = (as_of - due_on).days
    if overdue <= 0 or days_late <= 0:
        return money(0)
    return money(overdue * daily_rate * days_late)


def dunning_stage(oldest_overdue_due_on: dt.date | None, as_of: dt.date) -> DunningStage:
    """Where the collection of the oldest overdue charge stands on `as_of`."""
    if oldest_overdue_due_on is None or as_of <= oldest_overdue_due_on:
        return DunningStage.NONE
    first = oldest_overdue_due_on + FIRST_NOTICE_AFTER_WINDOW
    if as_of < first + NOTICE_INTERVAL:
        return DunningStage.FIRST_NOTICE
    if as_of < first + 2 * NOTICE_INTERVAL:
        return DunningStage.SECOND_NOTICE
    if as_of < first + 3 * NOTICE_INTERVAL:
        return DunningStage.FINAL_NOTICE
    return DunningStage.OTHER_MEANS


def formal_letter_due(oldest_overdue_due_on: dt.date | None, as_of: dt.date) -> bool:
    """004: still unpaid three months after the phone notice → letter by courier."""
    if oldest_overdue_due_on is None:
        return False
    first = oldest_overdue_due_on + FIRST_NOTICE_AFTER_WINDOW
    return as_of >= add_months(first, FORMAL_LETTER_AFTER_MONTHS)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclasses.dataclass(frozen=True)
class LedgerCharge:
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    amount: Decimal


def outstanding_by_charge(charges: list[LedgerCharge], paid: Decimal) -> list[Decimal]:
    """What is left of each charge after `paid` settles the oldest first (same order)."""
    order = sorted(range(len(charges)), key=lambda i: (charges[i].due_on, charges[i].period_start))
    left = [Decimal(0)] * len(charges)
    remaining = Decimal(paid)
    for index in order:
        settled = min(max(remaining, Decimal(0)), charges[index].amount)
        left[index] = charges[index].amount - settled
        remaining -= settled
    return left


def months_covered(charges: list[LedgerCharge]) -> int:
    months = set()
    for charge in charges:
        index = charge.period_start.year * 12 + charge.period_start.month
        last = charge.period_end.year * 12 + charge.period_end.month
        months.update(range(index, last + 1))
    return len(months)


@dataclasses.dataclass(frozen=True)
class BalanceSummary:
    household_id: int
    as_of: dt.date
    total_due: Decimal        # principal still owed + late fee
    outstanding: Decimal      # principal still owed (billed periods)
    overdue: Decimal          # the part past its payment window
    late_fee: Decimal
    months_in_arrears: int    # calendar months of overdue, unpaid charges
    arrears_days: int         # age of the oldest overdue charge
    oldest_overdue_due_on: dt.date | None
    dunning_stage: DunningStage
    formal_letter_due: bool
    total_paid: Decimal
    last_payment_on: dt.date | None
    credit: Decimal = Decimal("0.00")  # paid beyond everything billed so far (prepayment)

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = str(value)
            elif isinstance(value, dt.date):
                data[key] = value.isoformat()
            elif isinstance(value, enum.Enum):
                data[key] = value.value
        return data


def summarize(household_id: int, charges: list[LedgerCharge], paid: Decimal,
              last_payment_on: dt.date | None, as_of: dt.date,
              daily_rate: Decimal) -> BalanceSummary:
    """The balance from ledger rows (pure: the database part is balance_summary)."""
    billed = [charge for charge in charges if charge.period_start <= as_of]
    left = outstanding_by_charge(billed, paid)
    overdue = [(c, amount) for c, amount in zip(billed, left) if amount > 0 and c.due_on < as_of]
    oldest = min((c.due_on for c, _ in overdue), default=None)
    fee = sum((late_fee(amount, c.due_on, as_of, daily_rate) for c, amount in overdue),
              money(0))
    outstanding = money(sum(left, Decimal(0)))
    return BalanceSummary(
        household_id=household_id, as_of=as_of, total_due=money(outstanding + fee),
        outstanding=outstanding, overdue=money(sum((a for _, a in overdue), Decimal(0))),
        late_fee=money(fee), months_in_arrears=months_covered([c for c, _ in overdue]),
        arrears_days=(as_of - oldest).days if oldest else 0, oldest_overdue_due_on=oldest,
        dunning_stage=dunning_stage(oldest, as_of),
        formal_letter_due=formal_letter_due(oldest, as_of),
        total_paid=money(paid), last_payment_on=last_payment_on,
        credit=money(max(Decimal(0), paid - sum((c.amount for c in billed), Decimal(0)))))


def balance_summary(session: Session, household_id: int, as_of: dt.date,
                    daily_rate: Decimal) -> BalanceSummary:
    """The household's balance on `as_of` (the office's today, from the caller), from its
    charges and payments; `daily_rate` is settings.late_fee_daily_rate."""
    charges, paid, last_paid = [], Decimal(0), None
    for kind, start, end, due_on, amount in queries.run(
            session, queries.LEDGER, household_id=household_id, as_of=as_of):
        if kind == "c":
            charges.append(LedgerCharge(start, end, due_on, Decimal(amount)))
        else:
            paid, last_paid = Decimal(amount), due_on
    return summarize(household_id, charges, Decimal(paid), last_paid, as_of, daily_rate)
