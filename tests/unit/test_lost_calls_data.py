"""workflow.abandoned on SQLite and PostgreSQL: the lost calls of a day, their
status from the attempts and later calls, and limits PostgreSQL enforces."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import DataError, IntegrityError

from models.callbacks import CallbackAttempt
from models.calls import Call
from models.console import User
from workflow import abandoned as rules
from workflow.errors import WorkflowError

UTC = dt.timezone.utc
START = dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # 2026-12-03 00:00 in Shanghai


def _call(callid, minutes, outcome, wait_s, number, answered=False):
    entered = START + dt.timedelta(minutes=minutes)
    return Call(callid=callid, queue="hotline", caller_number=number, entered_queue_at=entered,
                wait_s=wait_s, outcome=outcome,
                answered_at=entered + dt.timedelta(seconds=wait_s) if answered else None)


@pytest.fixture
def seeded(session_factory):
    with session_factory() as session:
        agent = User(username="alice", role="agent", password_hash="x", display_name="Alice")
        session.add(agent)
        session.add_all([
            _call("a", 1, "abandoned", 40, "13800000001"), _call("b", 2, "abandoned", 20, "13800000002"),
            _call("c", 3, "exit_empty", 0, "13800000003"), _call("d", 4, "abandoned", 50, "13800000004"),
            _call("e", 30, "answered", 5, "13800000004", answered=True),
            _call("late", 60 * 24 + 1, "abandoned", 90, "13800000001")])
        session.commit()
    return session_factory


def test_status_from_attempts_and_later_calls(seeded):
    with seeded() as session:
        agent = session.query(User).one()
        calls = rules.lost_calls_between(session, START, START + dt.timedelta(days=1), 20)
        assert [call.callid for call in calls] == ["a", "c", "d"]  # b: 20 s is a short abandon
        attempt = rules.place_callback(session, calls[0], agent, START + dt.timedelta(hours=1))
        rules.record_result(session, attempt, "reached", "ok", START + dt.timedelta(hours=1))
        session.commit()
        lost = rules.with_status(session, calls, {})
        assert {item.call.callid: item.status for item in lost} == {
            "a": "recovered", "c": "waiting", "d": "called_again"}
        assert rules.recovery(lost) == rules.Recovery(lost=3, recovered=1, called_again=1, open=1)
        with pytest.raises(WorkflowError):
            rules.lost_call(session, "e", 20)


def test_the_database_refuses_an_unknown_result_and_an_over_long_note(seeded, db_url):
    with seeded() as session:
        user_id = session.query(User.id).scalar()
        session.add(CallbackAttempt(callid="a", user_id=user_id, number="1", result="teleported"))
        with pytest.raises(IntegrityError):
            session.commit()
    if db_url.startswith("postgresql"):
        with seeded() as session:
            session.add(CallbackAttempt(callid="a", user_id=user_id, number="1", notes="长" * 501))
            with pytest.raises(DataError):
                session.commit()


def test_the_statistics_count_lost_calls_and_those_recovered(seeded):
    from call_queue.stats import report as stats
    from tests.support.settings import make_settings

    settings = make_settings(service_level_s=20, short_abandon_s=20, ring_cadence_s=5.0)
    with seeded() as session:
        agent = session.query(User).one()
        lost = rules.lost_calls_between(session, START, START + dt.timedelta(days=1), 20)
        for call, result in zip(lost, ("reached", "no_answer")):
            rules.record_result(session, rules.place_callback(session, call, agent, START), result, "", START)
        session.commit()
        period = stats.make_period(START, START + dt.timedelta(days=1), "day")
        total = stats.flat_values(stats.compute_stats(session, period, settings)["total"])
    # a (reached), c and d are lost; b is a short abandon, e answered
    assert (total["lost"], total["lost_recovered"]) == (3, 1)
    assert total["recovery_rate"] == pytest.approx(1 / 3)
