"""The screen-pop record: everything an agent sees when a household calls.

JSON-ready dicts (strings, numbers, lists), built in a handful of indexed queries
so the lookup by caller number stays within a few milliseconds at 100,000
households (bench/screen_pop_lookup.py).
"""
from __future__ import annotations

import datetime as dt

from decimal import Decimal

from sqlalchemy.orm import Session

from households import history, queries
from households.errors import HouseholdNotFound
from households.fees import balance_summary
from households.masking import mask_identity_number
from households.matching import match_caller
from households.numbers import format_number
from households.terms import HouseholdTerms

MOBILE_PREFIXED = "86"


def _iso(value):
    return value.isoformat() if value is not None else None


def build_screen_pop(session: Session, household_id: int, callid: str | None = None,
                     as_of: dt.date | None = None, *, terms: HouseholdTerms) -> dict:
    """`terms` from the caller's settings (HouseholdTerms.from_settings at the entry point)."""
    return _record(session, household_id, callid, as_of or terms.today(), terms,
                   history.ivr_session_for_call(session, callid))


def _record(session: Session, household_id: int, callid: str | None, as_of: dt.date,
            terms: HouseholdTerms, ivr_session: dict | None) -> dict:
    rows = queries.run(session, queries.HOUSEHOLD_RECORD, household_id=household_id).all()
    if not rows:
        raise HouseholdNotFound(f"no household {household_id}")
    rooms = _rooms(rows)
    people, number_keys = _people(rows)
    return {
        "household": _household(rows[0], rooms),
        "rooms": rooms,
        "people": people,
        "balance": balance_summary(session, household_id, as_of,
                                   terms.late_fee_daily_rate).as_dict(),
        "open_work_orders": history.open_work_orders(session, household_id),
        "last_calls": history.last_calls(session, _call_number_forms(number_keys)),
        "ivr_session": ivr_session,
        "callid": callid,
    }


def _household(row, rooms: list[dict]) -> dict:
    (household_id, number, occupancy, renovation, renovation_on, handover, move_in,
     last_called) = row[:8]
    return {
        "id": household_id, "number": number, "occupancy": occupancy.value,
        "renovation_status": renovation.value, "renovation_registered_on": _iso(renovation_on),
        "key_handover_on": _iso(handover), "move_in_on": _iso(move_in),
        "floor_area": str(sum((Decimal(room["floor_area"]) for room in rooms), Decimal(0))),
        "last_called_at": _iso(last_called),
    }


def _rooms(rows) -> list[dict]:
    rooms: dict[str, dict] = {}
    for row in rows:
        code, area = row[8], row[9]
        if code is not None and code not in rooms:
            building, unit, number = (code.split("-", 2) + ["", ""])[:3]
            rooms[code] = {"code": code, "building": building, "unit": unit, "room": number,
                           "floor_area": str(area)}
    return list(rooms.values())


def _people(rows) -> tuple[list[dict], list[str]]:
    people: dict[int, dict] = {}
    phones_seen: set[int] = set()
    keys: list[str] = []
    for row in rows:
        person_id, role, name, identity, phone_id, raw, key, kind = row[10:18]
        if person_id is None:
            continue
        person = people.setdefault(person_id, {
            "id": person_id, "role": role.value, "name": name,
            "identity_number": mask_identity_number(identity), "phones": []})
        if phone_id is not None and phone_id not in phones_seen:
            phones_seen.add(phone_id)
            person["phones"].append({"raw": raw, "normalized": key,
                                     "display": format_number(key), "kind": kind.value})
            keys.append(key)
    ordered = sorted(people.values(), key=lambda p: (p["role"] != "owner", p["id"]))
    return ordered, keys


def _call_number_forms(keys: list[str]) -> list[str]:
    """The forms a call record may hold a number in: our key, or its bare digits
    with the country code (models.calls.normalize_caller_number of '+86…')."""
    forms = set()
    for key in keys:
        forms.add(key)
        digits = key.lstrip("+")
        forms.add(digits)
        forms.add(MOBILE_PREFIXED + (digits[1:] if digits.startswith("0") else digits))
    return sorted(forms)


def screen_pop_for_number(session: Session, raw_number: str | None,
                          callid: str | None = None, as_of: dt.date | None = None, *,
                          terms: HouseholdTerms) -> dict:
    """One household's record, the candidates when several share the number, or
    an unknown caller (the console then searches by room or name).

    `terms` from the caller's settings (HouseholdTerms.from_settings at the entry point)."""
    match = match_caller(session, raw_number, terms.local_area_code)
    result = {
        "number": {"raw": match.number.raw, "kind": match.number.kind.value,
                   "normalized": match.number.key, "display": format_number(match.number.key),
                   "extension": match.number.extension},
        "unknown": match.unknown,
        "candidates": [c.as_dict() for c in match.candidates],
        "total_candidates": match.total_candidates,
        "household": None,
        "callid": callid,
    }
    ivr = history.ivr_session_for_call(session, callid)
    # A caller who keyed in a room at the IVR is identified whatever the number says.
    household_id = (ivr or {}).get("household_id") or match.household_id
    result["identified_by"] = ("ivr" if ivr and ivr.get("household_id")
                               else "caller_number" if household_id else None)
    if household_id is not None:
        result["household"] = _record(session, household_id, callid, as_of or terms.today(), terms, ivr)
    result["ivr_session"] = ivr
    return result
