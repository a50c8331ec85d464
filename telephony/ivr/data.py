"""What the fee-balance IVR reads and writes, each call bounded in time.

The flow (telephony/ivr/flow.py) sees only `IvrBackend`; `DatabaseIvrBackend` is the
real one. Every database call runs in a worker thread and is given
ivr_db_timeout_s: a database that hangs turns into IvrDataError, which the flow
answers with an apology and an agent, instead of holding the caller in silence.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Optional, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.ivr import IvrCallbackRequest, IvrSession
from households.terms import HouseholdTerms
from telephony.ivr import identity as ivr_identity
from telephony.errors import TelephonyError
from telephony.ivr.identity import HouseholdIdentity, IdentityPolicy, Lockout

log = logging.getLogger(__name__)

# Keypad room entry: building*unit*room, digits only (the # that ends it is not returned).
_ROOM_ENTRY = re.compile(r"([0-9]{1,6})\*([0-9]{1,6})\*([0-9]{1,8})")
VERIFY_DIGITS = 4


class IvrDataError(TelephonyError):
    """The IVR's data could not be read or written (database error or too slow)."""


@dataclasses.dataclass(frozen=True)
class RoomEntry:
    building: str
    unit: str
    room: str


def parse_room_entry(digits: str | None) -> Optional[RoomEntry]:
    """'3*2*1502' → RoomEntry('3', '2', '1502'); anything else → None."""
    if not digits:
        return None
    match = _ROOM_ENTRY.fullmatch(digits.strip().rstrip("#"))
    if not match:
        return None
    return RoomEntry(*match.groups())


