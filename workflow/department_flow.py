"""A department's steps on the orders dispatched to it: accept (with the time it
promises), progress notes, complete (work hours; for repairs materials and paid or
free), or send the order back to the centre with a reason.

Every step is a WorkOrderEvent (who, when, the note) on the order's own status flow:
accept is dispatched -> in_progress, a progress note in_progress -> in_progress,
complete in_progress -> done (done_at and the follow-up owed, as when an agent
records it), a rejection dispatched/in_progress -> new, back on the centre's desk
to dispatch again, with the centre told at once. What the department did is kept
on the order's work contact sheet (models.departments.DepartmentTask).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

# The one status move (dates, the follow-up it opens), without the agents' rule of
# who may edit an order: departments have their own rule (department_rules.may_act).
from workflow.orders import _move as move_order
from models.console import User, WorkOrder, WorkOrderEvent
from models.departments import DepartmentTask
from notifications.service import Audience, notify
from workflow import department_rules as rules
from workflow.department_members import departments_of
from workflow.department_rules import DepartmentStepRefused, NotTheirOrder

log = logging.getLogger(__name__)

# Who at the centre is told of a rejection or a late department: the agent who
# registered the order (they call the resident back) and the supervisors.
CENTRE_ROLES = ("supervisor",)
RECENT_DONE = dt.timedelta(days=7)


@dataclasses.dataclass(frozen=True)
class WorklistItem:
    order: WorkOrder
    task: DepartmentTask
    # The deadline that matters now: accept by, or the promised time once accepted.
    due_at: Optional[dt.datetime]
    overdue: Optional[str]


def order_link(order: WorkOrder) -> str:
    return f"/work-orders/{order.id}"


def require_their_order(session: Session, order: WorkOrder, user: User) -> tuple[str, ...]:
    mine = departments_of(session, user)
    if not rules.may_act(user.role, mine, order.department):
        raise NotTheirOrder(f"{user.username} works for none of order {order.id}'s departments")
    return mine


def their_past_sheet(session: Session, order: WorkOrder, user: User) -> Optional[DepartmentTask]:
    """The latest sheet one of the user's departments had for an order that has
    since moved on (their "finished" list links to it): theirs to read, not to act on."""
    mine = departments_of(session, user)
    if not mine:
        return None
    return session.scalar(select(DepartmentTask).where(
        DepartmentTask.work_order_id == order.id, DepartmentTask.department.in_(mine))
        .order_by(DepartmentTask.id.desc()).limit(1))


def current_task(session: Session, order: WorkOrder) -> Optional[DepartmentTask]:
    """The sheet of the order's latest dispatch, opened on first sight (the dispatch
    itself is the agent's step, workflow-neutral); None if it was never dispatched."""
    if order.department is None or order.dispatched_at is None:
        return None
    task = session.scalar(select(DepartmentTask).where(
        DepartmentTask.work_order_id == order.id,
        DepartmentTask.dispatched_at == order.dispatched_at))
    if task is not None:
        return task
    task = DepartmentTask(work_order_id=order.id, department=order.department,
                          dispatched_at=order.dispatched_at,
                          accept_due_at=rules.accept_due(order.dispatched_at, order.urgency),
                          state="open", materials="", reject_reason="")
    # Two requests opening the same sheet at once: the unique (order, dispatch) key
    # makes the second one fail at commit instead of storing a duplicate.
    session.add(task)
    session.flush()
    return task


def latest_task(session: Session, order: WorkOrder) -> Optional[DepartmentTask]:
    """The order's most recent sheet, whatever its state (for the centre's view)."""
    return session.scalar(select(DepartmentTask).where(DepartmentTask.work_order_id == order.id)
                          .order_by(DepartmentTask.id.desc()).limit(1))


def _item(order: WorkOrder, task: DepartmentTask, now: dt.datetime) -> WorklistItem:
    due = task.accept_due_at if task.state == "open" else task.promised_at
    return WorklistItem(order, task, due,
                        rules.overdue(task.state, task.accept_due_at, task.promised_at, now,
                                      order.status))


