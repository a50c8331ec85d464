"""Reversing a payment saved in error at the cashier's desk.

Never a delete and never an edit: the reversal is a second ledger row
(models.fees.Payment) with the opposite amount, the same household, fee kind and
day, so the balance, the screen-pop's fee tab, the IVR and the collection rate,
which all sum the ledger, answer the corrected figure as soon as it is committed.
models.cashier.PaymentReversal ties the two rows with the reason and who did it.
The printed receipt of the reversed payment is void; a corrected payment is
entered anew with its own receipt.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from households.errors import HouseholdsError
from households.fees import money
from models.cashier import PaymentReversal
from models.console import User
from models.fees import FeeKind, Payment

log = logging.getLogger(__name__)

REASON_MAX_CHARS = 300  # models.cashier.PaymentReversal.reason
LISTED = 10
RECEIPT_PREFIX = "冲正-"  # the correcting entry's receipt: 冲正 (reversal) and the payment's id


class ReversalRefused(HouseholdsError):
    """code: reason_required, reason_too_long, already_reversed, is_reversal, not_found."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclasses.dataclass(frozen=True)
class PaymentRow:
    """A payment as the desk lists it for correction."""
    payment_id: int
    paid_on: dt.date
    amount: Decimal
    receipt_number: str
    fee_kind: str | None
    reversed_reason: str | None = None   # set: this payment was reversed
    reversed_by: str | None = None
    reversed_at: dt.datetime | None = None
    reverses_receipt: str | None = None  # set: this row is a correcting entry

    @property
    def can_reverse(self) -> bool:
        return self.reversed_reason is None and self.reverses_receipt is None


def clean_reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise ReversalRefused("reason_required")
    if len(reason) > REASON_MAX_CHARS:
        raise ReversalRefused("reason_too_long")
    return reason


def reverse_payment(session: Session, household_id: int, payment_id: int, reason: str,
                    user_id: int) -> Payment:
    """Add the correcting entry (the caller commits); returns the reversed payment."""
    reason = clean_reason(reason)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.household_id != household_id:
        raise ReversalRefused("not_found")
    links = session.scalars(select(PaymentReversal).where(or_(
        PaymentReversal.payment_id == payment_id,
        PaymentReversal.reversal_payment_id == payment_id))).all()
    if any(link.reversal_payment_id == payment_id for link in links):
        raise ReversalRefused("is_reversal")
    if links:
        raise ReversalRefused("already_reversed")
    correction = Payment(household_id=household_id, receipt_number=f"{RECEIPT_PREFIX}{payment.id}",
                         paid_on=payment.paid_on, amount=money(-Decimal(payment.amount)),
                         fee_kind_id=payment.fee_kind_id)
    try:
        with session.begin_nested():
            session.add(correction)
            session.flush()
            session.add(PaymentReversal(payment_id=payment.id, reversal_payment_id=correction.id,
                                        reason=reason, reversed_by_id=user_id))
            session.flush()
    except IntegrityError:
        raise ReversalRefused("already_reversed") from None  # another desk, a moment earlier
    log.info("payment %s (%s, receipt %s) of household %s reversed by user %s: %s", payment.id,
             payment.amount, payment.receipt_number, household_id, user_id, reason)
    return payment


def payment_rows(session: Session, household_id: int, limit: int = LISTED) -> list[PaymentRow]:
    """The household's latest payments, newest first, each with its reversal if any."""
    payments = session.execute(
        select(Payment.id, Payment.paid_on, Payment.amount, Payment.receipt_number, FeeKind.code)
        .outerjoin(FeeKind, FeeKind.id == Payment.fee_kind_id)
        .where(Payment.household_id == household_id)
        .order_by(Payment.recorded_at.desc(), Payment.id.desc()).limit(limit)).all()
    ids = [row.id for row in payments]
    original = aliased(Payment)
    links = session.execute(
        select(PaymentReversal.payment_id, PaymentReversal.reversal_payment_id,
               PaymentReversal.reason, PaymentReversal.reversed_at, User.display_name,
               User.username, original.receipt_number)
        .join(User, User.id == PaymentReversal.reversed_by_id)
        .join(original, original.id == PaymentReversal.payment_id)
        .where(or_(PaymentReversal.payment_id.in_(ids),
                   PaymentReversal.reversal_payment_id.in_(ids)))).all() if ids else []
    reversed_ = {link.payment_id: link for link in links}
    corrections = {link.reversal_payment_id: link for link in links}
    rows = []
    for row in payments:
        link = reversed_.get(row.id)
        rows.append(PaymentRow(
            row.id, row.paid_on, money(row.amount), row.receipt_number, row.code,
            reversed_reason=link.reason if link else None,
            reversed_by=(link.display_name or link.username) if link else None,
            reversed_at=link.reversed_at if link else None,
            reverses_receipt=(corrections[row.id].receipt_number
                              if row.id in corrections else None)))
    return rows
