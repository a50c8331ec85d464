"""Complaint tiers enforced by the deadline sweeper, on SQLite and PostgreSQL, with
the tests' own clock: the director's notice, the 2-day answer, escalation that a
dispatch does not clear, the result told the same day, an enquiry's reply."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from workflow import orders as service
from models.complaints import Complaint, DeadlineFlag, EnquiryCallback
from models.notifications import Notification, NotificationDelivery
from tests.support.workflow_data import add_user
from workflow import complaint_steps, escalation
from workflow.deadline_sweep import sweep
from workflow.errors import StepRefused
from workflow.intake import ComplaintFields, Intake, register

ZONE = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
# 10:00 in the office on Wednesday 2 December 2026.
T0 = dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.fixture
def people(session):
    return {role: add_user(session, name, role)
            for role, name in (("agent", "alice"), ("supervisor", "sam"), ("admin", "ada"))}


def complaint_input(tier: str, **changes) -> service.OrderInput:
    values = dict(kind="complaint", category="service", complaint_tier=tier,
                  description="the guard at gate 2 shouted at my mother",
                  address="3-2-1201", contact_name="李梅", call_at=T0)
    values.update(changes)
    return service.OrderInput(**values)


def flags(session, order_id) -> set[tuple[str, str]]:
    return set(session.execute(select(DeadlineFlag.deadline, DeadlineFlag.flag)
                               .where(DeadlineFlag.work_order_id == order_id)).all())


def recipients(session, kind: str) -> set[str]:
    from models.console import User

    return set(session.scalars(
        select(User.username).join(NotificationDelivery, NotificationDelivery.user_id == User.id)
        .join(Notification).where(Notification.kind == kind)))


def test_major_complaint_director_told_today_and_answer_flagged_on_time(session, people):
    order, created = register(session, people["agent"], complaint_input("major"),
                              Intake(complaint=ComplaintFields(
                                  location="gate 2", respondent_person="guard Zhang",
                                  respondent_department="security",
                                  resident_request="an apology")),
                              "tok-major", T0, office_zone=ZONE)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    assert created and complaint.respondent_department == "security"
    # The director's notice goes out at intake, to the office's management.
    assert (complaint.escalation, complaint.escalated_at) == ("notified", T0)
    assert recipients(session, "complaint_to_director") == {"sam", "ada"}

    sweep(session, T0 + MINUTE, office_zone=ZONE)
    assert flags(session, order.id) == {("escalate", "due"), ("dispatch", "due")}
    service.change_status(session, order, "dispatched", people["agent"], T0 + 2 * MINUTE,
                          department="security")
    escalation.acknowledge(session, complaint, people["admin"], T0 + 3 * MINUTE)

    # The answer is due at 10:00 on Friday: not flagged on Thursday, due on Friday.
    thursday_evening = T0 + dt.timedelta(days=1, hours=12)   # 22:00 Thursday
    assert sweep(session, thursday_evening, office_zone=ZONE).flags == ()
    friday_morning = T0 + dt.timedelta(days=1, hours=14, minutes=30)  # 00:30 Friday
    report = sweep(session, friday_morning, office_zone=ZONE)
    assert [(f.deadline, f.flag) for f in report.flags] == [("answer", "due")]
    assert recipients(session, "deadline_due_answer") == {"sam", "alice"}
    assert sweep(session, T0 + dt.timedelta(days=2) - MINUTE, office_zone=ZONE).flags == ()
    missed = sweep(session, T0 + dt.timedelta(days=2, seconds=1), office_zone=ZONE)
    assert [(f.deadline, f.flag) for f in missed.flags] == [("answer", "missed")]
    assert sweep(session, T0 + dt.timedelta(days=2, hours=1), office_zone=ZONE).flags == ()
    assert ("escalate", "missed") not in flags(session, order.id)


def test_answer_given_in_time_is_never_missed(session, people):
    order, _ = register(session, people["agent"], complaint_input("major"), Intake(), "tok",
                        T0, office_zone=ZONE)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    complaint_steps.record_answer(session, complaint, people["agent"], T0 + dt.timedelta(hours=5))
    sweep(session, T0 + dt.timedelta(days=3), office_zone=ZONE)
    assert not {flag for flag in flags(session, order.id) if flag[0] == "answer"}
    with pytest.raises(StepRefused):
        complaint_steps.record_answer(session, complaint, people["agent"], T0 + dt.timedelta(days=3))


def test_dispatch_does_not_clear_the_escalation(session, people):
    order, _ = register(session, people["agent"], complaint_input("important"), Intake(),
                        "tok-imp", T0, office_zone=ZONE)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    assert recipients(session, "complaint_to_supervisor") == {"sam"}
    service.change_status(session, order, "dispatched", people["agent"], T0 + 2 * MINUTE,
                          department="security")
    assert complaint.escalation == "notified"
    report = sweep(session, T0 + dt.timedelta(minutes=61), office_zone=ZONE)
    assert ("escalate", "missed") in {(f.deadline, f.flag) for f in report.flags}
    assert complaint.escalation == "notified"
    with pytest.raises(StepRefused):
        escalation.acknowledge(session, complaint, people["agent"], T0 + dt.timedelta(minutes=62))
    escalation.acknowledge(session, complaint, people["supervisor"], T0 + dt.timedelta(minutes=62))
    assert complaint.escalation == "acknowledged"


def test_result_told_the_same_day_or_flagged(session, people):
    order, _ = register(session, people["agent"], complaint_input("minor"), Intake(), "tok-min",
                        T0, office_zone=ZONE)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    assert complaint.escalation == "none"
    complaint_steps.record_result(session, complaint, "the guard apologised", people["agent"],
                                  T0 + dt.timedelta(hours=3))
    sweep(session, T0 + dt.timedelta(hours=4), office_zone=ZONE)
    assert ("tell_resident", "due") in flags(session, order.id)
    # Midnight in the office passes with the resident not told: missed.
    sweep(session, T0 + dt.timedelta(hours=14, seconds=1), office_zone=ZONE)
    assert ("tell_resident", "missed") in flags(session, order.id)
    complaint_steps.tell_resident(session, complaint, "phone", people["agent"],
                                  T0 + dt.timedelta(hours=15))
    assert (complaint.resident_told_at, complaint.told_by_id) == (
        T0 + dt.timedelta(hours=15), people["agent"].id)


def test_enquiry_reply_time_agreed_and_call_back_flagged(session, people):
    reply_at = T0 + dt.timedelta(hours=4)
    order, _ = register(session, people["agent"], service.OrderInput(
        kind="enquiry", description="can I build a glass roof on the terrace?", call_at=T0),
        Intake(reply_due_at=reply_at), "tok-enq", T0, office_zone=ZONE)
    callback = session.scalar(select(EnquiryCallback).where(
        EnquiryCallback.work_order_id == order.id))
    assert (callback.reply_due_at, callback.assigned_to_id) == (reply_at, people["agent"].id)
    sweep(session, reply_at + MINUTE, office_zone=ZONE)
    assert flags(session, order.id) == {("reply", "due"), ("reply", "missed")}
    complaint_steps.reply_enquiry(session, callback, "needs the owners' committee's consent",
                                  people["agent"], reply_at + 2 * MINUTE)
    assert callback.replied_by_id == people["agent"].id


def test_a_pending_escalation_is_sent_by_the_sweeper(session, people):
    order, _ = register(session, people["agent"], complaint_input("major"), Intake(), "tok-p",
                        T0, office_zone=ZONE)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    complaint.escalation, complaint.escalated_at = "pending", None  # the intake's send failed
    session.commit()
    report = sweep(session, T0 + MINUTE, office_zone=ZONE)
    assert report.escalations_sent == (order.id,)
    assert complaint.escalation == "notified"
    assert len(session.scalars(select(Notification).where(
        Notification.kind == "complaint_to_director")).all()) == 2
