"""What other areas store about a household: calls, work orders, IVR sessions.

Those tables belong to other packages (models/calls.py, console.py, ivr.py) and
point at households loosely, so each read is one small function that returns
nothing when the table's model is absent rather than breaking the screen-pop.
"""
from __future__ import annotations

import functools
import logging

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from households.queries import run

log = logging.getLogger(__name__)

OPEN_WORK_ORDER_STATUSES = ("new", "dispatched", "in_progress")
LAST_CALLS = 5


def _model(module: str, name: str):
    try:
        return getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        return None


def _iso(value):
    return value.isoformat() if value is not None else None


@functools.lru_cache(maxsize=None)
def _last_calls_statement():
    call = _model("models.calls", "Call")
    if call is None:
        return None
    return (select(call.callid, call.caller_number_raw, call.entered_queue_at, call.outcome,
                   call.agent_member, call.talk_s, call.wait_s)
            .where(call.caller_number.in_(bindparam("numbers", expanding=True)))
            # An expression, not the bare column: given ORDER BY entered_queue_at LIMIT 5,
            # PostgreSQL may walk the time index backwards through every call looking
            # for these numbers (20–40 ms at 100,000 calls) instead of probing
            # ix_calls_caller_number and sorting the household's few calls.
            .order_by(func.coalesce(call.entered_queue_at, call.entered_queue_at).desc())
            .limit(bindparam("limit")))


@functools.lru_cache(maxsize=None)
def _open_orders_statement():
    order = _model("models.console", "WorkOrder")
    if order is None:
        return None
    return (select(order.id, order.kind, order.category, order.status, order.description,
                   order.created_at, order.department)
            .where(order.household_id == bindparam("household_id"),
                   order.status.in_(OPEN_WORK_ORDER_STATUSES))
            .order_by(order.created_at.desc(), order.id.desc()))


IVR_FIELDS = ("id", "callid", "household_id", "identified_by", "outcome", "reason",
              "started_at", "ended_at", "spoken_total_due_fen", "spoken_months_in_arrears",
              "spoken_late_fee_fen", "steps")


@functools.lru_cache(maxsize=None)
def _ivr_statement():
    ivr = _model("models.ivr", "IvrSession")
    if ivr is None:
        return None
    # By callid only: the IVR stores the caller channel's Uniqueid, which is the queue
    # call's id when the caller goes on to an agent, and callid is indexed (linkedid
    # is not: an OR on it would scan every session). Coalesce: see _last_calls_statement.
    return (select(*(getattr(ivr, field) for field in IVR_FIELDS))
            .where(ivr.callid == bindparam("callid"))
            .order_by(func.coalesce(ivr.started_at, ivr.started_at).desc()).limit(1))


def last_calls(session: Session, number_keys: list[str], limit: int = LAST_CALLS) -> list[dict]:
    """The household's latest calls, found by its phone numbers, with outcomes."""
    statement = _last_calls_statement()
    if statement is None or not number_keys:
        return []
    rows = run(session, statement, numbers=list(number_keys), limit=limit)
    return [{"callid": r[0], "caller_number": r[1], "entered_queue_at": _iso(r[2]),
             "outcome": r[3], "agent": r[4], "talk_s": r[5], "wait_s": r[6]} for r in rows]


def open_work_orders(session: Session, household_id: int) -> list[dict]:
    statement = _open_orders_statement()
    if statement is None:
        return []
    rows = run(session, statement, household_id=household_id)
    return [{"id": r[0], "kind": r[1], "category": r[2], "status": r[3],
             "description": r[4], "created_at": _iso(r[5]), "department": r[6]} for r in rows]


def ivr_session_for_call(session: Session, callid: str | None) -> dict | None:
    statement = _ivr_statement()
    if statement is None or not callid:
        return None
    row = run(session, statement, callid=callid).first()
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
    sources = ((_model("models.ivr", "IvrSession"), "started_at"),
               (_model("models.console", "WorkOrder"), "call_at"))
    for model, column in sources:
        if model is None or not household_ids:
            continue
        when = getattr(model, column)
        for household_id, at in session.execute(
                select(model.household_id, func.max(when))
                .where(model.household_id.in_(household_ids))
                .group_by(model.household_id)):
            if at is not None and (household_id not in latest or at > latest[household_id]):
                latest[household_id] = at
    return latest
