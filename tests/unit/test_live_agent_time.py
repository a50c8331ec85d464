"""Agent state spans written from the live board, and the occupancy they give."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from call_queue import live

from call_queue.stats import report as stats
from call_queue.agent_time import AgentSpanRecorder, split_at_midnight
from models.supervision import AgentStateSpan
from telephony import events as ev
from tests.support.settings import live_board_settings

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC).timestamp()


def agent_settings(db_url: str):
    """Real settings with the wrap-up (30 s) and office day (UTC) the spans below assume."""
    return live_board_settings(database_url=db_url, ring_cadence_s=5.0, fcr_window_days=7)


def spans(session_factory) -> list[tuple]:
    with session_factory() as session:
        rows = session.scalars(select(AgentStateSpan).order_by(AgentStateSpan.started_at,
                                                               AgentStateSpan.id))
        return [(row.state, row.started_at.timestamp() - T0,
                 None if row.ended_at is None else row.ended_at.timestamp() - T0)
                for row in rows]


def test_split_at_midnight():
    late = dt.datetime(2026, 11, 2, 23, 0, tzinfo=UTC).timestamp()
    pieces = split_at_midnight("paused", late, late + 2 * 3600)
    assert [(state, end - start) for state, start, end in pieces] == [("paused", 3600),
                                                                        ("paused", 3600)]


def test_sink_writes_spans_and_occupancy_follows(db_url, session_factory, console_redis):
    settings = agent_settings(db_url)
    sink = live.LiveStateSink(settings, redis_client=console_redis, emit=lambda board: None,
                              clock=lambda: T0, spy_recorder=False,
                              span_recorder=AgentSpanRecorder(db_url))
    member = dict(queue="hotline", interface="PJSIP/8001", member_name="8001", paused=False,
                  paused_reason="", in_call=False)
    sink.handle(ev.MemberStatusChanged(at=T0, status="not_in_use", **member))
    sink.handle(ev.CallAnswered(at=T0 + 600, callid="c1", queue="hotline",
                                interface="PJSIP/8001", member_name="8001",
                                agent_channel="PJSIP/8001-1", hold_s=3, ring_s=2))
    sink.handle(ev.CallEnded(at=T0 + 900, callid="c1", queue="hotline", interface="PJSIP/8001",
                             member_name="8001", hold_s=3, talk_s=300, hung_up_by="caller"))
    # Wrap-up (30 s) ran out long before the agent paused at +1200.
    sink.handle(ev.MemberPaused(at=T0 + 1200, queue="hotline", interface="PJSIP/8001",
                                member_name="8001", paused=True, reason="lunch"))
    assert sink.drain()  # the spans are written after the push, off the sink's path
    assert spans(session_factory) == [("idle", 0, 600), ("talking", 600, 900),
                                      ("wrapup", 900, 930), ("idle", 930, 1200),
                                      ("paused", 1200, None)]
    period = stats.make_period(dt.datetime(2026, 11, 2, tzinfo=UTC),
                               dt.datetime.fromtimestamp(T0 + 1800, UTC), "day")
    with session_factory() as session:
        total = stats.flat_values(stats.compute_stats(session, period, settings)["total"])
    # talk 300 s against idle 600 + 270 s; logged in (all but unavailable) 1800 s.
    # SQLite's julianday() differences are good to ~0.1 ms, hence the tolerance.
    assert abs(total["occupancy"] - 300 / 1170) < 1e-6
    assert abs(total["logged_in_s"] - 1800) < 1e-3


def test_agent_leaving_the_queue_closes_the_span(db_url, session_factory, console_redis):
    settings = agent_settings(db_url)
    sink = live.LiveStateSink(settings, redis_client=console_redis, emit=lambda board: None,
                              clock=lambda: T0, spy_recorder=False,
                              span_recorder=AgentSpanRecorder(db_url))
    member = dict(queue="hotline", interface="PJSIP/8001", member_name="8001", status="not_in_use",
                  paused=False, paused_reason="", in_call=False)
    sink.handle(ev.MemberStatusChanged(at=T0, **member))
    sink.handle(ev.MemberStatusChanged(at=T0 + 60, **(member | {"present": False})))
    assert sink.drain()
    assert spans(session_factory) == [("idle", 0, 60)]
