"""Who is calling: caller number → candidate households.

A number shared by several households (a landline in a family's two flats, an
agent's mobile for many owners) gives every candidate, the household called about
most recently first. "Called about" comes from `record_call` (the bridge, the IVR
or the console call it once they know which household a call was for) and from
the IVR sessions and work orders that name the household.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from households import history, queries
from households.numbers import NormalizedNumber, format_number, normalize_number
from models.base import utcnow
from models.households import Household, Phone

# More than a screen can list; the agent asks for the room and searches instead.
MAX_CANDIDATES = 20

__all__ = ["CallerMatch", "Candidate", "NormalizedNumber", "match_caller",
           "normalize_number", "record_call", "format_number"]


@dataclasses.dataclass(frozen=True)
class Candidate:
    household_id: int
    household_number: str
    rooms: tuple[str, ...]
    person_name: str
    person_role: str
    last_called_at: dt.datetime | None

    def as_dict(self) -> dict:
        return {"household_id": self.household_id, "household_number": self.household_number,
                "rooms": list(self.rooms), "person_name": self.person_name,
                "person_role": self.person_role,
                "last_called_at": self.last_called_at.isoformat() if self.last_called_at
                else None}


@dataclasses.dataclass(frozen=True)
class CallerMatch:
    number: NormalizedNumber
    candidates: tuple[Candidate, ...]  # at most MAX_CANDIDATES, most recently called first
    total_candidates: int = 0  # all households with the number (a shared office line: many)

    @property
    def unknown(self) -> bool:
        return not self.candidates

    @property
    def household_id(self) -> int | None:
        """The household when exactly one matches (what the IVR may offer directly)."""
        return self.candidates[0].household_id if len(self.candidates) == 1 else None


def match_caller(session: Session, raw_number: str | None,
                 local_area_code: str) -> CallerMatch:
    number = normalize_number(raw_number, local_area_code)
    if not number.matchable:
        return CallerMatch(number, ())
    best: dict[int, tuple] = {}
    rooms: dict[int, list[str]] = {}
    for row in queries.run(session, queries.CANDIDATES_BY_NUMBER, key=number.key):
        # The owner's entry names the household when several people share the number.
        if row[0] not in best or row[4].value == "owner":
            best[row[0]] = row
        codes = rooms.setdefault(row[0], [])
        if row[5] is not None and row[5] not in codes:
            codes.append(row[5])
    contacts = history.last_contact_by_household(session, list(best)) if len(best) > 1 else {}
    candidates = [Candidate(r[0], r[1], tuple(sorted(rooms[r[0]])), r[3], r[4].value,
                            _latest(r[2], contacts.get(r[0])))
                  for r in best.values()]
    candidates.sort(key=_recent_first)
    return CallerMatch(number, tuple(candidates[:MAX_CANDIDATES]), len(candidates))


def _latest(*moments: dt.datetime | None) -> dt.datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _recent_first(candidate: Candidate):
    called = candidate.last_called_at
    return (called is None, -(called.timestamp() if called else 0), candidate.household_id)


def record_call(session: Session, raw_number: str | None, household_id: int | None = None,
                called_at: dt.datetime | None = None, *, local_area_code: str) -> None:
    """Note a call: the number's phones, and the household once it is known.

    The caller's session commits; the bridge calls this on CallQueued (number only)
    and the IVR or the console once the household is identified.
    """
    called_at = called_at or utcnow()
    number = normalize_number(raw_number, local_area_code)
    if number.matchable:
        session.execute(update(Phone).where(Phone.normalized == number.key)
                        .values(last_called_at=called_at))
    if household_id is not None:
        session.execute(update(Household).where(Household.id == household_id)
                        .values(last_called_at=called_at))
