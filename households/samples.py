"""Building households in code, for tests (here and in other packages) and examples.

`add_household(session, "3-2-1502", owner="王伟", phones=["138 0013 8000"], ...)`
creates the community, building, unit and room as needed and returns the
household (flushed, not committed).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from households.fees import Quarter
from households.numbers import normalize_number
from households.reference import ensure_fee_kinds
from models.fees import Charge, Payment
from models.households import (
    Building, Community, Household, Occupancy, Person, PersonRole, Phone, RenovationStatus,
    Room, Unit,
)

# The samples' local numbers ("62345678") are Beijing landlines, as the default
# setting (HOTLINE_LOCAL_AREA_CODE=010) reads them.
SAMPLE_AREA_CODE = "010"


def _get_or_add(session: Session, model, **key):
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key)
        session.add(row)
        session.flush()
    return row


def add_household(session: Session, room_code: str, owner: str = "王伟",
                  phones: list[str] = ("13800138000",), area: Decimal = Decimal("100"),
                  occupancy: Occupancy = Occupancy.OWNER_OCCUPIED,
                  key_handover_on: dt.date | None = dt.date(2020, 1, 1),
                  renovation_registered_on: dt.date | None = dt.date(2020, 2, 1),
                  move_in_on: dt.date | None = dt.date(2020, 6, 1),
                  identity_number: str | None = None, community: str = "MAIN",
                  others: list[tuple[str, str, list[str]]] = (),
                  local_area_code: str = SAMPLE_AREA_CODE) -> Household:
    """others: (role, name, phones) for family, tenant and agent."""
    community_row = _get_or_add(session, Community, code=community, name=community)
    building_number, unit_number, room_number = room_code.split("-")
    building = _get_or_add(session, Building, community_id=community_row.id,
                           number=building_number)
    unit = _get_or_add(session, Unit, building_id=building.id, number=unit_number)
    household = Household(
        number=f"{community}-{room_code}", community_id=community_row.id, occupancy=occupancy,
        renovation_status=RenovationStatus.REGISTERED if renovation_registered_on
        else RenovationStatus.NOT_REGISTERED,
        renovation_registered_on=renovation_registered_on, key_handover_on=key_handover_on,
        move_in_on=move_in_on)
    session.add(household)
    session.flush()
    session.add(Room(unit_id=unit.id, number=room_number, code=room_code, floor_area=area,
                     household_id=household.id))
    for role, name, numbers, identity in [("owner", owner, phones, identity_number)] + [
            (role, name, numbers, None) for role, name, numbers in others]:
        person = Person(household_id=household.id, role=PersonRole(role), name=name,
                        identity_number=identity)
        session.add(person)
        session.flush()
        for raw in numbers:
            number = normalize_number(raw, local_area_code)
            session.add(Phone(person_id=person.id, household_id=household.id, raw=raw,
                              normalized=number.key, kind=number.kind))
    session.flush()
    return household


def add_charge(session: Session, household_id: int, quarter: str, amount: Decimal,
               kind: str = "management") -> Charge:
    period = Quarter.parse(quarter)
    charge = Charge(household_id=household_id, fee_kind_id=ensure_fee_kinds(session)[kind],
                    period_start=period.start, period_end=period.end, due_on=period.due_on,
                    amount=Decimal(amount))
    session.add(charge)
    session.flush()
    return charge


def add_payment(session: Session, household_id: int, paid_on: dt.date, amount: Decimal,
                receipt_number: str) -> Payment:
    payment = Payment(household_id=household_id, paid_on=paid_on, amount=Decimal(amount),
                      receipt_number=receipt_number)
    session.add(payment)
    session.flush()
    return payment
