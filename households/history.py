"""What other areas store about a household: calls, work orders, IVR sessions.

Those tables belong to other areas (models/calls.py, console.py, ivr.py) and
point at households loosely (by phone number, household id or callid), so
each read is one small function with its statement built once.
"""
from __future__ import annotations

import functools
import logging

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from households.queries import run
from models.calls import Call
from models.console import WorkOrder
from models.ivr import IvrSession

log = logging.getLogger(__name__)

OPEN_WORK_ORDER_STATUSES = ("new", "dispatched", "in_progress")
LAST_CALLS = 5


def _iso(value):
    return value.isoformat() if value is not None else None


@functools.lru_cache(maxsize=None)
def _last_calls_statement():
    return (select(Call.callid, Call.caller_number_raw, Call.entered_queue_at, Call.outcome,
                   Call.agent_member, Call.talk_s, Call.wait_s)
            .where(Call.caller_number.in_(bindparam("numbers", expanding=True)))
            # An expression, not the bare column: given ORDER BY entered_queue_at LIMIT 5,
            # PostgreSQL may walk the time index backwards through every call looking
            # for these numbers (20–40 ms at 100,000 calls) instead of probing
            # ix_calls_caller_number and sorting the household's few calls.
            .order_by(func.coalesce(Call.entered_queue_at, Call.entered_queue_at).desc())
            .limit(bindparam("limit")))


@functools.lru_cache(maxsize=None)
def _open_orders_statement():
    return (select(WorkOrder.id, WorkOrder.kind, WorkOrder.category, WorkOrder.status,
                   WorkOrder.description, WorkOrder.created_at, WorkOrder.department)
            .where(WorkOrder.household_id == bindparam("household_id"),
                   WorkOrder.status.in_(OPEN_WORK_ORDER_STATUSES))
            .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()))


IVR_FIELDS = ("id", "callid", "household_id", "identified_by", "outcome", "reason",
              "started_at", "ended_at", "spoken_total_due_fen", "spoken_months_in_arrears",
              "spoken_late_fee_fen", "steps")


@functools.lru_cache(maxsize=None)
def _ivr_statement():
    # By callid only: the IVR stores the caller channel's Uniqueid, which is the queue
    # call's id when the caller goes on to an agent, and callid is indexed (linkedid
    # is not: an OR on it would scan every session). Coalesce: see _last_calls_statement.
    return (select(*(getattr(IvrSession, field) for field in IVR_FIELDS))
            .where(IvrSession.callid == bindparam("callid"))
            .order_by(func.coalesce(IvrSession.started_at, IvrSession.started_at).desc())
            .limit(1))


def last_calls(session: Session, number_keys: list[str], limit: int = LAST_CALLS) -> list[dict]:
    """The household's latest calls, found by its phone numbers, with outcomes."""
    if not number_keys:
        return []
    rows = run(session, _last_calls_statement(), numbers=list(number_keys), limit=limit)
    return [{"callid": r[0], "caller_number": r[1], "entered_queue_at": _iso(r[2]),
             "outcome": r[3], "agent": r[4], "talk_s": r[5], "wait_s": r[6]} for r in rows]


def open_work_orders(session: Session, household_id: int) -> list[dict]:
    rows = run(session, _open_orders_statement(), household_id=household_id)
    return [{"id": r[0], "kind": r[1], "category": r[2], "status": r[3],
             "description": r[4], "created_at": _iso(r[5]), "department": r[6]} for r in rows]


def ivr_session_for_call(session: Session, callid: str | None) -> dict | None:
    if not callid:
        return None
    row = run(session, _ivr_statement(), callid=callid).first()
    if row is None:
        return None
    data = dict(zip(IVR_FIELDS, row))
    data["started_at"], data["ended_at"] = _iso(data["started_at"]), _iso(data["ended_at"])
    data["steps"] = data["steps"] or []
    return data


def last_contact_by_household(session: Session, household_ids: list[int]) -> dict:
    """When each household was last called about, from the IVR sessions that
    identified it and the work orders registered for it (both carry the call's
    time and the household id; call records themselves only know the number)."""
    latest: dict = {}
    if not household_ids:
        return latest
    for model, when in ((IvrSession, IvrSession.started_at), (WorkOrder, WorkOrder.call_at)):
        for household_id, at in session.execute(
                select(model.household_id, func.max(when))
                .where(model.household_id.in_(household_ids))
                .group_by(model.household_id)):
            if at is not None and (household_id not in latest or at > latest[household_id]):
                latest[household_id] = at
    return latest