def worklist(session: Session, user: User, now: dt.datetime) -> list[WorklistItem]:
    """The orders in the user's departments' hands, the most pressing first."""
    mine = departments_of(session, user)
    if not mine:
        return []
    orders = session.scalars(select(WorkOrder).where(
        WorkOrder.department.in_(mine), WorkOrder.status.in_(rules.OPEN_STATUSES))
        .order_by(WorkOrder.id)).all()
    items = [_item(order, current_task(session, order), now) for order in orders]
    session.commit()  # sheets opened on first sight
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return sorted(items, key=lambda item: (item.overdue is None, item.order.urgency != "emergency",
                                           item.due_at or far, item.order.id))


def recently_completed(session: Session, user: User, now: dt.datetime) -> list[DepartmentTask]:
    mine = departments_of(session, user)
    if not mine:
        return []
    return list(session.scalars(select(DepartmentTask).where(
        DepartmentTask.department.in_(mine), DepartmentTask.state.in_(("completed", "rejected")),
        DepartmentTask.created_at >= now - RECENT_DONE)
        .order_by(DepartmentTask.id.desc()).limit(50)))


def _task_in_hand(session: Session, order: WorkOrder, states: tuple[str, ...]) -> DepartmentTask:
    task = current_task(session, order)
    if task is None or order.status not in rules.OPEN_STATUSES:
        raise DepartmentStepRefused("not_in_hand",
                                    f"work order {order.id} is {order.status}, not with a department")
    if task.state not in states:
        raise DepartmentStepRefused(f"already_{task.state}",
                                    f"work order {order.id}'s sheet is {task.state}")
    return task


def accept(session: Session, order: WorkOrder, user: User, promised_at: Optional[dt.datetime],
           note: str, now: dt.datetime) -> DepartmentTask:
    require_their_order(session, order, user)
    promised = rules.check_promise(promised_at, now)
    note = rules.check_text("note", note, required=False)
    task = _task_in_hand(session, order, ("open",))
    if order.status != "dispatched":
        raise DepartmentStepRefused("not_in_hand", f"work order {order.id} is {order.status}")
    task.state, task.accepted_at, task.accepted_by_id, task.promised_at = (
        "accepted", now, user.id, promised)
    move_order(session, order, "in_progress", user, now, note=note)
    log.info("work order %s accepted by %s (%s), promised for %s", order.id, user.username,
             task.department, promised.isoformat())
    return task


def add_progress(session: Session, order: WorkOrder, user: User, note: str,
                 now: dt.datetime) -> WorkOrderEvent:
    require_their_order(session, order, user)
    text = rules.check_text("progress_note", note, required=True)
    _task_in_hand(session, order, ("accepted",))
    event = WorkOrderEvent(work_order_id=order.id, user_id=user.id, at=now,
                           from_status=order.status, to_status=order.status, note=text)
    session.add(event)
    session.commit()
    return event


def complete(session: Session, order: WorkOrder, user: User, done: rules.Completion,
             now: dt.datetime) -> DepartmentTask:
    require_their_order(session, order, user)
    task = _task_in_hand(session, order, ("open", "accepted"))
    if order.status != "in_progress":
        raise DepartmentStepRefused("not_accepted", f"work order {order.id} is not accepted yet")
    task.state, task.completed_at, task.completed_by_id = "completed", now, user.id
    task.work_minutes, task.materials, task.paid = done.work_minutes, done.materials, done.paid
    move_order(session, order, "done", user, now, note=done.note)
    log.info("work order %s completed by %s in %d min", order.id, user.username, done.work_minutes)
    return task


def reject(session: Session, order: WorkOrder, user: User, reason: str,
           now: dt.datetime) -> DepartmentTask:
    """Back to the centre (status new, to be dispatched again); the centre is told now."""
    require_their_order(session, order, user)
    text = rules.check_text("reason", reason, required=True)
    task = _task_in_hand(session, order, ("open", "accepted"))
    task.state, task.rejected_at, task.rejected_by_id, task.reject_reason = (
        "rejected", now, user.id, text)
    session.add(WorkOrderEvent(work_order_id=order.id, user_id=user.id, at=now,
                               from_status=order.status, to_status="new", note=text))
    order.status = "new"
    notify(session, kind="department_rejected", audience=centre_audience(order),
           params={"order": f"#{order.id}", "address": order.address or "—", "reason": text},
           link=order_link(order), now=now)
    session.commit()
    log.info("work order %s sent back by %s (%s)", order.id, user.username, task.department)
    return task


def centre_audience(order: WorkOrder) -> Audience:
    return Audience(roles=CENTRE_ROLES, user_ids=(order.created_by_id,))
