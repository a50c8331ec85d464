"""Late departments: an order not accepted by its department in time, or not done
by the time the department promised, is told to the centre once per deadline, so
an agent calls the resident back and tells the housekeeper (seed 003).

Run with the deadline sweep (`hotline workflow sweep`); `now` is passed in.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.console import WorkOrder
from notifications.service import notify
from workflow import department_rules as rules
from workflow.department_flow import centre_audience, current_task, order_link

log = logging.getLogger(__name__)

KIND_OF = {"accept": "department_late_accept", "promise": "department_late_promise"}


@dataclasses.dataclass(frozen=True)
class LateNotice:
    work_order_id: int
    department: str
    deadline: str
    due_at: dt.datetime


def sweep_departments(session: Session, now: dt.datetime, *,
                      office_zone: dt.tzinfo) -> list[LateNotice]:
    """Tell the centre of each department deadline passed since the last run."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    orders = session.scalars(select(WorkOrder).where(
        WorkOrder.status.in_(rules.OPEN_STATUSES), WorkOrder.department.is_not(None))
        .order_by(WorkOrder.id)).all()
    told = []
    for order in orders:
        task = current_task(session, order)
        if task is None:
            continue
        for deadline in rules.late_deadlines(
                task.state, task.accept_due_at, task.promised_at,
                task.late_accept_notified_at is not None,
                task.late_promise_notified_at is not None, now, order.status):
            due_at = task.accept_due_at if deadline == "accept" else task.promised_at
            notify(session, kind=KIND_OF[deadline], audience=centre_audience(order),
                   params={"order": f"#{order.id}", "address": order.address or "—",
                           "due": due_at.astimezone(office_zone).strftime("%Y-%m-%d %H:%M")},
                   link=order_link(order), now=now)
            if deadline == "accept":
                task.late_accept_notified_at = now
            else:
                task.late_promise_notified_at = now
            told.append(LateNotice(order.id, task.department, deadline, due_at))
        session.commit()  # each order's notices with its sheet's record of them
    if told:
        log.info("department sweep at %s: %d late notices", now.isoformat(), len(told))
    return told
