"""Finding households for the console and the IVR: by room, name or phone fragment."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from households.numbers import normalize_number
from models.households import Building, Household, Person, Phone, Room, Unit

SEARCH_LIMIT = 20
_PART = r"\s*([0-9A-Za-z]+)\s*"
_ROOM_CODE = re.compile(_PART + r"(?:[-#*/ ]|栋|号楼|楼|幢)" + _PART + r"(?:[-#*/ ]|单元)+"
                        + _PART + r"室?\s*")


def room_code(building: str, unit: str, room: str) -> str:
    """'3', '02', '1502' → '3-2-1502' (as the importer stores it: no leading zeros)."""
    return "-".join(_code_part(part) for part in (building, unit, room))


def _code_part(part) -> str:
    text = str(part).strip()
    return (text.lstrip("0") or "0") if text.isdigit() else text


def find_household_by_room(session: Session, building: str, unit: str, room: str,
                           community_id: int | None = None) -> Household | None:
    """The household living in building-unit-room (None when the room is unknown
    or empty). With several communities, pass community_id; otherwise the first."""
    query = select(Household).join(Room, Room.household_id == Household.id) \
        .where(Room.code == room_code(building, unit, room))
    if community_id is not None:
        query = query.join(Unit, Unit.id == Room.unit_id) \
            .join(Building, Building.id == Unit.building_id) \
            .where(Building.community_id == community_id)
    return session.execute(query.order_by(Household.id).limit(1)).scalar_one_or_none()


def parse_room_text(text: str) -> tuple[str, str, str] | None:
    """'3-2-1502', '3*2*1502', '3栋2单元1502' → ('3', '2', '1502')."""
    match = _ROOM_CODE.fullmatch(text)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def search_households(session: Session, text: str, limit: int = SEARCH_LIMIT, *,
                      local_area_code: str) -> list[dict]:
    """Households whose room, person name or phone number matches `text`
    (a local number gets `local_area_code`, settings.local_area_code)."""
    text = (text or "").strip()
    if not text:
        return []
    ids: list[int] = []
    room = parse_room_text(text)
    if room:
        ids += _ids(session, select(Room.household_id).where(Room.code == room_code(*room)))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and len(digits) == len(text.replace(" ", "").replace("-", "")
                                                 .lstrip("+")):
        key = normalize_number(text, local_area_code).key
        ids += _ids(session, select(Phone.household_id).where(
            Phone.normalized.contains(key if key and len(key) > len(digits) else digits,
                                      autoescape=True)))
    else:
        ids += _ids(session, select(Person.household_id).where(
            Person.name.contains(text, autoescape=True)))
    unique = list(dict.fromkeys(i for i in ids if i is not None))[:limit]
    return _summaries(session, unique)


def _ids(session: Session, query) -> list[int]:
    return list(session.scalars(query.limit(SEARCH_LIMIT)))


def _summaries(session: Session, household_ids: list[int]) -> list[dict]:
    if not household_ids:
        return []
    owners = dict(session.execute(
        select(Person.household_id, Person.name)
        .where(Person.household_id.in_(household_ids), Person.role == "owner")).all())
    rooms: dict[int, list[str]] = {}
    for household_id, code in session.execute(
            select(Room.household_id, Room.code).where(Room.household_id.in_(household_ids))):
        rooms.setdefault(household_id, []).append(code)
    numbers = dict(session.execute(
        select(Household.id, Household.number).where(Household.id.in_(household_ids))).all())
    return [{"household_id": i, "household_number": numbers.get(i),
             "owner": owners.get(i, ""), "rooms": sorted(rooms.get(i, []))}
            for i in household_ids]


def phone_suffixes(session: Session, household_id: int, role: str = "owner",
                   digits: int = 4) -> set[str]:
    """Last `digits` digits of the registered phones of the household's `role`
    (the IVR's check: "key in the last 4 digits of the owner's phone")."""
    keys = session.scalars(
        select(Phone.normalized).join(Person, Person.id == Phone.person_id)
        .where(Phone.household_id == household_id, Person.role == role)).all()
    return {key[-digits:] for key in keys if key and len(key) >= digits}
