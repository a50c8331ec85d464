"""Every statistics measure on a small hand-made data set with known answers,
on SQLite and PostgreSQL (db_url runs each test on both)."""
from __future__ import annotations

import datetime as dt

import pytest

from call_queue.stats import report as stats
from call_queue.errors import StatsError
from models.calls import Call, RingAttempt
from models.console import FollowUp, User, WorkOrder
from models.ivr import IvrSession
from models.supervision import AgentStateSpan, QaScore
from tests.support.settings import make_settings

UTC = dt.timezone.utc
A, B = "PJSIP/8001", "PJSIP/8002"


# The figures below are worked out for these thresholds (not the defaults' 20 s abandon).
STATS_SETTINGS = make_settings(service_level_s=20, short_abandon_s=5, ring_cadence_s=5.0,
                               fcr_window_days=7, wrapup_s=30)


def at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def call(callid, when, outcome, wait, agent=None, ring=None, rings=None, talk=None, hold=0,
         wrap=None, queue="hotline", hung_up_by=None):
    answered = outcome in ("answered", "transferred")
    return Call(callid=callid, queue=queue, entered_queue_at=when, outcome=outcome, wait_s=wait,
                answered_at=when + dt.timedelta(seconds=wait) if answered else None,
                agent_interface=agent, ring_s=ring, rings=rings, talk_s=talk,
                hold_s=hold if answered else None, wrapup_s=wrap, hung_up_by=hung_up_by)


def make_calls():
    return [
        call("c1", at(2, 9, 10), "answered", 10, A, 4, 1, 300, 0, 30),
        call("c2", at(2, 9, 20), "answered", 25, B, 5, 1, 200, 40, 50),
        call("c3", at(2, 9, 40), "abandoned", 30),
        call("c4", at(2, 9, 45), "abandoned", 3),
        call("c5", at(2, 10, 5), "timeout", 60),
        call("c6", at(2, 10, 15), "transferred", 2, A, 2, 1, 100, 0, 20, hung_up_by="transfer"),
        call("c7", at(3, 14, 0), "answered", 40, B, 15, 3, 400, 0, 40),
        call("c8", at(3, 14, 10), "answered", 5, A, 5, 1, 100, 0, 10, queue="other"),
        call("c9", at(10, 8, 0), "abandoned", 15),
        call("c0", dt.datetime(2026, 10, 31, 12, tzinfo=UTC), "answered", 1, A, 1, 1, 50, 0, 5),
    ]


def span(interface, state, start, end):
    return AgentStateSpan(interface=interface, state=state, started_at=start, ended_at=end)


def order(oid, kind, household, when, user, dispatch_s=None, due=None, done=None):
    return WorkOrder(id=oid, idempotency_token=f"t{oid}", kind=kind, description="d",
                     household_id=household, call_at=when, created_by_id=user,
                     call_to_dispatch_s=dispatch_s, resolve_due_at=due, done_at=done)


def follow_up(order_id, due, result, satisfaction=None):
    return FollowUp(work_order_id=order_id, target_at=due, due_at=due, rule="r", result=result,
                    satisfaction=satisfaction)


