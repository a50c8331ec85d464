"""Where each kind of personal data lives, and which rows are past their period.

Times: a call's is when it entered the queue (else its last update); a tenant's
identity number's is when the household last changed (it stopped being rented).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from households.masking import MASK, mask_identity_number
from models.callbacks import CallbackAttempt
from models.calls import Call
from models.cashier import IvrCallbackCall
from models.console import AccessAuditEntry, WorkOrder
from models.households import Household, Occupancy, Person, PersonRole
from models.ivr import IvrCallbackRequest, IvrSession
from models.night_log import NightLogEntry
from models.supervision import AuditLog, QaScore

# A masked number keeps its first three digits: mobile carrier or trunk area, enough
# for a count by either, nothing of the subscriber.
KEPT_DIGITS = 3
MASK_TAIL = MASK * 8

CALL_TIME = func.coalesce(Call.entered_queue_at, Call.updated_at)


@dataclasses.dataclass(frozen=True)
class NumberTarget:
    """A table holding callers' numbers: masked columns, cleared ones, its time."""
    table: type
    masked: tuple
    cleared: tuple
    time_column: object

    def expired(self, cutoff: dt.datetime):
        return and_(self.time_column < cutoff, or_(
            *(_unmasked(column) for column in self.masked),
            *(column.is_not(None) for column in self.cleared)))

    def masked_values(self) -> dict:
        values = {column.key: case((_unmasked(column), _mask(column)), else_=column)
                  for column in self.masked}
        return values | {column.key: None for column in self.cleared}


def _unmasked(column):
    return and_(column.is_not(None), column != "", ~column.contains(MASK))


def _mask(column):
    return func.substr(column, 1, KEPT_DIGITS).concat(literal(MASK_TAIL))


NUMBER_TARGETS = (
    NumberTarget(Call, (Call.caller_number_raw, Call.caller_number),
                 (Call.caller_number_full, Call.caller_name), CALL_TIME),
    NumberTarget(IvrSession, (IvrSession.caller_number,), (), IvrSession.started_at),
    NumberTarget(IvrCallbackRequest, (IvrCallbackRequest.callback_number,), (),
                 IvrCallbackRequest.created_at),
    NumberTarget(CallbackAttempt, (CallbackAttempt.number,), (), CallbackAttempt.placed_at),
    NumberTarget(IvrCallbackCall, (IvrCallbackCall.number,), (), IvrCallbackCall.placed_at),
    NumberTarget(NightLogEntry, (NightLogEntry.caller_number,), (), NightLogEntry.logged_at),
)
AUDIT_TABLES = ((AuditLog, AuditLog.at), (AccessAuditEntry, AccessAuditEntry.at))


@dataclasses.dataclass(frozen=True)
class ExpiredRecording:
    callid: str
    path: str
    size_bytes: int | None
    call_at: dt.datetime | None


def expired_recordings(session: Session, cutoff: dt.datetime,
                       referenced_cutoff: dt.datetime) -> list[ExpiredRecording]:
    """Recordings past their period: a work order's or QA score's evidence keeps longer."""
    referenced = or_(Call.callid.in_(select(WorkOrder.callid).where(WorkOrder.callid.is_not(None))),
                     Call.callid.in_(select(QaScore.callid)))
    rows = session.execute(
        select(Call.callid, Call.recording_path, Call.recording_size_bytes, CALL_TIME)
        .where(Call.recording_path.is_not(None),
               CALL_TIME < case((referenced, referenced_cutoff), else_=cutoff))
        .order_by(CALL_TIME, Call.callid))
    return [ExpiredRecording(*row) for row in rows]


def clear_recording_paths(session: Session, callids: list[str]) -> None:
    if callids:
        session.execute(update(Call).where(Call.callid.in_(callids))
                        .values(recording_path=None)
                        .execution_options(synchronize_session=False))


@dataclasses.dataclass(frozen=True)
class ExpiredIdentity:
    person_id: int
    identity_number: str
    changed_at: dt.datetime | None


def expired_identities(session: Session, cutoff: dt.datetime) -> list[ExpiredIdentity]:
    """Tenants' identity numbers in households no longer rented since before cutoff."""
    rows = session.execute(
        select(Person.id, Person.identity_number, Household.updated_at)
        .join(Household, Household.id == Person.household_id)
        .where(Person.role == PersonRole.TENANT, Household.occupancy != Occupancy.RENTED,
               Household.updated_at < cutoff, _unmasked(Person.identity_number))
        .order_by(Household.updated_at, Person.id))
    return [ExpiredIdentity(*row) for row in rows]


def mask_identity(session: Session, row: ExpiredIdentity) -> None:
    session.execute(update(Person).where(Person.id == row.person_id)
                    .values(identity_number=mask_identity_number(row.identity_number))
                    .execution_options(synchronize_session=False))
