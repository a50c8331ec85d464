"""Follow-ups that never dead-end (workflow.followups): the retry slot, the unhappy
resident, three unreachable attempts, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from workflow import orders as service
from models.console import FollowUp, User, WorkOrderEvent
from models.notifications import NotificationDelivery
from workflow import followups as rules
from workflow.errors import StepRefused

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """3 December 2026 is a Thursday; 5 and 6 are the weekend."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("attempt", "expected"), [
    (local(3, 8, 0), local(3, 14, 0)),     # before 09:00: 09:00 is the same morning
    (local(3, 8, 59), local(3, 14, 0)),
    (local(3, 9, 0), local(3, 14, 0)),     # at the slot itself: the next half-day
    (local(3, 11, 59), local(3, 14, 0)),
    (local(3, 12, 0), local(4, 9, 0)),     # noon is afternoon: 14:00 is the same half-day
    (local(3, 13, 59), local(4, 9, 0)),
    (local(3, 14, 0), local(4, 9, 0)),
    (local(3, 23, 59), local(4, 9, 0)),
    (local(4, 0, 0), local(4, 14, 0)),     # after midnight is morning, as 08:00 is
    (local(4, 16, 0), local(5, 9, 0)),     # Friday afternoon -> Saturday morning
])
def test_next_attempt_is_the_next_slot_on_another_half_day(attempt, expected):
    slot = rules.next_attempt_at(attempt.astimezone(UTC), SHANGHAI)
    assert slot == expected
    assert slot.tzinfo is not None and slot.utcoffset() == dt.timedelta(0)


def test_the_slot_is_office_time_not_utc():
    attempt = dt.datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # 13:00 in Shanghai: afternoon
    assert rules.next_attempt_at(attempt, SHANGHAI) == dt.datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    assert rules.next_attempt_at(attempt, ZoneInfo("UTC")) == dt.datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        rules.next_attempt_at(dt.datetime(2026, 12, 3, 10, 0), SHANGHAI)


@pytest.mark.parametrize(("satisfaction", "solved", "unhappy"), [
    (1, None, True), (2, None, True), (3, None, False), (5, None, False),
    (5, False, True), (4, True, False), (None, None, False),
])
def test_unhappy_is_a_low_score_or_not_solved(satisfaction, solved, unhappy):
    assert rules.is_unhappy(satisfaction, solved) is unhappy


T0 = local(3, 10, 0).astimezone(UTC)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.fixture
def people(session):
    agent = User(username="alice", password_hash="x", role="agent")
    boss = User(username="sam", password_hash="x", role="supervisor")
    session.add_all([agent, boss])
    session.commit()
    return agent, boss


def done_repair(session, user, now=T0):
    order, _ = service.create_order(session, user, service.OrderInput(
        kind="repair", category="plumbing", description="tap leaks", call_at=now),
        f"tok-{now.timestamp()}", now, office_zone=SHANGHAI)
    for step in ("dispatched", "in_progress", "done"):
        service.change_status(session, order, step, user, now, department="engineering")
    return order


def test_three_unreachable_attempts_then_the_supervisor(session, people):
    agent, boss = people
    order = done_repair(session, agent)
    first = order.follow_up
    outcome = rules.record_attempt(session, first, agent, "unreachable", None, None, "",
                                   T0, office_zone=SHANGHAI)
    second = outcome.next_attempt
    assert (second.attempt, second.offered_at, second.result) == (2, local(3, 14), "pending")
    with pytest.raises(StepRefused):  # not before its slot
        rules.record_attempt(session, second, agent, "unreachable", None, None, "",
                             local(3, 13, 59).astimezone(UTC), office_zone=SHANGHAI)
    session.rollback()
    third = rules.record_attempt(session, second, agent, "unreachable", None, None, "",
                                 local(3, 14, 5).astimezone(UTC),
                                 office_zone=SHANGHAI).next_attempt
    assert (third.attempt, third.offered_at) == (3, local(4, 9))
    assert rules.needing_supervisor(session) == []
    last = rules.record_attempt(session, third, agent, "unreachable", None, None, "",
                                local(4, 9, 30).astimezone(UTC), office_zone=SHANGHAI)
    assert last.needs_supervisor and last.next_attempt is None
    assert [item.order.id for item in rules.needing_supervisor(session)] == [order.id]
    deliveries = session.scalars(select(NotificationDelivery)).all()
    assert [d.user_id for d in deliveries] == [boss.id]
    assert order.status == "done"
    stats = service.follow_up_stats(session, local(4, 10).astimezone(UTC))
    assert (stats.owed, stats.done, stats.rate) == (1, 0, 0.0)
    with pytest.raises(StepRefused):
        rules.give_another_round(session, third, agent, local(4, 10).astimezone(UTC))
    again = rules.give_another_round(session, third, boss, local(4, 10).astimezone(UTC))
    assert (again.attempt, again.result) == (1, "pending")
    assert rules.needing_supervisor(session) == []


def test_an_unhappy_resident_reopens_the_order_and_it_is_followed_up_again(session, people):
    agent, _boss = people
    order = done_repair(session, agent)
    outcome = rules.record_attempt(session, order.follow_up, agent, "reached", 4, False,
                                   "still drips", T0, office_zone=SHANGHAI)
    assert outcome.reopened and order.status == "in_progress"
    event = session.scalars(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == order.id).order_by(WorkOrderEvent.id.desc())).first()
    assert (event.from_status, event.to_status, event.user_id, event.at) == (
        "done", "in_progress", agent.id, T0)
    assert "still drips" in event.note and "not solved" in event.note
    later = T0 + dt.timedelta(days=1)
    service.change_status(session, order, "done", agent, later)
    session.refresh(order)
    assert [(f.attempt, f.result) for f in order.follow_ups] == [(1, "reached"), (1, "pending")]
    rules.record_attempt(session, order.follow_up, agent, "reached", 5, True, "dry", later,
                         office_zone=SHANGHAI)
    assert order.status == "followed_up"
    assert order.follow_ups[-1].problem_solved is True


def test_a_low_score_reopens_and_a_recorded_attempt_cannot_be_recorded_again(session, people):
    agent, _boss = people
    order = done_repair(session, agent)
    first = order.follow_up
    rules.record_attempt(session, first, agent, "reached", 2, None, "", T0, office_zone=SHANGHAI)
    assert order.status == "in_progress"
    with pytest.raises(StepRefused):
        rules.record_attempt(session, first, agent, "reached", 5, None, "", T0,
                             office_zone=SHANGHAI)