@pytest.fixture
def loaded(session_factory):
    with session_factory.begin() as session:
        session.add_all(make_calls())
    with session_factory.begin() as session:
        session.add_all([
            RingAttempt(callid="c1", attempt_key="k1", interface=B, started_at=at(2, 9, 10),
                        outcome="no_answer", ring_ms=15000),
            RingAttempt(callid="c1", attempt_key="k2", interface=A, started_at=at(2, 9, 10),
                        outcome="answered", ring_ms=4000),
            span(A, "idle", at(2, 9), at(2, 9, 30)), span(A, "talking", at(2, 9, 30), at(2, 10)),
            span(A, "paused", at(2, 10), at(2, 10, 30)),
            span(A, "unavailable", at(2, 10, 30), at(2, 11)),
            span(B, "talking", dt.datetime(2026, 10, 31, 23, tzinfo=UTC), at(1, 1)),
            span(B, "idle", at(1, 1), at(1, 2)),
            User(id=1, username="a", password_hash="x", phone_interface=A),
            User(id=2, username="b", password_hash="x", phone_interface=B),
        ])
    with session_factory.begin() as session:
        session.add_all([
            order(1, "repair", 1, at(2, 9, 12), 1, dispatch_s=120),
            order(2, "repair", 1, at(5, 10), 2, dispatch_s=200),
            order(3, "complaint", 2, at(3, 14, 5), 2, due=at(5, 0), done=at(4, 0)),
            order(4, "complaint", 3, at(10, 9), 1, due=at(12, 0), done=at(13, 0)),
            order(5, "enquiry", None, at(10, 9, 30), 1),
            order(6, "repair", 2, at(20, 9), 1),
        ])
    with session_factory.begin() as session:
        session.add_all([
            # Order 3's resident was unreachable once, then reached: one follow-up, done.
            follow_up(1, at(4, 0), "reached", 5), follow_up(3, at(5, 0), "unreachable"),
            follow_up(3, at(6, 0), "reached", 3),
            follow_up(4, at(15, 0), "pending"),
            follow_up(2, dt.datetime(2026, 12, 10, tzinfo=UTC), "pending"),
            IvrSession(callid="i1", started_at=at(2, 8), outcome="self_served"),
            IvrSession(callid="i2", started_at=at(2, 8), outcome="to_agent"),
            IvrSession(callid="i3", started_at=at(2, 8), outcome="hung_up"),
            IvrSession(callid="i4", started_at=at(2, 8), outcome="in_progress"),
            QaScore(callid="c1", agent_interface=A, total=90, scored_at=at(5, 9)),
            QaScore(callid="c6", agent_interface=A, total=80, scored_at=at(6, 9)),
            QaScore(callid="c7", agent_interface=B, total=70, scored_at=at(7, 9)),
            QaScore(callid="c0", agent_interface=A, total=70,
                    scored_at=dt.datetime(2026, 10, 31, 13, tzinfo=UTC)),
        ])
    return session_factory


def report_for(session_factory, by="day", **filters):
    period = stats.make_period(at(1, 0), dt.datetime(2026, 12, 1, tzinfo=UTC), by, **filters)
    with session_factory() as session:
        return stats.compute_stats(session, period, STATS_SETTINGS)


def test_total_call_measures(loaded):
    total = stats.flat_values(report_for(loaded)["total"])
    expected = {
        "received": 9, "offered": 8, "answered": 5, "abandoned": 2, "short_abandoned": 1,
        "unanswered_other": 1, "answered_rate": 5 / 8, "abandon_rate": 2 / 8,
        "service_level": 3 / 8, "asterisk_sl": 3 / 5, "asterisk_sl2": 5 / 9,
        "asa_s": 82 / 5, "avg_queue_s": 25, "avg_abandon_s": 22.5, "avg_rings": 1.4,
        "within_3_rings_rate": 1.0, "avg_ring_s": 6.2, "avg_talk_s": 220, "avg_hold_s": 8,
        "avg_wrapup_s": 30, "avg_handle_s": 250, "transfer_rate": 0.2,
        "queue_placement_rate": 7 / 9, "ring_no_answer": 1,
    }
    assert {key: total[key] for key in expected} == pytest.approx(expected)


def test_agent_time_orders_follow_ups_and_qa(loaded):
    total = stats.flat_values(report_for(loaded)["total"])
    expected = {
        "occupancy": 0.5, "logged_in_s": 12600, "calls_per_agent_hour": 5 / 3.5,
        "fcr_rate": 0.8, "dispatch_3min_rate": 1 / 3, "complaint_deadline_rate": 0.5,
        "follow_up_rate": 2 / 3, "satisfaction_rate": 0.5, "qa_scored": 3,
        "ivr_containment_rate": 1 / 3,
    }
    assert {key: total[key] for key in expected} == pytest.approx(expected)


def test_counts_are_whole_numbers_on_both_databases(loaded):
    total = stats.flat_values(report_for(loaded)["total"])
    assert all(type(total[key]) is int for key in ("received", "offered", "answered", "qa_scored"))


def test_norms_are_judged(loaded):
    total = report_for(loaded)["total"]
    assert total["service_level"]["ok"] is False  # 37.5 % against 80 %
    assert total["asa_s"]["ok"] is True  # 16.4 s against at most 20 s
    assert total["received"]["ok"] is None  # no norm
    assert total["qa_scored"]["ok"] is None  # 4-5 is a norm per agent, not for the centre
    agents = {row["agent"]: row for row in report_for(loaded)["by_agent"]}
    assert agents[A]["qa_scored"]["ok"] is False  # 2 scores against 4-5


