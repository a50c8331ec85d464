"""The deadline sweeper: each deadline of an open order is flagged once when it
falls due (it falls on today's office day and is not met) and once when it is
missed (past and not met, or met late), with a console notification each time.

Run it periodically (`hotline workflow sweep --every 60`, or cron); `now` is
passed in, so tests drive it with their own clock. Deadlines come from the order
(workflow.deadlines computed them at intake) and from the complaint's and
enquiry's own records:

accept         an online message accepted (5 min after it was sent, seed 000)
dispatch       handed to a department (3 min after the call, 003; 5 min after an
               online message's acceptance, 000)
escalate       the director (same day) or department supervisor (1 h) acknowledges
answer         a major complaint's clear answer to the resident (2 days)
resolve        done (10 days, 3 days, 2 days or the resident's deadline)
tell_resident  the result told to the resident the same day it is known
reply          an enquiry's agreed reply time

Sweeping also sends any escalation notice still pending (a failed send at intake).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.deadlines import end_of_local_day
from models.complaints import Complaint, DeadlineFlag, EnquiryCallback
from models.console import WorkOrder
from notifications.service import Audience, notify
from workflow import escalation

log = logging.getLogger(__name__)

# Orders past these statuses have nothing left to flag.
FINISHED_STATUSES = ("closed",)
WATCH_ROLES = ("supervisor",)


@dataclasses.dataclass(frozen=True)
class Deadline:
    name: str
    due_at: dt.datetime
    met_at: Optional[dt.datetime]


@dataclasses.dataclass(frozen=True)
class RaisedFlag:
    work_order_id: int
    deadline: str
    flag: str
    due_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class SweepReport:
    now: dt.datetime
    orders_seen: int
    flags: tuple[RaisedFlag, ...]
    escalations_sent: tuple[int, ...]


def deadlines_of(order: WorkOrder, complaint: Optional[Complaint],
                 callback: Optional[EnquiryCallback], tz: dt.tzinfo) -> list[Deadline]:
    """Every deadline the order carries, with when it was met (None: not yet)."""
    found = []

    def add(name, due_at, met_at):
        if due_at is not None:
            found.append(Deadline(name, due_at, met_at))

    add("accept", order.accept_due_at, order.accepted_at)
    add("dispatch", order.dispatch_due_at, order.dispatched_at)
    if complaint is not None:
        add("escalate", order.escalate_due_at, complaint.acknowledged_at)
        add("answer", order.answer_due_at, complaint.answered_at)
        if complaint.result_known_at is not None:
            add("tell_resident", end_of_local_day(complaint.result_known_at, tz),
                complaint.resident_told_at)
    add("resolve", order.resolve_due_at, order.done_at)
    if callback is not None:
        add("reply", callback.reply_due_at, callback.replied_at)
    return found


def state_of(deadline: Deadline, now: dt.datetime, tz: dt.tzinfo) -> str:
    """met, missed, due (falls on today's office day, not met) or later."""
    if deadline.met_at is not None:
        return "missed" if deadline.met_at > deadline.due_at else "met"
    if now > deadline.due_at:
        return "missed"
    if deadline.due_at <= end_of_local_day(now, tz):
        return "due"
    return "later"


def flags_to_raise(deadline: Deadline, now: dt.datetime, tz: dt.tzinfo) -> list[str]:
    """A missed deadline never flagged as due gets its due flag too (the record is
    complete whichever run saw it first)."""
    state = state_of(deadline, now, tz)
    if state == "due":
        return ["due"]
    if state == "missed":
        return ["due", "missed"] if deadline.met_at is None else ["missed"]
    return []


def _open_orders(session: Session) -> list[WorkOrder]:
    return list(session.scalars(select(WorkOrder).where(
        WorkOrder.status.not_in(FINISHED_STATUSES)).order_by(WorkOrder.id)))


def _by_order(session: Session, model, order_ids: list[int]) -> dict:
    if not order_ids:
        return {}
    rows = session.scalars(select(model).where(model.work_order_id.in_(order_ids)))
    return {row.work_order_id: row for row in rows}


def _raised(session: Session, order_ids: list[int]) -> set[tuple[int, str, str]]:
    if not order_ids:
        return set()
    rows = session.execute(select(DeadlineFlag.work_order_id, DeadlineFlag.deadline,
                                  DeadlineFlag.flag)
                           .where(DeadlineFlag.work_order_id.in_(order_ids)))
    return {tuple(row) for row in rows}


def _audience(order: WorkOrder, deadline: str) -> Audience:
    if deadline == "escalate":
        return escalation.escalation_audience(order)
    return Audience(roles=WATCH_ROLES, user_ids=(order.created_by_id,))


def _raise(session: Session, order: WorkOrder, deadline: Deadline, flag: str,
           now: dt.datetime, tz: dt.tzinfo) -> bool:
    """Store the flag and its notification in one transaction; False if another
    sweeper run stored it first."""
    session.add(DeadlineFlag(work_order_id=order.id, deadline=deadline.name, flag=flag,
                             due_at=deadline.due_at, raised_at=now))
    due_text = deadline.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    notify(session, kind=f"deadline_{flag}_{deadline.name}",
           audience=_audience(order, deadline.name),
           params={"order": f"#{order.id}", "due": due_text},
           link=escalation.order_link(order), now=now)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def sweep(session: Session, now: dt.datetime, *, office_zone: dt.tzinfo) -> SweepReport:
    """One pass over the open orders at `now` (aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    orders = _open_orders(session)
    ids = [order.id for order in orders]
    complaints = _by_order(session, Complaint, ids)
    callbacks = _by_order(session, EnquiryCallback, ids)
    already = _raised(session, ids)
    sent, raised = [], []
    for order in orders:
        complaint = complaints.get(order.id)
        if complaint is not None and complaint.escalation == "pending":
            escalation.send_notice(session, order, complaint, now)
            sent.append(order.id)
        for deadline in deadlines_of(order, complaint, callbacks.get(order.id), office_zone):
            for flag in flags_to_raise(deadline, now, office_zone):
                if (order.id, deadline.name, flag) in already:
                    continue
                if _raise(session, order, deadline, flag, now, office_zone):
                    raised.append(RaisedFlag(order.id, deadline.name, flag, deadline.due_at))
    if raised:
        log.info("deadline sweep at %s: %d flags raised", now.isoformat(), len(raised))
    return SweepReport(now, len(orders), tuple(raised), tuple(sent))
