"""A new order's channel, urgency, warranty and register record, stored with it.

`register` wraps workflow.orders.create_order: the intake fields go into the
same transaction (its `prepare` hook); an emergency is then dispatched at once and
the supervisor alerted, and a major or important complaint's escalation notice
goes out (workflow.escalation), each in its own transaction after the order's:
a notice that cannot be sent leaves the escalation pending, and the sweeper
sends it on its next run.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import orders as service
from models.complaints import RESPONDENT_DEPARTMENTS, Complaint, EnquiryCallback
from models.console import CHANNELS, URGENCIES, User, WorkOrder
from models.households import Household
from workflow import escalation, warranty
from workflow.errors import BadIntake
from workflow.rules import (
    ACCEPT_ONLINE_WITHIN, DISPATCH_AFTER_ACCEPT_WITHIN, EMERGENCY_CATEGORIES, ONLINE_CHANNELS,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ComplaintFields:
    """The register's own fields (seed 004); the account is the order's description."""
    occurred_at: Optional[dt.datetime] = None
    location: str = ""
    respondent_person: str = ""
    respondent_department: Optional[str] = None
    resident_request: str = ""


@dataclasses.dataclass(frozen=True)
class Intake:
    channel: str = "phone"
    message_at: Optional[dt.datetime] = None   # when an online message was sent
    urgency: str = "normal"
    warranty_override_reason: str = ""
    complaint: ComplaintFields = ComplaintFields()
    reply_due_at: Optional[dt.datetime] = None  # an enquiry's agreed reply time


def check(intake: Intake, kind: str, now: dt.datetime) -> None:
    if intake.channel not in CHANNELS:
        raise BadIntake(f"unknown channel {intake.channel!r} ({', '.join(CHANNELS)})")
    if intake.urgency not in URGENCIES:
        raise BadIntake(f"unknown urgency {intake.urgency!r} ({', '.join(URGENCIES)})")
    if intake.channel in ONLINE_CHANNELS:
        if intake.message_at is None:
            raise BadIntake("an online message needs the time it was sent")
        if intake.message_at.tzinfo is None or intake.message_at > now:
            raise BadIntake("the message's time must be an aware time not in the future")
    elif intake.message_at is not None:
        raise BadIntake("only online messages (wechat, qq, web) have a message time")
    department = intake.complaint.respondent_department
    if department is not None and department not in RESPONDENT_DEPARTMENTS:
        raise BadIntake(f"unknown department complained about {department!r}")
    if intake.reply_due_at is not None:
        if kind != "enquiry":
            raise BadIntake("only an enquiry has an agreed reply time")
        if intake.reply_due_at.tzinfo is None or intake.reply_due_at <= now:
            raise BadIntake("the agreed reply time must be later than now")


def urgency_of(category: str, asked: str) -> str:
    """An emergency category is an emergency whatever the agent picked."""
    return "emergency" if category in EMERGENCY_CATEGORIES else asked


def _handover_on(session: Session, household_id: Optional[int]) -> Optional[dt.date]:
    if household_id is None:
        return None
    household = session.get(Household, household_id)
    return household.key_handover_on if household is not None else None


def _preparer(session: Session, data: service.OrderInput, intake: Intake, now: dt.datetime,
              office_zone: dt.tzinfo, user: User):
    handover_on = _handover_on(session, data.household_id) if data.kind == "repair" else None

    def prepare(order: WorkOrder) -> None:
        order.channel = intake.channel
        order.urgency = urgency_of(order.category, intake.urgency)
        order.accepted_at = now  # registering the order is accepting the request
        if intake.channel in ONLINE_CHANNELS:
            order.message_at = intake.message_at
            order.accept_due_at = intake.message_at + ACCEPT_ONLINE_WITHIN
            if order.dispatch_due_at is not None:
                order.dispatch_due_at = now + DISPATCH_AFTER_ACCEPT_WITHIN
        if order.kind == "repair":
            _apply_warranty(order, handover_on, data.paid, intake.warranty_override_reason,
                            now.astimezone(office_zone).date())
        if order.kind == "complaint":
            fields = intake.complaint
            order_complaint = Complaint(
                occurred_at=fields.occurred_at, location=fields.location or order.address,
                respondent_person=fields.respondent_person,
                respondent_department=fields.respondent_department,
                resident_request=fields.resident_request,
                escalation="pending" if order.escalate_to else "none")
            order_complaint.work_order = order
            session.add(order_complaint)
        if order.kind == "enquiry" and intake.reply_due_at is not None:
            callback = EnquiryCallback(reply_due_at=intake.reply_due_at,
                                       assigned_to_id=user.id)
            callback.work_order = order
            session.add(callback)

    return prepare


def _apply_warranty(order: WorkOrder, handover_on: Optional[dt.date], agent_paid: bool,
                    override_reason: str, today: dt.date) -> None:
    decision = warranty.decide(order.category, handover_on, today)
    order.warranty_status = decision.status
    order.warranty_until = decision.until
    order.paid = warranty.paid_for(decision, agent_paid, override_reason)
    order.warranty_override_reason = override_reason.strip()


def register(
    session: Session, user: User, data: service.OrderInput, intake: Intake, token: str,
    now: dt.datetime, *, office_zone: dt.tzinfo) -> tuple[WorkOrder, bool]:
    """Create the order with its intake (once per token); returns (order, created)."""
    check(intake, data.kind, now)
    order, created = service.create_order(
        session, user, data, token, now, office_zone=office_zone,
        prepare=_preparer(session, data, intake, now, office_zone, user))
    if not created:
        return order, False
    if order.urgency == "emergency":
        _dispatch_at_once(session, order, user, now)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    if complaint is not None and complaint.escalation == "pending":
        escalation.send_notice(session, order, complaint, now)
    return order, True


def _dispatch_at_once(session: Session, order: WorkOrder, user: User,
                      now: dt.datetime) -> None:
    department = EMERGENCY_CATEGORIES.get(order.category, "engineering")
    service.change_status(session, order, "dispatched", user, now, department=department,
                          note="emergency: dispatched at once")
    escalation.alert_emergency(session, order, now)
    log.warning("emergency work order %s (%s) dispatched to %s at once", order.id,
                order.category, department)
