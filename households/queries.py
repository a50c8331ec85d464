"""Prebuilt statements for the hot path (caller lookup and screen-pop).

Built once with bound parameters and run on the session's connection: building
a SELECT and passing it through the ORM costs more than the indexed query itself,
and the screen-pop must stay within a few milliseconds at 100,000 households.
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, case, func, literal, null, or_, select, text, union_all
from sqlalchemy.orm import Session

from models.cashier import PaymentReversal
from models.fees import Charge, Payment
from models.households import Household, Person, Phone, Room

CANDIDATES_BY_NUMBER = (
    select(Household.id, Household.number, Household.last_called_at, Person.name, Person.role,
           Room.code)
    .select_from(Phone)
    .join(Person, Person.id == Phone.person_id)
    .join(Household, Household.id == Phone.household_id)
    .outerjoin(Room, Room.household_id == Household.id)
    .where(Phone.normalized == bindparam("key"))
)

# The household, its rooms, people and phones in one round trip. The joins multiply
# rows (rooms × phones: a handful); the screen-pop folds them back.
HOUSEHOLD_RECORD = (
    select(Household.id, Household.number, Household.occupancy, Household.renovation_status,
           Household.renovation_registered_on, Household.key_handover_on, Household.move_in_on,
           Household.last_called_at, Room.code, Room.floor_area, Person.id, Person.role,
           Person.name, Person.identity_number, Phone.id, Phone.raw, Phone.normalized,
           Phone.kind)
    .outerjoin(Room, Room.household_id == Household.id)
    .outerjoin(Person, Person.household_id == Household.id)
    # The household condition on phones too: the plan never depends on statistics.
    .outerjoin(Phone, and_(Phone.person_id == Person.id, Phone.household_id == Household.id))
    .where(Household.id == bindparam("household_id"))
    .order_by(Room.code, Person.id, Phone.id)
)

# The last payment day counts a payment that stands: neither reversed nor the
# correcting entry of one (households.reversals); the total sums them all.
_STANDS = ~or_(Payment.id.in_(select(PaymentReversal.payment_id)),
               Payment.id.in_(select(PaymentReversal.reversal_payment_id)))

# Charges and the payment total in one round trip: ("c", start, end, due, amount) rows
# and one ("p", None, None, last paid day, total paid) row.
LEDGER = union_all(
    select(literal("c").label("row_kind"), Charge.period_start, Charge.period_end,
           Charge.due_on, Charge.amount)
    .where(Charge.household_id == bindparam("household_id")),
    select(literal("p").label("row_kind"), null(), null(),
           func.max(case((_STANDS, Payment.paid_on), else_=null())),
           func.coalesce(func.sum(Payment.amount), 0))
    .where(Payment.household_id == bindparam("household_id"),
           Payment.paid_on <= bindparam("as_of")),
)


def run(session: Session, statement, **params):
    """Execute a prebuilt Core statement in the session's transaction."""
    return session.connection().execute(statement, params)


ANALYZED_TABLES = ("communities", "buildings", "units", "rooms", "households", "people",
                   "phones", "fee_kinds", "fee_rates", "charges", "payments")


def analyze(session: Session) -> None:
    """Refresh the planner's statistics after a bulk load (committed rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(ANALYZED_TABLES)))
    else:
        session.execute(text("ANALYZE"))
    session.commit()
