"""Work orders: creation (idempotent), status changes with history, follow-ups.

No Flask here: the views pass a SQLAlchemy session, the acting user and `now`,
so the rules are tested without a request.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Callable, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow import deadlines
from workflow.errors import IllegalTransition, InvalidOrder, NotPermitted
from models.console import (
    COMPLAINT_TIERS, DEPARTMENTS, ORDER_KINDS, FollowUp, User, WorkOrder, WorkOrderEvent,
)

log = logging.getLogger(__name__)

# Roles that may change any order; an agent changes only the orders they created
# (users belong to no department or team yet, so "dispatched to their team" has no
# meaning here; the order's department is where it goes, not who may edit it).
MANAGING_ROLES = ("supervisor", "admin")

# The order's life (domain.md: registered, dispatched, tracked to the end, called back).
TRANSITIONS = {
    "new": {"dispatched", "closed"},
    "dispatched": {"in_progress"},
    "in_progress": {"done"},
    "done": {"followed_up", "closed"},
    "followed_up": {"closed"},
    "closed": set(),
}


@dataclasses.dataclass
class OrderInput:
    kind: str
    description: str
    category: str = "other"
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    preferred_visit: str = ""
    paid: bool = False
    complaint_tier: Optional[str] = None
    resident_deadline: Optional[dt.datetime] = None
    callid: Optional[str] = None
    household_id: Optional[int] = None
    recording: Optional[str] = None
    call_at: Optional[dt.datetime] = None


def _check_input(data: OrderInput) -> None:
    if data.kind not in ORDER_KINDS:
        raise InvalidOrder("kind", f"unknown kind {data.kind!r}")
    if data.kind == "complaint" and data.complaint_tier not in COMPLAINT_TIERS:
        raise InvalidOrder("tier_needed", "a complaint needs a tier: major, important or minor")
    if data.kind != "complaint" and data.complaint_tier:
        raise InvalidOrder("tier_only_complaints", "only complaints have a tier")
    if not data.description.strip():
        raise InvalidOrder("description_empty", "the description is empty")


def find_by_token(session: Session, token: str) -> Optional[WorkOrder]:
    return session.scalar(select(WorkOrder).where(WorkOrder.idempotency_token == token))


def create_order(
    session: Session, user: User, data: OrderInput, token: str, now: dt.datetime,
    *, office_zone: dt.tzinfo, prepare: Optional[Callable[[WorkOrder], None]] = None,
) -> tuple[WorkOrder, bool]:
    """Store the order once per form token; returns (order, created).

    `office_zone` is settings.office_timezone (the day a major complaint escalates by).
    `prepare` (workflow.intake) completes the new order in the same transaction."""
    existing = find_by_token(session, token)
    if existing is not None:
        return existing, False
    _check_input(data)
    call_at = data.call_at or now
    due = deadlines.order_deadlines(
        data.kind, call_at, data.complaint_tier or None, data.resident_deadline,
        tz=office_zone)
    order = WorkOrder(
        idempotency_token=token, kind=data.kind, category=data.category or "other",
        description=data.description, address=data.address,
        contact_name=data.contact_name, contact_phone=data.contact_phone,
        preferred_visit=data.preferred_visit, paid=data.paid,
        complaint_tier=data.complaint_tier or None, resident_deadline=data.resident_deadline,
        callid=data.callid or None, household_id=data.household_id,
        recording=data.recording, created_by_id=user.id, created_at=now, call_at=call_at,
        dispatch_due_at=due.dispatch_due_at, escalate_to=due.escalate_to,
        escalate_due_at=due.escalate_due_at, answer_due_at=due.answer_due_at,
        resolve_due_at=due.resolve_due_at, status="new",
    )
    order.events.append(WorkOrderEvent(user_id=user.id, at=now, from_status=None,
                                       to_status="new"))
    if prepare is not None:
        prepare(order)
    session.add(order)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent submit of the same form won the race: return its order.
        session.rollback()
        existing = find_by_token(session, token)
        if existing is None:
            raise
        return existing, False
    log.info("work order %s created by %s for call %s", order.id, user.username, order.callid)
    return order, True


def next_statuses(order: WorkOrder) -> set[str]:
    """Where the order may go from where it stands: the workflow's steps less the ones
    its kind forbids (a repair is dispatched, never closed unseen; an order that is
    followed up is not closed before its follow-up)."""
    allowed = set(TRANSITIONS.get(order.status, set()))
    needs_follow_up = order.kind in deadlines.KINDS_FOLLOWED_UP
    if order.status == "new" and order.kind in deadlines.KINDS_DISPATCHED:
        allowed.discard("closed")
    if order.status == "done" and needs_follow_up:
        allowed.discard("closed")
    if not needs_follow_up:
        allowed.discard("followed_up")
    return allowed


def _check_transition(order: WorkOrder, to_status: str) -> None:
    if to_status not in next_statuses(order):
        raise IllegalTransition(order.status, to_status)


def may_change(order: WorkOrder, user: User) -> bool:
    return user.role in MANAGING_ROLES or order.created_by_id == user.id


def change_status(
    session: Session, order: WorkOrder, to_status: str, user: User, now: dt.datetime,
    department: Optional[str] = None, note: str = "", leak_test_at: Optional[dt.datetime] = None,
) -> WorkOrder:
    """Move the order, store who and when; refuse an illegal step or a user not allowed to."""
    if not may_change(order, user):
        raise NotPermitted(f"{user.username} may not change work order {order.id}")
    return _move(session, order, to_status, user, now, department, note, leak_test_at)


def _move(
    session: Session, order: WorkOrder, to_status: str, user: User, now: dt.datetime,
    department: Optional[str] = None, note: str = "", leak_test_at: Optional[dt.datetime] = None,
) -> WorkOrder:
    _check_transition(order, to_status)
    if to_status == "dispatched":
        if department not in DEPARTMENTS:
            raise InvalidOrder("department_needed",
                               f"dispatch needs a department ({', '.join(DEPARTMENTS)})")
        order.department = department
        order.dispatched_at = now
        order.call_to_dispatch_s = max(0, int((now - order.call_at).total_seconds()))
    elif to_status == "done":
        order.done_at = now
        _open_follow_up(session, order, now, leak_test_at)
    elif to_status == "closed":
        order.closed_at = now
    session.add(WorkOrderEvent(work_order_id=order.id, user_id=user.id, at=now,
                               from_status=order.status, to_status=to_status, note=note))
    order.status = to_status
    session.commit()
    return order


def _open_follow_up(session: Session, order: WorkOrder, now: dt.datetime,
                    leak_test_at: Optional[dt.datetime]) -> None:
    due = deadlines.follow_up_due(order.kind, order.category, now, leak_test_at)
    if due is None:
        return
    session.add(FollowUp(work_order_id=order.id, created_at=now, target_at=due.target_at,
                         due_at=due.due_at, rule=due.rule))


def record_follow_up(
    session: Session, follow_up: FollowUp, user: User, result: str,
    satisfaction: Optional[int], notes: str, now: dt.datetime,
) -> FollowUp:
    """Store the follow-up call's result; a reached resident closes the loop."""
    if result not in ("reached", "unreachable", "refused"):
        raise InvalidOrder("result", f"unknown follow-up result {result!r}")
    if result == "reached" and satisfaction not in (1, 2, 3, 4, 5):
        raise InvalidOrder("satisfaction",
                           "satisfaction must be 1 to 5 when the resident was reached")
    follow_up.result = result
    follow_up.satisfaction = satisfaction if result == "reached" else None
    follow_up.notes = notes
    follow_up.called_at = now
    follow_up.called_by_id = user.id
    order = follow_up.work_order
    if result == "reached" and order.status == "done":
        # Whoever makes the follow-up call closes its loop, owner of the order or not.
        _move(session, order, "followed_up", user, now, note="follow-up call")
    session.commit()
    return follow_up


