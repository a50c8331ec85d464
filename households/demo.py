"""`hotline demo-data`: a believable community, deterministic for a seed.

Buildings of 2–4 units and 6–33 floors, 2–4 flats a floor; Chinese names; mobiles
and landlines written the many ways people write them (with and without area
code, +86, extensions); shared numbers (a family landline on two people, one
owner with two flats, letting agents' mobiles on many households); tenants in
rented flats; a year of quarterly management-fee charges with payments, some late
and some never. Rows go in with bulk inserts in chunks, ids assigned here so that
no round trip is needed per row.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from households import demo_people
from households.errors import HouseholdsError
from households.fees import (
    Quarter, management_fee_factor, management_fee_for_period,
)
from households.numbers import normalize_number
from households.reference import ensure_fee_kinds
from models.fees import Charge, FeeRate, Payment
from models.households import (
    Building, Community, Household, Occupancy, Person, Phone, RenovationStatus, Room, Unit,
)

log = logging.getLogger(__name__)

CHUNK_HOUSEHOLDS = 5000
MANAGEMENT_RATE = Decimal("2.80")  # yuan per m² per month, a mid-range residential rate
OCCUPANCY_WEIGHTS = ((Occupancy.OWNER_OCCUPIED, 70), (Occupancy.RENTED, 15),
                     (Occupancy.VACANT, 10), (Occupancy.ENTRUSTED, 5))
AGENT_NEW_NUMBER_SHARE = 0.08
AGENTS_ACTIVE = 5  # agents working the area at a time: each number stays with nearby flats
PAYER_WEIGHTS = (("on_time", 84), ("late", 8), ("sometimes", 5), ("never", 3))


@dataclasses.dataclass
class DemoResult:
    community_id: int
    households: int
    rooms: int
    people: int
    phones: int
    charges: int
    payments: int


class _Ids:
    """Next free id per table, read once, so related rows can be linked in bulk."""

    def __init__(self, session: Session, models):
        self.next = {m: (session.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def make_demo_data(session: Session, households: int, *, as_of: dt.date, local_area_code: str,
                   seed: int = 1, community_code: str = "DEMO",
                   community_name: str = "翠湖花园", progress=None) -> DemoResult:
    """Insert a community of `households` households (the caller commits).

    `as_of` ends the year of ledgers (the office's today from the caller);
    `local_area_code` is settings.local_area_code, the landlines' area."""
    if households < 1:
        raise HouseholdsError("--households must be at least 1")
    if session.scalar(select(Community.id).where(Community.code == community_code)):
        raise HouseholdsError(f"community {community_code!r} already exists: "
                              "pass another --community-code or use a fresh database")
    rng = random.Random(seed)
    kinds = ensure_fee_kinds(session)
    ids = _Ids(session, (Community, Building, Unit, Room, Household, Person, Phone,
                         Charge, Payment, FeeRate))
    community_id = ids.take(Community)
    session.execute(insert(Community), [{"id": community_id, "code": community_code,
                                         "name": community_name}])
    session.execute(insert(FeeRate), [{
        "id": ids.take(FeeRate), "fee_kind_id": kinds["management"],
        "community_id": community_id, "amount": MANAGEMENT_RATE, "per_square_metre": True,
        "valid_from": dt.date(2015, 1, 1)}])
    builder = _Builder(rng, ids, community_id, community_code, as_of, kinds["management"],
                       local_area_code)
    result = DemoResult(community_id, 0, 0, 0, 0, 0, 0)
    for rows in builder.chunks(households):
        for model, batch in rows.items():
            if batch:
                # Core executemany: the ORM's bulk path costs more than the inserts.
                session.connection().execute(insert(model.__table__), batch)
        result.households += len(rows[Household])
        result.rooms += len(rows[Room])
        result.people += len(rows[Person])
        result.phones += len(rows[Phone])
        result.charges += len(rows[Charge])
        result.payments += len(rows[Payment])
        if progress:
            progress(len(rows[Household]))
    return result


class _Builder:
    def __init__(self, rng: random.Random, ids: _Ids, community_id: int, code: str,
                 as_of: dt.date, management_kind_id: int, local_area_code: str):
        self.rng = rng
        self.ids = ids
        self.community_id = community_id
        self.code = code
        self.as_of = as_of
        self.kind_id = management_kind_id
        self.quarters = _year_of_quarters(as_of)
        self.local_area_code = local_area_code
        self.phones = demo_people.PhoneBook(rng, local_area_code)
        self.people = demo_people.NameMaker(rng)
        self.rooms = self._room_stream()
        self.agent_numbers: list[str] = []
        self.serial = 0

    def _room_stream(self):
        building_number = 0
        while True:
            building_number += 1
            building_id = self.ids.take(Building)
            yield ("building", {"id": building_id, "community_id": self.community_id,
                                "number": str(building_number)})
            floors = self.rng.randint(6, 33)
            per_floor = self.rng.randint(2, 4)
            for unit_number in range(1, self.rng.randint(2, 4) + 1):
                unit_id = self.ids.take(Unit)
                yield ("unit", {"id": unit_id, "building_id": building_id,
                                "number": str(unit_number)})
                for floor in range(1, floors + 1):
                    for flat in range(1, per_floor + 1):
                        number = f"{floor}{flat:02d}"
                        yield ("room", {"unit_id": unit_id, "number": number,
                                        "code": f"{building_number}-{unit_number}-{number}"})

    def _next_room(self, rows) -> dict:
        while True:
            kind, row = next(self.rooms)
            if kind == "building":
                rows[Building].append(row)
            elif kind == "unit":
                rows[Unit].append(row)
            else:
                return row

    def chunks(self, total: int):
        made = 0
        while made < total:
            # Insertion order: parents before the rows that point at them.
            rows = {m: [] for m in (Building, Unit, Household, Room, Person, Phone,
                                    Charge, Payment)}
            for _ in range(min(CHUNK_HOUSEHOLDS, total - made)):
                self._household(rows)
            made += len(rows[Household])
            yield rows

    def _household(self, rows) -> None:
        rng = self.rng
        self.serial += 1
        household_id = self.ids.take(Household)
        occupancy = _weighted(rng, OCCUPANCY_WEIGHTS)
        handover = self.as_of - dt.timedelta(days=rng.randint(30, 7 * 365))
        lived_in = occupancy in (Occupancy.OWNER_OCCUPIED, Occupancy.RENTED)
        renovated = lived_in or rng.random() < 0.5
        renovation_on = handover + dt.timedelta(days=rng.randint(10, 200)) if renovated else None
        if renovation_on and renovation_on > self.as_of:
            renovation_on = None
        move_in = (renovation_on or handover) + dt.timedelta(days=rng.randint(60, 150)) \
            if lived_in else None
        household = {
            "id": household_id, "number": f"{self.code}-{self.serial:06d}",
            "community_id": self.community_id, "occupancy": occupancy,
            "renovation_status": RenovationStatus.REGISTERED if renovation_on
            else RenovationStatus.NOT_REGISTERED,
            "renovation_registered_on": renovation_on, "key_handover_on": handover,
            "move_in_on": move_in if move_in and move_in <= self.as_of else None,
        }
        rows[Household].append(household)
        area = Decimal(rng.randint(5500, 16000)) / 100
        room = self._next_room(rows)
        rows[Room].append({**room, "id": self.ids.take(Room), "floor_area": area,
                           "household_id": household_id})
        if rng.random() < 0.01:  # two flats knocked together, one account
            extra = self._next_room(rows)
            extra_area = Decimal(rng.randint(4000, 9000)) / 100
            rows[Room].append({**extra, "id": self.ids.take(Room), "floor_area": extra_area,
                               "household_id": household_id})
            area += extra_area
        self._people(rows, household_id, occupancy)
        self._ledger(rows, household, area)

    def _people(self, rows, household_id: int, occupancy: Occupancy) -> None:
        rng = self.rng
        owner = self.people.person(previous_owner_ok=True)
        landline = self.phones.landline() if rng.random() < 0.3 else None
        owner_phones = owner.phones or [self.phones.mobile()]
        owner.phones = owner_phones
        self._person(rows, household_id, "owner", owner.name, owner.identity_number,
                     owner_phones + ([landline] if landline else []))
        if rng.random() < 0.4:
            family = self.people.relative_of(owner.name)
            self._person(rows, household_id, "family", family, None,
                         [self.phones.mobile()] + ([landline] if landline else []))
        if occupancy == Occupancy.RENTED:
            tenant = self.people.person()
            self._person(rows, household_id, "tenant", tenant.name, tenant.identity_number,
                         [self.phones.mobile()])
        if occupancy in (Occupancy.RENTED, Occupancy.ENTRUSTED) and rng.random() < 0.3:
            # Letting agents use one mobile for every flat they handle.
            self._person(rows, household_id, "agent", self.people.agent_name(), None,
                         [self._agent_number()])

    def _agent_number(self) -> str:
        # An agency mobile handles a dozen or so flats: a new one now and then.
        if not self.agent_numbers or self.rng.random() < AGENT_NEW_NUMBER_SHARE:
            self.agent_numbers.append(self.phones.mobile())
        return self.rng.choice(self.agent_numbers[-AGENTS_ACTIVE:])

    def _person(self, rows, household_id: int, role: str, name: str,
                identity_number: str | None, raw_phones: list[str]) -> None:
        person_id = self.ids.take(Person)
        rows[Person].append({"id": person_id, "household_id": household_id, "role": role,
                             "name": name, "identity_number": identity_number})
        seen = set()
        for raw in raw_phones:
            number = normalize_number(raw, self.local_area_code)
            if number.key is None or number.key in seen:
                continue
            seen.add(number.key)
            rows[Phone].append({"id": self.ids.take(Phone), "person_id": person_id,
                                "household_id": household_id, "raw": raw,
                                "normalized": number.key, "kind": number.kind})

    def _ledger(self, rows, household: dict, area: Decimal) -> None:
        payer = _weighted(self.rng, PAYER_WEIGHTS)
        for quarter in self.quarters:
            amount = management_fee_for_period(
                area, MANAGEMENT_RATE, quarter.start, quarter.end, household["key_handover_on"],
                household["occupancy"], household["renovation_registered_on"],
                household["move_in_on"])
            if amount <= 0:
                continue
            rows[Charge].append({
                "id": self.ids.take(Charge), "household_id": household["id"],
                "fee_kind_id": self.kind_id, "period_start": quarter.start,
                "period_end": quarter.end, "due_on": quarter.due_on, "floor_area": area,
                "rate": MANAGEMENT_RATE, "amount": amount,
                # The share of the full fee owed at the period's end (0.5, 0.7 or 1).
                "factor": management_fee_factor(
                    household["occupancy"], household["renovation_registered_on"],
                    household["move_in_on"], quarter.end)})
            paid_on = self._paid_on(payer, quarter)
            if paid_on is not None and paid_on <= self.as_of:
                payment_id = self.ids.take(Payment)
                rows[Payment].append({
                    "id": payment_id, "household_id": household["id"],
                    "receipt_number": f"{self.code}-R{payment_id:08d}", "paid_on": paid_on,
                    "amount": amount, "fee_kind_id": self.kind_id})

    def _paid_on(self, payer: str, quarter: Quarter) -> dt.date | None:
        rng = self.rng
        if payer == "never" or (payer == "sometimes" and rng.random() < 0.5):
            return None
        if payer == "late":
            return quarter.due_on + dt.timedelta(days=rng.randint(5, 60))
        return quarter.start + dt.timedelta(days=rng.randint(0, 9))


def _weighted(rng: random.Random, weights):
    values, shares = zip(*weights)
    return rng.choices(values, shares)[0]


def _year_of_quarters(as_of: dt.date) -> list[Quarter]:
    quarter = Quarter.containing(as_of)
    quarters = [quarter]
    for _ in range(3):
        quarter = quarter.previous()
        quarters.append(quarter)
    return sorted(quarters)
