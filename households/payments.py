"""Payments the cashier enters at the desk (issue 16 item 6), and the collection rate.

A payment is a row of the ledger (models.fees.Payment) like an imported one, so
the household's balance, the screen-pop's fee tab and the IVR, which all read
households.fees.balance_summary, answer the new figure as soon as it is committed.
Beside it, models.cashier.PaymentEntry keeps the method, the period the resident
paid for and who took it.

The rules: an amount in yuan with at most two decimals, above zero and at most
MAX_AMOUNT (a bigger sum at the desk is a typo, or a transfer the office books
otherwise); a fee kind and period among the household's ledger lines; one of
the methods; a receipt number always (001: never a hand-signed note), unique
across the ledger, compared without regard to case or full-width characters.

The collection rate (收费率) of a quarter is what was collected of the charges
billed for it ÷ those charges. Payments settle the oldest charge first, exactly
as the balance does (households.fees.outstanding_by_charge), so the rate and
the balances can never disagree. Target 95 % overall (000); parking 100 %.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from households.errors import HouseholdsError
from households.fee_detail import fee_detail
from households.fees import LedgerCharge, Quarter, money, outstanding_by_charge
from models.cashier import PAYMENT_METHODS, PaymentEntry
from models.fees import Charge, FeeKind, Payment
from models.households import Building, Community, Household, Room, Unit

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("100000.00")
RECEIPT_MAX_CHARS = 40  # models.fees.Payment.receipt_number
COLLECTION_TARGET = Decimal("0.95")
# Parking is let by contract and paid in advance: anything short of all is a problem.
FEE_KIND_TARGETS = {"parking": Decimal("1.00")}
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclasses.dataclass(frozen=True)
class FieldError:
    field: str   # amount, charge, method, receipt_number
    code: str    # required, not_an_amount, too_many_decimals, not_positive, too_large,
                 # unknown_charge, unknown_method, too_long, duplicate


class PaymentRefused(HouseholdsError):
    def __init__(self, errors: list[FieldError]):
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors

    def by_field(self) -> dict[str, str]:
        return {error.field: error.code for error in self.errors}


@dataclasses.dataclass(frozen=True)
class PaymentForm:
    """What the cashier typed, as text."""

    amount: str = ""
    charge: str = ""  # ChargeChoice.key
    method: str = ""
    receipt_number: str = ""


@dataclasses.dataclass(frozen=True)
class ChargeChoice:
    fee_kind: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    outstanding: Decimal

    @property
    def key(self) -> str:
        return f"{self.fee_kind}:{self.period_start.isoformat()}"


@dataclasses.dataclass(frozen=True)
class PaymentDraft:
    household_id: int
    amount: Decimal
    fee_kind: str
    period_start: dt.date
    method: str
    receipt_number: str


def _plain(text: str) -> str:
    """Full-width digits and letters as ASCII (an IME's １２０．５０ is 120.50)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_amount(text: str) -> Decimal | FieldError:
    plain = re.sub(r"[\s,¥]", "", _plain(text).replace("元", ""))
    if not plain:
        return FieldError("amount", "required")
    if not _AMOUNT.fullmatch(plain):
        return FieldError("amount", "not_an_amount")
    try:
        amount = Decimal(plain)
    except InvalidOperation:
        return FieldError("amount", "not_an_amount")
    if amount != amount.quantize(Decimal("0.01")):
        return FieldError("amount", "too_many_decimals")
    if amount <= 0:
        return FieldError("amount", "not_positive")
    if amount > MAX_AMOUNT:
        return FieldError("amount", "too_large")
    return money(amount)


def clean_receipt(text: str) -> str | FieldError:
    receipt = _plain(text)
    if not receipt:
        return FieldError("receipt_number", "required")
    if len(receipt) > RECEIPT_MAX_CHARS or any(not ch.isprintable() for ch in receipt):
        return FieldError("receipt_number", "too_long" if len(receipt) > RECEIPT_MAX_CHARS
                          else "not_printable")
    return receipt


def charge_choices(session: Session, household_id: int, as_of: dt.date,
                   daily_rate: Decimal) -> list[ChargeChoice]:
    """The household's ledger lines to pay for: what is still owed first (oldest
    first, as it is settled), then the lines already paid (newest first)."""
    lines = fee_detail(session, household_id, as_of, daily_rate).lines
    owed = sorted((line for line in lines if line.outstanding > 0),
                  key=lambda line: (line.due_on, line.period_start, line.fee_kind))
    paid = [line for line in lines if line.outstanding <= 0]
    return [ChargeChoice(line.fee_kind, line.period_start, line.period_end, line.amount,
                         line.outstanding) for line in owed + paid]


def check_payment(form: PaymentForm, household_id: int,
                  choices: list[ChargeChoice]) -> PaymentDraft:
    """The payment, or PaymentRefused naming every field that is wrong at once."""
    errors: list[FieldError] = []
    amount = parse_amount(form.amount)
    chosen = {choice.key: choice for choice in choices}.get(form.charge.strip())
    if chosen is None:
        errors.append(FieldError("charge", "required" if not form.charge.strip()
                                 else "unknown_charge"))
    method = form.method.strip()
    if method not in PAYMENT_METHODS:
        errors.append(FieldError("method", "required" if not method else "unknown_method"))
    receipt = clean_receipt(form.receipt_number)
    errors += [value for value in (amount, receipt) if isinstance(value, FieldError)]
    if errors:
        raise PaymentRefused(sorted(errors, key=lambda e: FIELDS.index(e.field)))
    return PaymentDraft(household_id, amount, chosen.fee_kind, chosen.period_start, method,
                        receipt)


FIELDS = ("amount", "charge", "method", "receipt_number")


def receipt_taken(session: Session, receipt: str) -> bool:
    return session.scalar(select(func.count()).select_from(Payment).where(
        func.upper(Payment.receipt_number) == receipt.upper())) > 0


def record_payment(session: Session, draft: PaymentDraft, user_id: int,
                   paid_on: dt.date) -> Payment:
    """Add the payment and its entry (the caller commits). A receipt number already
    in the ledger is refused, also when another desk saved it a moment earlier."""
    duplicate = PaymentRefused([FieldError("receipt_number", "duplicate")])
    if receipt_taken(session, draft.receipt_number):
        raise duplicate
    kind_id = session.scalar(select(FeeKind.id).where(FeeKind.code == draft.fee_kind))
    payment = Payment(household_id=draft.household_id, receipt_number=draft.receipt_number,
                      paid_on=paid_on, amount=draft.amount, fee_kind_id=kind_id)
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
            session.add(PaymentEntry(payment_id=payment.id, method=draft.method,
                                     period_start=draft.period_start, recorded_by_id=user_id))
            session.flush()
    except IntegrityError:
        raise duplicate from None
    log.info("payment %s of %s for household %s (%s %s, %s) by user %s", draft.receipt_number,
             draft.amount, draft.household_id, draft.fee_kind, draft.period_start,
             draft.method, user_id)
    return payment


def just_saved(session: Session, draft: PaymentDraft, user_id: int, since: dt.datetime
               ) -> Payment | None:
    """The payment this desk saved a moment ago with this receipt, household and amount:
    a double click (or a resubmitted page) is the same payment, not a duplicate."""
    return session.scalar(
        select(Payment).join(PaymentEntry, PaymentEntry.payment_id == Payment.id)
        .where(func.upper(Payment.receipt_number) == draft.receipt_number.upper(),
               Payment.household_id == draft.household_id, Payment.amount == draft.amount,
               PaymentEntry.recorded_by_id == user_id, PaymentEntry.recorded_at >= since))


@dataclasses.dataclass(frozen=True)
class CollectionRow:
    community: str
    building: str | None    # by building
    fee_kind: str | None    # by fee kind
    billed: Decimal
    collected: Decimal
    target: Decimal

    @property
    def rate(self) -> Decimal | None:
        return self.collected / self.billed if self.billed > 0 else None

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate is None else self.rate >= self.target

    @property
    def outstanding(self) -> Decimal:
        return money(self.billed - self.collected)


@dataclasses.dataclass(frozen=True)
class CollectionReport:
    quarter: Quarter
    as_of: dt.date
    overall: CollectionRow
    by_community: list[CollectionRow]
    by_building: list[CollectionRow]
    by_fee_kind: list[CollectionRow]


@dataclasses.dataclass(frozen=True)
class _Settled:
    household_id: int
    fee_kind: str
    amount: Decimal
    collected: Decimal


def _settled_in(session: Session, quarter: Quarter, as_of: dt.date) -> list[_Settled]:
    """Each charge of the quarter with what the payments up to `as_of` settled of it."""
    households = select(Charge.household_id).where(
        Charge.period_start >= quarter.start, Charge.period_start <= quarter.end)
    charges: dict[int, list[tuple[str, LedgerCharge]]] = {}
    for row in session.execute(
            select(Charge.household_id, FeeKind.code, Charge.period_start, Charge.period_end,
                   Charge.due_on, Charge.amount)
            .join(FeeKind, FeeKind.id == Charge.fee_kind_id)
            .where(Charge.household_id.in_(households), Charge.period_start <= as_of)
            .order_by(Charge.household_id, Charge.id)):
        charges.setdefault(row.household_id, []).append(
            (row.code, LedgerCharge(row.period_start, row.period_end, row.due_on,
                                    Decimal(row.amount))))
    paid = dict(session.execute(
        select(Payment.household_id, func.sum(Payment.amount))
        .where(Payment.household_id.in_(households), Payment.paid_on <= as_of)
        .group_by(Payment.household_id)).all())
    settled = []
    for household_id, rows in charges.items():
        ledger = [charge for _, charge in rows]
        left = outstanding_by_charge(ledger, Decimal(paid.get(household_id) or 0))
        settled += [_Settled(household_id, code, charge.amount, charge.amount - rest)
                    for (code, charge), rest in zip(rows, left)
                    if quarter.start <= charge.period_start <= quarter.end]
    return settled


def _places(session: Session) -> dict[int, tuple[str, str | None]]:
    """Household id -> (community name, building number of its first room)."""
    places: dict[int, tuple[str, str | None]] = {}
    for household_id, community in session.execute(
            select(Household.id, Community.name).join(Community,
                                                       Community.id == Household.community_id)):
        places[household_id] = (community, None)
    for household_id, number in session.execute(
            select(Room.household_id, Building.number).join(Unit, Unit.id == Room.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Room.household_id.is_not(None)).order_by(Room.id.desc())):
        # Descending: the first room (lowest id) is written last and wins.
        places[household_id] = (places.get(household_id, ("", None))[0], number)
    return places


def _rows(groups: dict[tuple, list[_Settled]], target_of) -> list[CollectionRow]:
    rows = []
    for (community, building, kind), items in sorted(
            groups.items(), key=lambda item: tuple(_natural(part) for part in item[0])):
        rows.append(CollectionRow(community, building, kind,
                                  money(sum((i.amount for i in items), Decimal(0))),
                                  money(sum((i.collected for i in items), Decimal(0))),
                                  target_of(kind)))
    return rows


def _natural(text: str | None) -> tuple:
    """Building 2 before building 10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text or "") if part != "")


def target_for(fee_kind: str | None) -> Decimal:
    return FEE_KIND_TARGETS.get(fee_kind or "", COLLECTION_TARGET)


def collection_report(session: Session, quarter: Quarter, as_of: dt.date) -> CollectionReport:
    settled = _settled_in(session, quarter, as_of)
    places = _places(session) if settled else {}
    by: dict[str, dict[tuple, list[_Settled]]] = {"community": {}, "building": {}, "kind": {}}
    for item in settled:
        community, building = places.get(item.household_id, ("", None))
        by["community"].setdefault((community, None, None), []).append(item)
        by["building"].setdefault((community, building, None), []).append(item)
        by["kind"].setdefault(("", None, item.fee_kind), []).append(item)
    overall = _rows({("", None, None): settled}, target_for) if settled else [
        CollectionRow("", None, None, money(0), money(0), COLLECTION_TARGET)]
    return CollectionReport(quarter, as_of, overall[0], _rows(by["community"], target_for),
                            _rows(by["building"], target_for), _rows(by["kind"], target_for))
