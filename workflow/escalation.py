"""Who is told, through the console's notifications, when a complaint escalates
or an emergency comes in (seed 004).

- major complaint: the office director (管理处主任) the same day. The console has
  no director role: supervisors and administrators (the office's management) get it.
- important complaint: the department supervisor within the hour: the supervisors,
  and the department's own users once the order has gone to one.
- emergency: the supervisors and the department it was dispatched to, at once.

The escalation is the complaint's own state (pending, notified, acknowledged): a
dispatch does not touch it; only its recipient acknowledging it meets the deadline.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from models.complaints import Complaint
from models.console import User, WorkOrder
from notifications.service import Audience, notify
from workflow.errors import StepRefused

log = logging.getLogger(__name__)

DIRECTOR_ROLES = ("supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor",)
ACKNOWLEDGING_ROLES = ("supervisor", "admin")


def order_link(order: WorkOrder) -> str:
    return f"/work-orders/{order.id}"


def _order_params(order: WorkOrder) -> dict:
    return {"order": f"#{order.id}", "address": order.address or "-"}


def escalation_audience(order: WorkOrder) -> Audience:
    if order.escalate_to == "director":
        return Audience(roles=DIRECTOR_ROLES)
    departments = (order.department,) if order.department else ()
    return Audience(roles=SUPERVISOR_ROLES, departments=departments)


def send_notice(session: Session, order: WorkOrder, complaint: Complaint,
                now: dt.datetime) -> None:
    """Tell the escalation's recipients now; the complaint becomes `notified`."""
    if complaint.escalation != "pending":
        return
    kind = ("complaint_to_director" if order.escalate_to == "director"
            else "complaint_to_supervisor")
    notify(session, kind=kind, audience=escalation_audience(order),
           params=_order_params(order), link=order_link(order), now=now)
    complaint.escalation = "notified"
    complaint.escalated_at = now
    session.commit()
    log.info("work order %s: complaint escalated to the %s", order.id, order.escalate_to)


def acknowledge(session: Session, complaint: Complaint, user: User, now: dt.datetime) -> None:
    """The director or supervisor takes the complaint into the handling procedure."""
    if user.role not in ACKNOWLEDGING_ROLES:
        raise StepRefused("only a supervisor or the director acknowledges an escalation")
    if complaint.escalation not in ("pending", "notified"):
        raise StepRefused(f"there is no open escalation to acknowledge ({complaint.escalation})")
    complaint.escalation = "acknowledged"
    complaint.acknowledged_at = now
    complaint.acknowledged_by_id = user.id
    session.commit()


def alert_emergency(session: Session, order: WorkOrder, now: dt.datetime) -> None:
    departments = (order.department,) if order.department else ()
    notify(session, kind="emergency_order",
           audience=Audience(roles=SUPERVISOR_ROLES, departments=departments),
           params=_order_params(order), link=order_link(order), now=now)
    session.commit()
