"""Intake on SQLite and PostgreSQL: an online message's 5-minute acceptance and
dispatch measured, an emergency dispatched at once with the supervisor alerted,
warranty free / paid / overridden, and bad input refused with nothing stored."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from workflow import orders as service
from models.console import User, WorkOrder
from models.notifications import Notification, NotificationDelivery
from tests.support.workflow_data import add_household, add_user
from workflow.channel_report import online_report
from workflow.deadline_sweep import sweep
from workflow.errors import BadIntake
from workflow.intake import Intake, register

ZONE = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.fixture
def agent(session):
    add_user(session, "sam", "supervisor")
    return add_user(session, "alice", "agent")


def repair(**changes) -> service.OrderInput:
    values = dict(kind="repair", category="plumbing", description="the kitchen tap drips",
                  address="3-2-1201", call_at=None)
    values.update(changes)
    return service.OrderInput(**values)


def orders(session) -> int:
    return session.scalar(select(func.count(WorkOrder.id)))


def test_online_acceptance_and_dispatch_measured(session, agent):
    quick, _ = register(session, agent, repair(), Intake(channel="wechat",
                        message_at=T0 - 4 * MINUTE), "tok-1", T0, office_zone=ZONE)
    assert (quick.accepted_at, quick.accept_due_at) == (T0, T0 + MINUTE)
    assert quick.dispatch_due_at == T0 + 5 * MINUTE
    service.change_status(session, quick, "dispatched", agent, T0 + 3 * MINUTE,
                          department="engineering")
    slow, _ = register(session, agent, repair(description="no hot water"),
                       Intake(channel="web", message_at=T0 - 7 * MINUTE), "tok-2", T0,
                       office_zone=ZONE)
    by_phone, _ = register(session, agent, repair(description="door lock"), Intake(), "tok-3",
                           T0, office_zone=ZONE)
    report = online_report(session, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1),
                           now=T0 + 20 * MINUTE)
    assert report.online_orders == 2
    accept = report.acceptance
    assert (accept.measured, accept.in_time, accept.late) == (2, 1, 1)
    assert (accept.median_s, accept.longest_s) == (330, 420)
    dispatch = report.dispatch
    # The slow one is still not dispatched 20 minutes after acceptance: late.
    assert (dispatch.measured, dispatch.in_time, dispatch.late, dispatch.longest_s) == (1, 1, 1, 180)
    assert report.by_channel["wechat"] == 1 and report.by_channel["phone"] == 1
    flagged = sweep(session, T0 + 20 * MINUTE, office_zone=ZONE).flags
    assert {(f.work_order_id, f.deadline, f.flag) for f in flagged if f.flag == "missed"} == {
        (slow.id, "accept", "missed"), (slow.id, "dispatch", "missed"),
        (by_phone.id, "dispatch", "missed")}  # 3 minutes after the call (seed 003)


def test_online_order_without_its_message_time_is_refused(session, agent):
    with pytest.raises(BadIntake, match="time it was sent"):
        register(session, agent, repair(), Intake(channel="qq"), "tok", T0, office_zone=ZONE)
    with pytest.raises(BadIntake, match="future"):
        register(session, agent, repair(), Intake(channel="qq", message_at=T0 + MINUTE),
                 "tok", T0, office_zone=ZONE)
    with pytest.raises(BadIntake, match="channel"):
        register(session, agent, repair(), Intake(channel="fax"), "tok", T0, office_zone=ZONE)
    assert orders(session) == 0


def test_emergency_dispatched_at_once_and_supervisor_alerted(session, agent):
    order, created = register(session, agent, repair(category="gas_smell",
                                                     description="gas smell on the stairs"),
                              Intake(urgency="normal"), "tok-gas", T0, office_zone=ZONE)
    assert created and order.urgency == "emergency"
    assert (order.status, order.department, order.dispatched_at) == ("dispatched", "engineering", T0)
    assert order.call_to_dispatch_s == 0
    alerted = session.scalars(
        select(NotificationDelivery.user_id).join(Notification)
        .where(Notification.kind == "emergency_order")).all()
    assert {session.get(User, user_id).username for user_id in alerted} == {"sam"}
    ordinary, _ = register(session, agent, repair(), Intake(urgency="urgent"), "tok-tap", T0,
                           office_zone=ZONE)
    assert (ordinary.urgency, ordinary.status) == ("urgent", "new")


@pytest.mark.parametrize("handover, category, agent_paid, reason, status, paid", [
    (dt.date(2025, 6, 1), "plumbing", True, "", "in_warranty", False),      # 2 years: free
    (dt.date(2023, 6, 1), "plumbing", False, "", "expired", True),          # after: paid
    (dt.date(2023, 6, 1), "leak", False, "", "in_warranty", False),         # leaks: 5 years
    (dt.date(2023, 6, 1), "plumbing", False, "our own repair of May failed", "expired", False),
    (dt.date(2025, 6, 1), "plumbing", True, "damage by the tenant's renovation", "in_warranty", True),
    (None, "plumbing", True, "", "no_handover_date", True),                 # the agent decides
])
def test_warranty_free_paid_or_overridden(session, agent, handover, category, agent_paid,
                                          reason, status, paid):
    household = add_household(session, "H1", handover)
    order, _ = register(session, agent, repair(category=category, household_id=household.id,
                                               paid=agent_paid),
                        Intake(warranty_override_reason=reason), "tok-w", T0, office_zone=ZONE)
    session.expire_all()
    stored = session.get(WorkOrder, order.id)
    assert (stored.warranty_status, stored.paid, stored.warranty_override_reason) == (
        status, paid, reason)


def test_overlong_override_reason_is_refused_and_nothing_stored(session, agent):
    household = add_household(session, "H2", dt.date(2025, 6, 1))
    with pytest.raises(BadIntake, match="at most 200"):
        register(session, agent, repair(household_id=household.id),
                 Intake(warranty_override_reason="x" * 201), "tok", T0, office_zone=ZONE)
    session.rollback()
    assert orders(session) == 0
