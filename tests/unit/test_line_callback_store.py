"""Keep-my-place callback requests on SQLite and PostgreSQL: booked once per call,
claimed once per attempt, each attempt ended once, two retries then listed for an
agent; the four figures from the database equal queue_log's for the same path."""
from __future__ import annotations

import datetime as dt

import pytest

from call_queue.stats.queries import Period
from call_queue.stats.queue_log_check import calls_in
from line_callback import store
from line_callback.errors import LineCallbackError
from line_callback.figures import database_figures, queue_log_figures
from line_callback.policy import Booking, RetryPolicy
from models.callbacks import lost_call_condition
from models.calls import Call
from models.console import User
from models.line_callbacks import CallbackRequest
from telephony.queue_log import parse_queue_log

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, spacing_s=60)


def booking(callid="1764810000.5", joined_s=0) -> Booking:
    return Booking(callid, "13900170003", "hotline-line", T0 + dt.timedelta(seconds=joined_s), 3)


def test_a_call_books_one_request_and_each_attempt_is_claimed_once(session_factory):
    with session_factory() as session:
        first = store.book(session, booking(), None, "main", T0)
        again = store.book(session, booking(), None, "main", T0)
        session.commit()
        assert first.id == again.id
        claims = store.claim_due(session, "main", T0, 10)
        assert [(c.number, c.exit_position, c.original_callid) for c in claims] == [
            (1, 3, "1764810000.5")]
        assert store.claim_due(session, "main", T0, 10) == []  # queued: nothing due
        assert store.placeholder_joins(session, "main") == {claims[0].callid: T0.timestamp()}


def test_two_retries_at_the_head_then_listed_for_an_agent(session_factory):
    with session_factory() as session:
        request_id = store.book(session, booking(), None, "main", T0).id
        session.commit()
        now = T0
        for number in (1, 2, 3):
            (claim,) = store.claim_due(session, "main", now, 10)
            assert claim.number == number and claim.exit_position == (3 if number == 1 else 1)
            ended = store.end_attempt(session, claim.attempt_id, "no_answer", "NOANSWER",
                                      POLICY, now)
            # The other half's report of the same attempt changes nothing.
            assert store.end_attempt(session, claim.attempt_id, "no_agent", "", POLICY,
                                     now) is None
            assert store.claim_due(session, "main", now, 10) == []  # the spacing first
            now += dt.timedelta(seconds=61)
        assert ended.state == "failed"
        assert [r.id for r in store.failed_requests(session)] == [request_id]
        agent = User(username="ann", role="agent", password_hash="-")
        session.add(agent)
        session.commit()
        with pytest.raises(LineCallbackError, match="longer than 200"):
            store.close(session, request_id, agent.id, "x" * 201, now)
        assert store.close(session, request_id, agent.id, "打过了", now).state == "closed"
        with pytest.raises(LineCallbackError, match="closed, not failed"):
            store.close(session, request_id, agent.id, "", now)


def test_a_reached_resident_completes_the_request(session_factory):
    with session_factory() as session:
        store.book(session, booking(), None, "main", T0)
        session.commit()
        (claim,) = store.claim_due(session, "main", T0, 10)
        request = store.end_attempt(session, claim.attempt_id, "reached", "ANSWER", POLICY, T0)
        assert (request.state, request.ended_at is not None) == ("completed", True)
        with pytest.raises(LineCallbackError):
            store.end_attempt(session, 999_999, "reached", "ANSWER", POLICY, T0)


def test_a_placeholder_left_without_an_agent_is_never_a_lost_call(session_factory):
    with session_factory() as session:
        store.book(session, booking(), None, "main", T0)
        session.commit()
        (claim,) = store.claim_due(session, "main", T0, 10)
        session.add_all([Call(callid=claim.callid, queue="hotline-line", outcome="timeout",
                              wait_s=300, entered_queue_at=T0),
                         Call(callid="1764810000.9", queue="hotline-line", outcome="timeout",
                              wait_s=300, entered_queue_at=T0)])
        session.commit()
        lost = session.query(Call.callid).filter(lost_call_condition(20)).all()
        assert [row.callid for row in lost] == ["1764810000.9"]


QUEUE_LOG = """\
{t0}|{orig}|hotline-line|NONE|ENTERQUEUE||13900170003|1
{t8}|{orig}|hotline-line|NONE|EXITWITHKEY|1|3|3|8
{t0}|{long}|hotline-line|NONE|ENTERQUEUE||13900170004|1
{t8}|{long}|hotline-line|ann|CONNECT|8|1.1|1
{t9}|{long}|hotline-line|ann|COMPLETECALLER|8|1|1
{t9}|{ph}|hotline-line|NONE|CALLBACK|{orig}|1|2
{t9}|{ph}|hotline-line|NONE|ENTERQUEUE||13900170003|1
{t10}|{ph}|hotline-line|ann|CONNECT|1|9.9|1
{t12}|{ph}|hotline-line|NONE|CALLBACKDIAL|ANSWER|{orig}|1
{t12}|{ph}|hotline-line|ann|COMPLETEAGENT|1|2|1
"""


def test_the_four_figures_agree_with_queue_log(session_factory):
    stamp = T0.timestamp()
    orig, long_wait = f"{int(stamp)}.5", f"{int(stamp)}.6"
    with session_factory() as session:
        store.book(session, booking(orig), None, "main", T0)
        session.commit()
        (claim,) = store.claim_due(session, "main", T0, 10)
        store.end_attempt(session, claim.attempt_id, "reached", "ANSWER", POLICY, T0)
        session.add_all([
            Call(callid=orig, queue="hotline-line", outcome="exit_key", wait_s=8,
                 entered_queue_at=T0),
            Call(callid=long_wait, queue="hotline-line", outcome="answered", wait_s=8,
                 entered_queue_at=T0, answered_at=T0),
            Call(callid=claim.callid, queue="hotline-line", outcome="answered", wait_s=1,
                 entered_queue_at=T0 + dt.timedelta(seconds=9), answered_at=T0)])
        session.commit()
        period = Period(T0, T0 + dt.timedelta(minutes=1), "day")
        database = database_figures(session, period, offer_s=5)
    text = QUEUE_LOG.format(orig=orig, long=long_wait, ph=claim.callid,
                            **{f"t{n}": stamp + n for n in (0, 8, 9, 10, 12)})
    entries = list(parse_queue_log(text.splitlines()))
    logged = queue_log_figures(entries, calls_in(entries), offer_s=5)
    assert database == logged
    assert (logged.offered, logged.accepted, logged.completed, logged.failed) == (2, 1, 1, 0)
    with session_factory() as session:
        assert session.query(CallbackRequest).one().state == "completed"
