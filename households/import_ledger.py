"""`hotline import ledger FILE`: charges and payments (收费台账).

One row is a charge (amount due for a fee kind and period), a payment (amount
paid with its receipt number and date), or both. The household is named by its
number (编号) or its room ("3-2-1502"). Natural keys: a charge by (household, fee
kind, period start), a payment by receipt number; importing again updates them.
Every payment needs a receipt number (001: never a hand-signed note).
"""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from households import import_values as values
from households.import_messages import msg
from households.fees import PAYMENT_WINDOW_LAST_DAY, Quarter
from households.reference import FEE_KIND_ALIASES, ensure_fee_kinds
from households.tabular import Column, Problem, RowCells, Table
from models.fees import Charge, Payment
from models.households import Household, Room

IN_LIST_SIZE = 5000
COLUMNS = [
    Column("household_number", ("编号", "户号", "number")),
    Column("room", ("房号", "房间", "room_code")),
    Column("fee_kind", ("费用类型", "收费项目", "费用名称", "kind"), required=True),
    Column("period", ("期间", "所属期", "计费期间", "quarter", "month"), required=True),
    Column("amount_due", ("应收金额", "应收", "amount")),
    Column("amount_paid", ("实收金额", "实收", "paid")),
    Column("receipt_number", ("收据号", "收据编号", "票据号", "receipt")),
    Column("paid_on", ("缴费日期", "收款日期", "paid_date")),
    Column("due_on", ("缴费截止日", "due_date")),
]


@dataclasses.dataclass
class LedgerRow:
    row_number: int
    household_id: int
    fee_kind: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    amount_due: Decimal | None
    amount_paid: Decimal | None
    receipt_number: str | None
    paid_on: dt.date | None


def parse_period(text: str) -> tuple[dt.date, dt.date, dt.date]:
    """'2026Q3' → the quarter; '2026-07' or '2026年7月' → the month; with the due day."""
    compact = re.sub(r"\s+", "", values.half_width(text))
    if re.fullmatch(r"\d{4}-?Q[1-4]", compact, re.I):
        quarter = Quarter.parse(compact)
        return quarter.start, quarter.end, quarter.due_on
    match = re.fullmatch(r"(\d{4})(?:-|/|年)(\d{1,2})月?", compact)
    if match and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        start = dt.date(year, month, 1)
        end = start.replace(day=calendar.monthrange(year, month)[1])
        return start, end, start.replace(day=PAYMENT_WINDOW_LAST_DAY)
    raise ValueError(msg("%(text)s is not a period like 2026Q3 or 2026-07",
                         text=repr(text[:30])))


_ROOM_WORDS = re.compile(r"第?(?P<building>[0-9A-Za-z]+)(?:号楼|#楼|#|栋|幢|座|-)"
                         r"(?P<unit>[0-9A-Za-z]+)(?:单元|-)(?P<room>[0-9A-Za-z]+)室?")


def room_code(text: str) -> str:
    """'3-2-1502', '3*2*1502', '３－２－１５０２' or '3号楼2单元1502室' → '3-2-1502'
    (rooms.code, as the household import builds it)."""
    compact = re.sub(r"\s+", "", values.half_width(text)).replace("*", "-")
    match = _ROOM_WORDS.fullmatch(compact)
    if not match:
        return compact
    return "-".join((part.lstrip("0") or "0") if part.isdigit() else part
                    for part in match.group("building", "unit", "room"))


def parse_rows(session: Session, table: Table) -> tuple[list[LedgerRow], list[Problem]]:
    problems = list(table.problems)
    by_number = dict(session.execute(select(Household.number, Household.id)).all())
    by_room = dict(session.execute(select(Room.code, Room.household_id)
                                   .where(Room.household_id.is_not(None))).all())
    rows, seen_charges, seen_receipts = [], {}, {}
    for number, raw in table.rows:
        before = len(problems)
        row = _parse_row(number, raw, by_number, by_room, problems)
        if row is None or len(problems) > before:
            continue
        charge_key = (row.household_id, row.fee_kind, row.period_start)
        if row.amount_due is not None and charge_key in seen_charges:
            problems.append(Problem(number, "period", msg(
                "the same charge is already on row %(row)d", row=seen_charges[charge_key])))
            continue
        if row.receipt_number and row.receipt_number in seen_receipts:
            first = seen_receipts[row.receipt_number]
            problems.append(Problem(number, "receipt_number",
                                    msg("receipt already on row %(row)d", row=first)))
            continue
        if row.amount_due is not None:
            seen_charges[charge_key] = number
        if row.receipt_number:
            seen_receipts[row.receipt_number] = number
        rows.append(row)
    problems += _receipts_of_other_households(session, rows)
    return rows, problems