def test_buckets_day_week_month_halfhour(loaded):
    def counts(by):
        return {row["bucket"]: stats.flat_values(row)["received"]
                for row in report_for(loaded, by)["rows"] if stats.flat_values(row)["received"]}
    assert counts("day") == {"2026-11-02": 6, "2026-11-03": 2, "2026-11-10": 1}
    assert counts("week") == {"2026-11-02": 8, "2026-11-09": 1}
    assert counts("month") == {"2026-11-01": 9}
    assert counts("halfhour") == {"2026-11-02 09:00": 2, "2026-11-02 09:30": 2,
                                  "2026-11-02 10:00": 2, "2026-11-03 14:00": 2,
                                  "2026-11-10 08:00": 1}


def test_agent_span_before_the_period_lands_in_its_first_bucket(loaded):
    rows = {row["bucket"]: stats.flat_values(row) for row in report_for(loaded)["rows"]}
    assert "2026-10-31" not in rows
    assert rows["2026-11-01"]["logged_in_s"] == pytest.approx(7200)


def test_per_queue_and_per_agent(loaded):
    report = report_for(loaded)
    queues = {row["queue"]: stats.flat_values(row) for row in report["by_queue"]}
    assert (queues["hotline"]["received"], queues["other"]["answered"]) == (8, 1)
    agents = {row["agent"]: stats.flat_values(row) for row in report["by_agent"]}
    assert (agents[A]["answered"], agents[B]["answered"]) == (3, 2)
    assert agents[A]["avg_talk_s"] == pytest.approx(500 / 3)
    assert agents[A]["fcr_rate"] == pytest.approx(2 / 3)
    assert agents[B]["fcr_rate"] == pytest.approx(1.0)
    assert (agents[A]["qa_scored"], agents[B]["qa_scored"]) == (2, 1)
    assert agents[B]["ring_no_answer"] == 1
    assert agents[A]["occupancy"] == pytest.approx(0.5)


def test_filters(loaded):
    only_other = stats.flat_values(report_for(loaded, queue="other")["total"])
    assert (only_other["received"], only_other["answered"]) == (1, 1)
    only_b = stats.flat_values(report_for(loaded, agent=B)["total"])
    assert (only_b["answered"], only_b["avg_talk_s"]) == (2, 300)


def test_empty_period_gives_no_rates(session_factory):
    total = stats.flat_values(report_for(session_factory)["total"])
    assert total["service_level"] is None and total["asa_s"] is None


def test_bad_requests_are_refused():
    with pytest.raises(StatsError, match="--by"):
        stats.make_period(at(1, 0), at(2, 0), "year")
    with pytest.raises(StatsError, match="after"):
        stats.make_period(at(2, 0), at(1, 0), "day")
    with pytest.raises(StatsError, match="--from"):
        stats.parse_day("yesterday", "--from")


def test_buckets_and_period_are_the_office_days(loaded):
    zone = "Asia/Shanghai"
    # Local 2026-11-02 .. 2026-11-04 is UTC 2026-11-01 16:00 .. 2026-11-03 16:00.
    period = stats.make_period(stats.parse_day("2026-11-02", "--from", zone),
                               stats.parse_day("2026-11-04", "--to", zone), "halfhour",
                               zone=zone)
    with loaded() as session:
        report = stats.compute_stats(session, period, STATS_SETTINGS)
    rows = {row["bucket"]: stats.flat_values(row)["received"] for row in report["rows"]
            if stats.flat_values(row)["received"]}
    # c1..c6 at UTC 09:10..10:15 on the 2nd are 17:10..18:15 in Shanghai; c7, c8 (UTC
    # 14:00, 14:10 on the 3rd) are 22:00, 22:10 there.
    assert rows == {"2026-11-02 17:00": 2, "2026-11-02 17:30": 2, "2026-11-02 18:00": 2,
                    "2026-11-03 22:00": 2}
    assert report["time_zone"] == zone
    assert period.start == dt.datetime(2026, 11, 1, 16, tzinfo=UTC)


def test_per_asterisk_host(loaded):
    with loaded.begin() as session:  # c7 and c9 were on host b (migration 0014's backfill)
        for callid in ("c7", "c9"):
            session.query(Call).filter_by(callid=callid).one().host = "b"
    report = report_for(loaded)
    hosts = {row["host"]: stats.flat_values(row) for row in report["by_host"]}
    assert set(hosts) == {"main", "b"}
    assert (hosts["main"]["received"], hosts["main"]["answered"]) == (7, 4)
    assert (hosts["b"]["received"], hosts["b"]["answered"], hosts["b"]["abandoned"]) == (2, 1, 1)
    assert hosts["b"]["asa_s"] == 40
    assert hosts["b"]["occupancy"] is None  # agent time does not know the host
    total = stats.flat_values(report["total"])
    assert hosts["main"]["received"] + hosts["b"]["received"] == total["received"]
