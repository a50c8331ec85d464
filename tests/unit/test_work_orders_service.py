"""Work-order rules on both databases: idempotent creation, transitions, follow-ups."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from workflow import orders as service
from workflow.errors import IllegalTransition, InvalidOrder
from models.console import FollowUp, User, WorkOrder, WorkOrderEvent

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")  # the default office_timezone

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.fixture
def user(session):
    user = User(username="alice", password_hash="x", role="agent", phone_interface="PJSIP/8001")
    session.add(user)
    session.commit()
    return user


def repair(**changes) -> service.OrderInput:
    values = dict(kind="repair", category="plumbing", description="kitchen tap leaks",
                  address="3-2-1201", callid="1700000000.42", household_id=7, call_at=T0)
    values.update(changes)
    return service.OrderInput(**values)


def test_same_token_twice_makes_one_order(session, user):
    first, created = service.create_order(session, user, repair(), "tok-1", T0, office_zone=OFFICE_ZONE)
    again, created_again = service.create_order(session, user, repair(), "tok-1", T0, office_zone=OFFICE_ZONE)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert session.scalar(select(WorkOrder).where(WorkOrder.callid == "1700000000.42")).id == first.id
    assert len(session.scalars(select(WorkOrder)).all()) == 1


def test_creation_stores_deadlines_and_first_history_entry(session, user):
    order, _ = service.create_order(session, user, repair(), "tok", T0 + dt.timedelta(seconds=50), office_zone=OFFICE_ZONE)
    assert order.dispatch_due_at == T0 + dt.timedelta(minutes=3)
    assert [(e.from_status, e.to_status, e.user_id) for e in order.events] == [(None, "new", user.id)]


def test_full_life_with_history_and_call_to_dispatch_time(session, user):
    order, _ = service.create_order(session, user, repair(), "tok", T0, office_zone=OFFICE_ZONE)
    service.change_status(session, order, "dispatched", user, T0 + dt.timedelta(seconds=95),
                          department="engineering")
    assert (order.department, order.call_to_dispatch_s) == ("engineering", 95)
    service.change_status(session, order, "in_progress", user, T0 + dt.timedelta(minutes=30))
    done_at = T0 + dt.timedelta(hours=3)
    service.change_status(session, order, "done", user, done_at)
    follow_up = session.scalar(select(FollowUp).where(FollowUp.work_order_id == order.id))
    assert follow_up.due_at == done_at + dt.timedelta(days=2)
    service.record_follow_up(session, follow_up, user, "reached", 5, "fixed",
                             done_at + dt.timedelta(hours=2))
    assert order.status == "followed_up"
    service.change_status(session, order, "closed", user, done_at + dt.timedelta(hours=3))
    steps = session.execute(select(WorkOrderEvent.from_status, WorkOrderEvent.to_status)
                            .where(WorkOrderEvent.work_order_id == order.id)
                            .order_by(WorkOrderEvent.id)).all()
    assert [tuple(s) for s in steps] == [
        (None, "new"), ("new", "dispatched"), ("dispatched", "in_progress"),
        ("in_progress", "done"), ("done", "followed_up"), ("followed_up", "closed")]


@pytest.mark.parametrize("path, illegal", [
    ([], "done"), ([], "closed"), ([], "in_progress"),
    (["dispatched"], "closed"), (["dispatched", "in_progress", "done"], "closed"),
    (["dispatched", "in_progress", "done"], "new"),
])
def test_illegal_transitions_are_refused_and_nothing_changes(session, user, path, illegal):
    order, _ = service.create_order(session, user, repair(), "tok", T0, office_zone=OFFICE_ZONE)
    for step in path:
        service.change_status(session, order, step, user, T0, department="engineering")
    before = order.status
    with pytest.raises(IllegalTransition):
        service.change_status(session, order, illegal, user, T0)
    session.rollback()
    assert session.get(WorkOrder, order.id).status == before


def test_dispatch_needs_a_known_department(session, user):
    order, _ = service.create_order(session, user, repair(), "tok", T0, office_zone=OFFICE_ZONE)
    with pytest.raises(InvalidOrder, match="department"):
        service.change_status(session, order, "dispatched", user, T0, department="kitchen")


def test_enquiry_closes_directly(session, user):
    order, _ = service.create_order(session, user, repair(kind="enquiry", category="other"),
                                    "tok", T0, office_zone=OFFICE_ZONE)
    service.change_status(session, order, "closed", user, T0)
    assert order.status == "closed" and order.dispatch_due_at is None


def test_complaint_tier_rules(session, user):
    with pytest.raises(InvalidOrder, match="tier"):
        service.create_order(session, user, repair(kind="complaint", category="noise"), "t1", T0, office_zone=OFFICE_ZONE)
    with pytest.raises(InvalidOrder, match="only complaints"):
        service.create_order(session, user, repair(complaint_tier="major"), "t2", T0, office_zone=OFFICE_ZONE)
    order, _ = service.create_order(
        session, user, repair(kind="complaint", category="service", complaint_tier="important"),
        "t3", T0, office_zone=OFFICE_ZONE)
    assert (order.escalate_to, order.resolve_due_at) == ("supervisor", T0 + dt.timedelta(days=3))


def test_follow_up_stats_rate_and_satisfaction(session, user):
    for number, score in enumerate([5, 3, None]):
        order, _ = service.create_order(session, user, repair(), f"tok{number}", T0, office_zone=OFFICE_ZONE)
        for step in ("dispatched", "in_progress", "done"):
            service.change_status(session, order, step, user, T0, department="engineering")
        if score is not None:
            service.record_follow_up(session, order.follow_up, user, "reached", score, "", T0)
    stats = service.follow_up_stats(session, T0 + dt.timedelta(days=3))
    assert (stats.owed, stats.done, stats.overdue) == (3, 2, 1)
    assert stats.rate == pytest.approx(2 / 3)
    assert stats.mean_satisfaction == pytest.approx(4.0)
    assert stats.satisfied_share == pytest.approx(0.5)


def test_reached_follow_up_needs_a_score(session, user):
    order, _ = service.create_order(session, user, repair(), "tok", T0, office_zone=OFFICE_ZONE)
    for step in ("dispatched", "in_progress", "done"):
        service.change_status(session, order, step, user, T0, department="engineering")
    with pytest.raises(InvalidOrder, match="satisfaction"):
        service.record_follow_up(session, order.follow_up, user, "reached", None, "", T0)