def money_to_fen(amount) -> int:
    """Decimal yuan (or anything Decimal accepts) → whole fen, half up; never negative."""
    fen = (Decimal(str(amount)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return max(int(fen), 0)


def phone_suffix(number: str, length: int = VERIFY_DIGITS) -> str:
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    return digits[-length:] if len(digits) >= length else ""


@dataclasses.dataclass(frozen=True)
class Balance:
    """What the IVR says: amounts in fen."""

    total_due_fen: int
    months_in_arrears: int
    late_fee_fen: int


@dataclasses.dataclass
class SessionRecord:
    """One IVR session as the flow builds it; stored at the start and at the end."""

    callid: str
    linkedid: str = ""
    channel: str = ""
    caller_number: str = ""
    household_id: Optional[int] = None
    identified_by: Optional[str] = None
    outcome: str = "in_progress"
    reason: str = ""
    bad_entries: int = 0
    balance: Optional[Balance] = None
    steps: list[dict] = dataclasses.field(default_factory=list)


class IvrBackend(Protocol):
    def open_session(self, record: SessionRecord) -> int: ...
    def household_for_caller(self, caller_number: str) -> Optional[int]: ...
    def household_for_room(self, entry: RoomEntry) -> Optional[int]: ...
    def identity(self, household_id: int) -> HouseholdIdentity: ...
    def lockout(self, household_id: int) -> Optional[Lockout]: ...
    def record_failure(self, household_id: int) -> Optional[Lockout]: ...
    def record_success(self, household_id: int) -> None: ...
    def balance(self, household_id: int) -> Balance: ...
    def note_identified(self, caller_number: str, household_id: int) -> None: ...
    def request_callback(self, session_id: int, record: SessionRecord) -> int: ...
    def close_session(self, session_id: int, record: SessionRecord) -> None: ...


class DatabaseIvrBackend:
    """The IVR's reads and writes on the hotline database, each within a time limit."""

    def __init__(self, session_factory: sessionmaker[Session], timeout_s: float,
                 terms: HouseholdTerms, workers: int = 8,
                 policy: IdentityPolicy = IdentityPolicy()):
        self._session_factory = session_factory
        self._policy = policy
        self._timeout_s = timeout_s
        self._terms = terms
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="ivr-db")

    @classmethod
    def from_settings(cls, settings) -> "DatabaseIvrBackend":
        from models.session import session_factory

        return cls(session_factory(settings.database_url), settings.ivr_db_timeout_s,
                   HouseholdTerms.from_settings(settings),
                   policy=IdentityPolicy.from_settings(settings))

    def _run(self, work: Callable[[Session], object]):
        future = self._executor.submit(self._in_session, work)
        try:
            return future.result(timeout=self._timeout_s)
        except concurrent.futures.TimeoutError:
            raise IvrDataError(f"the database did not answer within {self._timeout_s} s") \
                from None
        except IvrDataError:
            raise
        except Exception as error:  # noqa: BLE001 - any database failure is one answer
            raise IvrDataError(f"{type(error).__name__}: {error}") from error

    def _in_session(self, work: Callable[[Session], object]):
        with self._session_factory() as session:
            result = work(session)
            session.commit()
            return result

    def open_session(self, record: SessionRecord) -> int:
        def work(session: Session) -> int:
            row = IvrSession(callid=record.callid, linkedid=record.linkedid,
                             channel=record.channel, caller_number=record.caller_number,
                             outcome="in_progress", steps=[])
            session.add(row)
            session.flush()
            return row.id
        return self._run(work)

    def household_for_caller(self, caller_number: str) -> Optional[int]:
        from households.matching import match_caller

        return self._run(lambda session: match_caller(
            session, caller_number, self._terms.local_area_code).household_id)

    def household_for_room(self, entry: RoomEntry) -> Optional[int]:
        from households.lookup import find_household_by_room

        def work(session: Session) -> Optional[int]:
            household = find_household_by_room(session, entry.building, entry.unit, entry.room)
            return None if household is None else household.id
        return self._run(work)

    def identity(self, household_id: int) -> HouseholdIdentity:
        return self._run(lambda session: ivr_identity.household_identity(session, household_id))

    def lockout(self, household_id: int) -> Optional[Lockout]:
        return self._run(lambda session: ivr_identity.current_lockout(session, household_id))

    def record_failure(self, household_id: int) -> Optional[Lockout]:
        return self._run(lambda session: ivr_identity.record_failure(
            session, household_id, self._policy))

    def record_success(self, household_id: int) -> None:
        self._run(lambda session: ivr_identity.record_success(session, household_id))

    def balance(self, household_id: int) -> Balance:
        from households.fees import balance_summary

        def work(session: Session) -> Balance:
            summary = balance_summary(session, household_id, self._terms.today(),
                                      self._terms.late_fee_daily_rate)
            return Balance(money_to_fen(summary.total_due), int(summary.months_in_arrears),
                           money_to_fen(summary.late_fee))
        return self._run(work)

    def note_identified(self, caller_number: str, household_id: int) -> None:
        from households.matching import record_call

        self._run(lambda session: record_call(session, caller_number, household_id,
                                                      local_area_code=self._terms.local_area_code))

    def request_callback(self, session_id: int, record: SessionRecord) -> int:
        def work(session: Session) -> int:
            row = IvrCallbackRequest(
                ivr_session_id=session_id, household_id=record.household_id,
                callback_number=record.caller_number,
                total_due_fen=record.balance.total_due_fen if record.balance else None)
            session.add(row)
            session.flush()
            return row.id
        return self._run(work)

    def close_session(self, session_id: int, record: SessionRecord) -> None:
        balance = record.balance
        values = dict(
            household_id=record.household_id, identified_by=record.identified_by,
            outcome=record.outcome, reason=record.reason[:40], bad_entries=record.bad_entries,
            steps=list(record.steps), ended_at=utcnow(),
            spoken_total_due_fen=balance.total_due_fen if balance else None,
            spoken_months_in_arrears=balance.months_in_arrears if balance else None,
            spoken_late_fee_fen=balance.late_fee_fen if balance else None)
        self._run(lambda session: session.execute(
            update(IvrSession).where(IvrSession.id == session_id).values(**values)))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def containment_rate(session: Session, since=None, until=None) -> Optional[float]:
    """Self-served sessions ÷ finished sessions (None when there were none)."""
    from sqlalchemy import func

    query = select(IvrSession.outcome, func.count()).where(
        IvrSession.outcome != "in_progress").group_by(IvrSession.outcome)
    if since is not None:
        query = query.where(IvrSession.started_at >= since)
    if until is not None:
        query = query.where(IvrSession.started_at < until)
    counts = dict(session.execute(query).all())
    finished = sum(counts.values())
    return counts.get("self_served", 0) / finished if finished else None