@dataclasses.dataclass(frozen=True)
class FollowUpStats:
    owed: int
    done: int
    overdue: int
    rate: Optional[float]
    mean_satisfaction: Optional[float]
    satisfied_share: Optional[float]


def follow_up_stats(session: Session, now: dt.datetime) -> FollowUpStats:
    """Follow-up rate (target 100 %) and satisfaction (target ≥ 90 % satisfied).

    Counted by order, not by attempt (one FollowUp row per attempt): an order is
    followed up once a resident was reached or refused; unreachable attempts do not count."""
    owed = session.scalar(select(func.count(func.distinct(FollowUp.work_order_id)))) or 0
    done = session.scalar(select(func.count(func.distinct(FollowUp.work_order_id))).where(
        FollowUp.result.in_(("reached", "refused")))) or 0
    overdue = session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.result == "pending", FollowUp.due_at < now)) or 0
    scores = session.scalars(select(FollowUp.satisfaction).where(
        FollowUp.satisfaction.is_not(None))).all()
    mean = sum(scores) / len(scores) if scores else None
    satisfied = sum(1 for score in scores if score >= 4) / len(scores) if scores else None
    return FollowUpStats(owed, done, overdue, done / owed if owed else None, mean, satisfied)


def order_overdue(order: WorkOrder, now: dt.datetime) -> list[str]:
    return deadlines.overdue_deadlines(
        {"dispatch_due_at": order.dispatch_due_at, "resolve_due_at": order.resolve_due_at,
         "escalate_due_at": order.escalate_due_at}, order.status, now)
