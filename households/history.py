"""What other areas store about a household: calls, work orders, IVR sessions.

Those tables belong to other packages (models/calls.py, console.py, ivr.py) and
point at households loosely, so each read is one small function that returns
nothing when the table's model is absent rather than breaking the screen-pop.
"""
from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

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


def last_calls(session: Session, number_keys: list[str], limit: int = LAST_CALLS) -> list[dict]:
    """The household's latest calls, found by its phone numbers, with outcomes."""
    call = _model("models.calls", "Call")
    if call is None or not number_keys:
        return []
    rows = session.execute(
        select(call.callid, call.caller_number_raw, call.entered_queue_at, call.outcome,
               call.agent_member, call.talk_s, call.wait_s)
        .where(call.caller_number.in_(number_keys))
        .order_by(call.entered_queue_at.desc()).limit(limit)).all()
    return [{"callid": r[0], "caller_number": r[1], "entered_queue_at": _iso(r[2]),
             "outcome": r[3], "agent": r[4], "talk_s": r[5], "wait_s": r[6]} for r in rows]


def open_work_orders(session: Session, household_id: int) -> list[dict]:
    order = _model("models.console", "WorkOrder")
    if order is None:
        return []
    rows = session.execute(
        select(order.id, order.kind, order.category, order.status, order.description,
               order.created_at, order.department)
        .where(order.household_id == household_id,
               order.status.in_(OPEN_WORK_ORDER_STATUSES))
        .order_by(order.created_at.desc())).all()
    return [{"id": r[0], "kind": r[1], "category": r[2], "status": r[3],
             "description": r[4], "created_at": _iso(r[5]), "department": r[6]} for r in rows]


def ivr_session_for_call(session: Session, callid: str | None) -> dict | None:
    ivr = _model("models.ivr", "IvrSession")
    if ivr is None or not callid:
        return None
    row = session.execute(
        select(ivr).where(or_(ivr.callid == callid, ivr.linkedid == callid))
        .order_by(ivr.started_at.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    return {"id": row.id, "callid": row.callid, "household_id": row.household_id,
            "identified_by": row.identified_by, "outcome": row.outcome, "reason": row.reason,
            "started_at": _iso(row.started_at), "ended_at": _iso(row.ended_at),
            "spoken_total_due_fen": row.spoken_total_due_fen,
            "spoken_months_in_arrears": row.spoken_months_in_arrears,
            "spoken_late_fee_fen": row.spoken_late_fee_fen, "steps": row.steps or []}