def _parse_row(number: int, raw: dict, by_number: dict, by_room: dict,
               problems: list[Problem]) -> LedgerRow | None:
    cells = RowCells(number, raw, problems)
    household_number = cells.get("household_number")
    room = cells.get("room")
    kind_text = cells.get("fee_kind", required=True)
    period = cells.get("period", parse_period, required=True)
    amount_due = cells.get("amount_due", values.parse_amount)
    amount_paid = cells.get("amount_paid", values.parse_amount)
    receipt = cells.get("receipt_number", values.fitting(Payment.receipt_number))
    paid_on = cells.get("paid_on", values.parse_date)
    due_on = cells.get("due_on", values.parse_date)
    household_id = _household_id(number, household_number, room, by_number, by_room, problems,
                                 len(problems) > cells.first_problem)
    kind = FEE_KIND_ALIASES.get((kind_text or "").strip().lower()) if kind_text else None
    if kind_text and kind is None:
        problems.append(Problem(number, "fee_kind", msg("%(text)s is not a known fee kind",
                                                        text=repr(kind_text[:30]))))
    if amount_due is None and amount_paid is None and len(problems) == cells.first_problem:
        problems.append(Problem(number, None,
                                msg("neither amount_due nor amount_paid is given")))
    if amount_paid is not None and not (receipt and paid_on) and not (
            cells.refused("receipt_number") or cells.refused("paid_on")):
        problems.append(Problem(number, "receipt_number",
                                msg("a payment needs its receipt number and date")))
    if household_id is None or kind is None or period is None:
        return None
    return LedgerRow(number, household_id, kind, period[0], period[1], due_on or period[2],
                     amount_due, amount_paid, receipt, paid_on)


def _household_id(number: int, household_number: str | None, room: str | None,
                  by_number: dict, by_room: dict, problems: list[Problem],
                  row_refused: bool) -> int | None:
    if household_number:
        found = by_number.get(household_number)
        if found is None:
            problems.append(Problem(number, "household_number", msg(
                "no household numbered %(number)s", number=repr(household_number[:40]))))
        return found
    if room:
        found = by_room.get(room_code(room))
        if found is None:
            problems.append(Problem(number, "room", msg("no household lives in room %(room)s",
                                                        room=repr(room[:30]))))
        return found
    if not row_refused:
        problems.append(Problem(number, "room", msg("give the household number or the room")))
    return None


def _receipts_of_other_households(session: Session, rows: list[LedgerRow]) -> list[Problem]:
    receipts = {row.receipt_number: row for row in rows if row.receipt_number}
    if not receipts:
        return []
    problems = []
    found = [row for chunk in _chunks(list(receipts)) for row in session.execute(
        select(Payment.receipt_number, Payment.household_id)
        .where(Payment.receipt_number.in_(chunk)))]
    for receipt, household_id in found:
        if household_id != receipts[receipt].household_id:
            problems.append(Problem(receipts[receipt].row_number, "receipt_number", msg(
                "receipt %(receipt)s belongs to another household", receipt=receipt)))
    return problems


def _chunks(values: list, size: int = IN_LIST_SIZE):
    """IN lists in slices: SQLite and PostgreSQL both cap the parameters of a statement."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclasses.dataclass
class LedgerImportResult:
    charges_written: int = 0
    payments_written: int = 0


def apply_rows(session: Session, rows: list[LedgerRow], progress=None) -> LedgerImportResult:
    kinds = ensure_fee_kinds(session)
    result = LedgerImportResult()
    household_ids = sorted({row.household_id for row in rows})
    charges = {(c.household_id, c.fee_kind_id, c.period_start): c
               for chunk in _chunks(household_ids) for c in session.scalars(
                   select(Charge).where(Charge.household_id.in_(chunk)))}
    receipts = [row.receipt_number for row in rows if row.receipt_number]
    payments = {p.receipt_number: p for chunk in _chunks(receipts) for p in session.scalars(
        select(Payment).where(Payment.receipt_number.in_(chunk)))}
    with session.no_autoflush:
        for row in rows:
            if row.amount_due is not None:
                _upsert_charge(session, charges, row, kinds[row.fee_kind])
                result.charges_written += 1
            if row.amount_paid is not None:
                _upsert_payment(session, payments, row, kinds[row.fee_kind])
                result.payments_written += 1
            if progress:
                progress(1)
    session.flush()
    return result


def _upsert_charge(session: Session, charges: dict, row: LedgerRow, kind_id: int) -> None:
    key = (row.household_id, kind_id, row.period_start)
    charge = charges.get(key)
    if charge is None:
        charge = charges[key] = Charge(household_id=row.household_id, fee_kind_id=kind_id,
                                       period_start=row.period_start, factor=Decimal(1))
        session.add(charge)
    charge.period_end = row.period_end
    charge.due_on = row.due_on
    charge.amount = row.amount_due


def _upsert_payment(session: Session, payments: dict, row: LedgerRow, kind_id: int) -> None:
    payment = payments.get(row.receipt_number)
    if payment is None:
        payment = payments[row.receipt_number] = Payment(receipt_number=row.receipt_number,
                                                         household_id=row.household_id)
        session.add(payment)
    payment.paid_on = row.paid_on
    payment.amount = row.amount_paid
    payment.fee_kind_id = kind_id
