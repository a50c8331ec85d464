"""`hotline import households FILE`: the household list (业主档案), one row per room.

Rows with the same household number (编号) are one household with several rooms.
Natural keys make a second import update in place: the room (building-unit-room
in the community), the household number (default: community code + room), and a
person by role and name; a person's phones are replaced by the file's, keeping
the rows (and their call history) of numbers that stay.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from households import import_values as values
from households.import_messages import msg
from households.numbers import NormalizedNumber
from households.tabular import Column, Problem, RowCells, Table
from models.households import (
    Building, Community, Household, Occupancy, Person, PersonRole, Phone, RenovationStatus,
    Room, Unit,
)

ROLE_COLUMNS = {"owner": ("owner_name", "owner_phones", "owner_id_number"),
                "family": ("family_name", "family_phones", None),
                "tenant": ("tenant_name", "tenant_phones", "tenant_id_number"),
                "agent": ("agent_name", "agent_phones", None)}
COLUMNS = [
    # Aliases: the headers offices write for the same thing (楼号 or 栋号, 户主 or 业主).
    Column("building", ("楼号", "楼栋", "栋", "幢", "楼栋号", "栋号", "楼宇"), required=True),
    Column("unit", ("单元", "单元号"), required=True),
    Column("room", ("房号", "室", "房间号", "室号", "门牌号"), required=True),
    Column("floor_area", ("面积", "建筑面积", "房屋面积", "area"), required=True),
    Column("owner_name", ("业主姓名", "业主", "owner", "户主", "户主姓名", "业主名称", "姓名"),
           required=True),
    Column("owner_phones", ("业主电话", "联系电话", "电话", "owner_phone", "手机", "手机号",
                            "手机号码", "联系方式", "业主手机"), required=True),
    Column("owner_id_number", ("身份证号", "业主身份证号", "证件号码")),
    Column("household_number", ("编号", "户号", "number")),
    Column("occupancy", ("入住状态", "居住状态", "状态")),
    Column("key_handover_on", ("收房日期", "交房日期", "key_handover")),
    Column("renovation_registered_on", ("装修备案日期", "装修日期", "renovation_registered")),
    Column("move_in_on", ("入住日期", "move_in")),
    Column("family_name", ("家庭成员",)),
    Column("family_phones", ("家庭成员电话",)),
    Column("tenant_name", ("租户", "租户姓名")),
    Column("tenant_phones", ("租户电话",)),
    Column("tenant_id_number", ("租户身份证号",)),
    Column("agent_name", ("委托人", "代理人")),
    Column("agent_phones", ("委托人电话", "代理人电话")),
]


@dataclasses.dataclass
class PersonRow:
    role: str
    name: str
    identity_number: str | None
    phones: list[NormalizedNumber]


@dataclasses.dataclass
class HouseholdRow:
    row_number: int
    building: str
    unit: str
    room: str
    floor_area: Decimal
    household_number: str | None
    occupancy: Occupancy | None
    key_handover_on: dt.date | None
    renovation_registered_on: dt.date | None
    move_in_on: dt.date | None
    people: dict[str, PersonRow | None]  # role → person; None = remove (column present, empty)

    @property
    def code(self) -> str:
        return f"{self.building}-{self.unit}-{self.room}"


def community_code_problem(community_code: str) -> Problem | None:
    """The community code (--community) becomes communities.code and .name."""
    try:
        values.bounded(community_code, Community.code)
        values.bounded(community_code, Community.name)
    except ValueError as error:
        return Problem(None, None, msg("community code %(code)s: %(error)s",
                                       code=repr(community_code[:40]), error=error.args[0]))
    return None


def parse_rows(table: Table, community_code: str, local_area_code: str
               ) -> tuple[list[HouseholdRow], list[Problem]]:
    problems = list(table.problems)
    rows: list[HouseholdRow] = []
    seen_rooms: dict[str, int] = {}
    for number, raw in table.rows:
        before = len(problems)
        row = _parse_row(number, raw, table.columns, problems, local_area_code)
        if row is not None and len(problems) == before:
            _check_derived_texts(row, community_code, problems)
        if row is None or len(problems) > before:
            continue
        if row.code in seen_rooms:
            problems.append(Problem(number, "room", msg(
                "room %(room)s is already on row %(row)d", room=row.code,
                row=seen_rooms[row.code])))
            continue
        seen_rooms[row.code] = number
        rows.append(row)
    problems += _conflicting_owners(rows)
    return rows, problems


def _check_derived_texts(row: HouseholdRow, community_code: str,
                         problems: list[Problem]) -> None:
    """Texts the writer makes from cells: the room code and, without a household
    number, the default one (community-room); each must fit its column too."""
    derived = [("room", row.code, Room.code)]
    if not row.household_number:
        derived.append(("household_number", f"{community_code}-{row.code}", Household.number))
    for column, text, attribute in derived:
        try:
            values.bounded(text, attribute)
        except ValueError as error:
            shown = repr(text[:70])
            message = (msg("%(text)s: %(error)s; give the household number (编号)",
                           text=shown, error=error.args[0]) if column == "household_number"
                       else msg("%(text)s: %(error)s", text=shown, error=error.args[0]))
            problems.append(Problem(row.row_number, column, message))


def _parse_row(number: int, raw: dict, present: list[str],
               problems: list[Problem], local_area_code: str) -> HouseholdRow | None:
    cells = RowCells(number, raw, problems)
    fields = {
        "building": cells.get("building", values.code_for(Building.number), required=True),
        "unit": cells.get("unit", values.code_for(Unit.number), required=True),
        "room": cells.get("room", values.code_for(Room.number), required=True),
        "floor_area": cells.get("floor_area", lambda t: values.parse_amount(
            t, positive=True, limit=Decimal(10000)), required=True),
        "household_number": cells.get("household_number", values.fitting(Household.number)),
        "occupancy": cells.get("occupancy", values.parse_occupancy),
        "key_handover_on": cells.get("key_handover_on", values.parse_date),
        "renovation_registered_on": cells.get("renovation_registered_on", values.parse_date),
        "move_in_on": cells.get("move_in_on", values.parse_date),
    }
    people = {}
    for role, (name_column, phones_column, id_column) in ROLE_COLUMNS.items():
        if name_column not in present and role != "owner":
            continue
        name = cells.get(name_column, values.fitting(Person.name), required=role == "owner")
        phones = cells.get(phones_column, lambda text: values.parse_phones(text, local_area_code),
                           required=role == "owner" or
                           bool(name))
        identity = (cells.get(id_column, values.fitting(Person.identity_number))
                    if id_column else None)
        if phones and not name and not cells.refused(name_column):
            problems.append(Problem(number, name_column, msg("phones given without a name")))
        people[role] = PersonRow(role, name, identity, phones or []) if name else None
    return HouseholdRow(row_number=number, people=people, **fields)


def _conflicting_owners(rows: list[HouseholdRow]) -> list[Problem]:
    owners: dict[str, tuple[str, int]] = {}
    problems = []
    for row in rows:
        if not row.household_number:
            continue
        owner = row.people["owner"].name
        first = owners.setdefault(row.household_number, (owner, row.row_number))
        if first[0] != owner:
            problems.append(Problem(row.row_number, "owner_name", msg(
                "household %(number)s has owner %(owner)s on row %(row)d",
                number=row.household_number, owner=first[0], row=first[1])))
    return problems


@dataclasses.dataclass
class HouseholdImportResult:
    households_created: int = 0
    households_updated: int = 0
    rooms_created: int = 0
    people_written: int = 0


def apply_rows(session: Session, rows: list[HouseholdRow], community_code: str,
               progress=None) -> HouseholdImportResult:
    """Write validated rows (inside the caller's transaction)."""
    writer = _Writer(session, community_code)
    # Everything the rows can touch is loaded up front; no query per row.
    with session.no_autoflush:
        for row in rows:
            writer.write(row)
            if progress:
                progress(1)
    session.flush()
    return writer.result


class _Writer:
    def __init__(self, session: Session, community_code: str):
        self.session = session
        self.result = HouseholdImportResult()
        self.community = session.scalar(select(Community).where(Community.code == community_code))
        if self.community is None:
            self.community = Community(code=community_code, name=community_code)
            session.add(self.community)
            session.flush()
        self.buildings = {b.number: b for b in session.scalars(
            select(Building).where(Building.community_id == self.community.id))}
        self.units = {(u.building_id, u.number): u for u in session.scalars(
            select(Unit).join(Building).where(Building.community_id == self.community.id))}
        self.rooms = {(r.unit_id, r.number): r for r in session.scalars(
            select(Room).join(Unit).join(Building)
            .where(Building.community_id == self.community.id))}
        self.households: dict[str, Household] = {}
        self.existing = {h.number: h for h in session.scalars(
            select(Household).options(selectinload(Household.people)
                                      .selectinload(Person.phones)))}

    def write(self, row: HouseholdRow) -> None:
        room = self._room(row)
        household = self._household(row, room)
        room.household = household
        self._people(household, row)

    def _room(self, row: HouseholdRow) -> Room:
        building = self.buildings.get(row.building)
        if building is None:
            building = self.buildings[row.building] = Building(
                community_id=self.community.id, number=row.building)
            self.session.add(building)
            self.session.flush()
        unit = self.units.get((building.id, row.unit))
        if unit is None:
            unit = self.units[(building.id, row.unit)] = Unit(building=building, number=row.unit)
            self.session.add(unit)
            self.session.flush()
        room = self.rooms.get((unit.id, row.room))
        if room is None:
            room = self.rooms[(unit.id, row.room)] = Room(unit=unit, number=row.room,
                                                         code=row.code, floor_area=row.floor_area)
            self.session.add(room)
            self.result.rooms_created += 1
        room.floor_area = row.floor_area
        return room

    def _household(self, row: HouseholdRow, room: Room) -> Household:
        number = row.household_number or (room.household.number if room.household
                                          else f"{self.community.code}-{row.code}")
        household = self.households.get(number) or self.existing.get(number)
        if household is None:
            household = Household(number=number, community_id=self.community.id, people=[])
            self.session.add(household)
            self.existing[number] = household
            self.result.households_created += 1
        elif number not in self.households:
            self.result.households_updated += 1
        if number in self.households:
            return household  # a further room of a household already written
        self.households[number] = household
        household.key_handover_on = row.key_handover_on
        household.move_in_on = row.move_in_on
        household.renovation_registered_on = row.renovation_registered_on
        household.renovation_status = (RenovationStatus.REGISTERED if row.renovation_registered_on
                                       else RenovationStatus.NOT_REGISTERED)
        household.occupancy = row.occupancy or (
            Occupancy.OWNER_OCCUPIED if row.move_in_on else Occupancy.VACANT)
        return household

    def _people(self, household: Household, row: HouseholdRow) -> None:
        for role, wanted in row.people.items():
            existing = [p for p in household.people if p.role.value == role]
            for person in existing:
                if wanted is None or person.name != wanted.name:
                    household.people.remove(person)
            if wanted is None:
                continue
            person = next((p for p in existing if p.name == wanted.name), None)
            if person is None:
                person = Person(role=PersonRole(role), name=wanted.name)
                household.people.append(person)
            if wanted.identity_number:
                person.identity_number = wanted.identity_number
            self._phones(household, person, wanted.phones)
            self.result.people_written += 1

    @staticmethod
    def _phones(household: Household, person: Person, numbers: list[NormalizedNumber]) -> None:
        wanted = {number.key: number for number in numbers}
        for phone in list(person.phones):
            if phone.normalized not in wanted:
                person.phones.remove(phone)
        kept = {phone.normalized: phone for phone in person.phones}
        for key, number in wanted.items():
            phone = kept.get(key)
            if phone is None:
                person.phones.append(Phone(household=household, raw=number.raw.strip(),
                                           normalized=key, kind=number.kind))
            else:
                phone.raw = number.raw.strip()
