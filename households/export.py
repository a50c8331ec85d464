"""`hotline export statement --quarter 2026Q4`: 应收管理费用明细表 (000 4.2.1.2)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from households.fees import LedgerCharge, Quarter, money, summarize
from models.fees import Charge, FeeKind, Payment
from models.households import Household, Person, Room

HEADERS = ("编号", "房号", "业主姓名", "房屋面积(㎡)", "管理费标准(元/㎡·月)", "应收金额",
           "上季度欠费", "滞纳金", "本期应收合计")


@dataclasses.dataclass(frozen=True)
class StatementLine:
    number: str
    rooms: str
    owner: str
    floor_area: Decimal
    rate: Decimal | None
    amount_due: Decimal
    arrears: Decimal
    late_fee: Decimal
    total_due: Decimal


def statement_lines(session: Session, quarter: Quarter, daily_rate: Decimal,
                    as_of: dt.date | None = None) -> list[StatementLine]:
    """One line per household with a management charge for the quarter or arrears.

    Balances are taken on the quarter's first day (or `as_of`): arrears are the
    earlier charges still unpaid then, and the late fee has run until then.
    """
    as_of = as_of or quarter.start
    kind_id = session.scalar(select(FeeKind.id).where(FeeKind.code == "management"))
    charges: dict[int, list] = {}
    for household_id, start, end, due, amount, rate in session.execute(
            select(Charge.household_id, Charge.period_start, Charge.period_end, Charge.due_on,
                   Charge.amount, Charge.rate)
            .where(Charge.fee_kind_id == kind_id, Charge.period_start <= quarter.start)):
        charges.setdefault(household_id, []).append((LedgerCharge(start, end, due,
                                                                  Decimal(amount)), rate))
    paid = dict(session.execute(
        select(Payment.household_id, func.sum(Payment.amount))
        .where(Payment.paid_on < as_of, (Payment.fee_kind_id == kind_id) |
               Payment.fee_kind_id.is_(None))
        .group_by(Payment.household_id)).all())
    households = _household_labels(session, list(charges))
    lines = []
    for household_id, items in charges.items():
        summary = summarize(household_id, [c for c, _ in items], Decimal(paid.get(household_id, 0)),
                            None, as_of, daily_rate)
        current = [(c, r) for c, r in items if c.period_start == quarter.start]
        if not current and summary.total_due == 0:
            continue
        number, rooms, owner, area = households[household_id]
        lines.append(StatementLine(
            number, rooms, owner, area, current[0][1] if current else None,
            money(sum((c.amount for c, _ in current), Decimal(0))), summary.overdue,
            summary.late_fee, summary.total_due))
    return sorted(lines, key=lambda line: line.number)


def _household_labels(session: Session, ids: list[int]) -> dict[int, tuple]:
    numbers = dict(session.execute(select(Household.id, Household.number)).all())
    owners = dict(session.execute(select(Person.household_id, Person.name)
                                  .where(Person.role == "owner")).all())
    rooms: dict[int, list] = {}
    for household_id, code, area in session.execute(
            select(Room.household_id, Room.code, Room.floor_area)
            .where(Room.household_id.is_not(None))):
        rooms.setdefault(household_id, []).append((code, Decimal(area)))
    return {i: (numbers[i], ", ".join(sorted(c for c, _ in rooms.get(i, []))), owners.get(i, ""),
                sum((a for _, a in rooms.get(i, [])), Decimal(0))) for i in ids}


def _safe(value):
    # A name that starts like a formula stays text in the workbook.
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


def write_statement(lines: list[StatementLine], quarter: Quarter, path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{quarter} 应收管理费用明细表")
    sheet.append(HEADERS)
    for line in lines:
        sheet.append([_safe(line.number), _safe(line.rooms), _safe(line.owner), line.floor_area,
                      line.rate, line.amount_due, line.arrears, line.late_fee, line.total_due])
    sheet.append(["合计", "", "", sum((l.floor_area for l in lines), Decimal(0)), None,
                  sum((l.amount_due for l in lines), Decimal(0)),
                  sum((l.arrears for l in lines), Decimal(0)),
                  sum((l.late_fee for l in lines), Decimal(0)),
                  sum((l.total_due for l in lines), Decimal(0))])
    workbook.save(path)
