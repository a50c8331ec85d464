"""The wallboard's norms (call_queue.norms) on rendered boards, and today's half hours
(call_queue.intraday) on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from call_queue import intraday, projection
from call_queue.live import wallboard_view
from call_queue.norms import MISSED, NONE, OK, WARN, Norms, evaluate
from hotline.settings import load_settings
from models.calls import Call
from models.session import session_factory

NORMS = Norms(longest_wait_s=20, service_level_s=20, service_level_pct=80, abandon_pct=5.0,
              agents_ready=1)


def queue(**figures) -> dict:
    base = {"name": "hotline", "waiting": [], "callers_waiting": 0, "longest_wait_s": 0,
            "offered": 0, "answered": 0, "abandoned": 0, "short_abandoned": 0,
            "service_level": None}
    return dict(base, **figures)


def agent(state: str) -> dict:
    return {"interface": "PJSIP/8001", "name": "王芳", "state": state}


def board(queues, agents) -> dict:
    return {"queues": queues, "agents": agents}


@pytest.mark.parametrize("wait_s, level", [(0, OK), (14, OK), (15, WARN), (19, WARN),
                                           (20, MISSED), (300, MISSED)])
def test_longest_wait_is_amber_from_three_quarters_and_red_at_the_norm(wait_s, level):
    verdict = evaluate(board([queue(callers_waiting=1, longest_wait_s=wait_s)],
                             [agent("idle")]), NORMS)
    assert verdict.level("longest_wait", "hotline") == level


@pytest.mark.parametrize("service_level, level", [(None, NONE), (0.8, OK), (1.0, OK),
                                                   (0.7999, MISSED), (0.0, MISSED)])
def test_service_level_against_eighty_percent(service_level, level):
    verdict = evaluate(board([queue(offered=10, service_level=service_level)],
                             [agent("idle")]), NORMS)
    assert verdict.level("service_level", "hotline") == level


@pytest.mark.parametrize("abandoned, offered, level", [(0, 0, NONE), (0, 100, OK), (3, 100, OK),
                                                       (4, 100, WARN), (5, 100, WARN),
                                                       (6, 100, MISSED), (1, 3, MISSED)])
def test_abandonment_within_three_to_five_percent(abandoned, offered, level):
    verdict = evaluate(board([queue(offered=offered, abandoned=abandoned)], [agent("idle")]),
                       NORMS)
    assert verdict.level("abandonment", "hotline") == level


def test_agents_ready_missed_only_while_callers_wait():
    busy = [agent("talking"), agent("wrapup")]
    assert evaluate(board([queue()], busy), NORMS).level("agents_ready") == WARN
    assert evaluate(board([queue(callers_waiting=2, longest_wait_s=3)], busy),
                    NORMS).level("agents_ready") == MISSED
    assert evaluate(board([queue()], busy + [agent("idle")]), NORMS).level("agents_ready") == OK
    two = dataclasses.replace(NORMS, agents_ready=2)
    assert evaluate(board([queue()], busy + [agent("idle")]), two).level("agents_ready") == WARN


def test_nobody_logged_in_is_a_breach_even_with_an_empty_queue():
    verdict = evaluate(board([queue()], []), NORMS)
    assert verdict.level("agents_ready") == MISSED
    assert [figure.key for figure in verdict.breaches] == ["unattended:"]
    staffed = evaluate(board([queue()], [agent("paused")]), NORMS)
    assert staffed.level("unattended") == OK and staffed.level("agents_ready") == WARN


def test_breaches_and_json_carry_the_norms_the_page_ticks_with():
    verdict = evaluate(board([queue(callers_waiting=1, longest_wait_s=25, offered=10,
                                    answered=5, abandoned=1, service_level=0.5)],
                             [agent("talking")]), NORMS)
    assert [figure.key for figure in verdict.breaches] == [
        "longest_wait:hotline", "service_level:hotline", "abandonment:hotline", "agents_ready:"]
    as_json = verdict.to_json()
    assert as_json["norms"]["longest_wait_s"] == 20 and as_json["norms"]["wait_warn_s"] == 15
    assert as_json["queues"]["hotline"] == {"longest_wait": MISSED, "service_level": MISSED,
                                            "abandonment": MISSED}
    assert as_json["agents"] == {"agents_ready": MISSED, "unattended": OK}
    assert as_json["breaches"][0]["value"] == 25 and as_json["breaches"][0]["norm"] == 20


def test_norms_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("HOTLINE_NORM_LONGEST_WAIT_S", "5")
    monkeypatch.setenv("HOTLINE_NORM_SERVICE_LEVEL_PCT", "90")
    monkeypatch.setenv("HOTLINE_NORM_ABANDON_PCT", "3.5")
    monkeypatch.setenv("HOTLINE_NORM_AGENTS_READY", "2")
    monkeypatch.setenv("HOTLINE_SERVICE_LEVEL_S", "15")
    assert Norms.from_settings(load_settings()) == Norms(5, 15, 90, 3.5, 2)


@pytest.mark.parametrize("name, value", [("HOTLINE_NORM_LONGEST_WAIT_S", "0"),
                                         ("HOTLINE_NORM_SERVICE_LEVEL_PCT", "101"),
                                         ("HOTLINE_NORM_ABANDON_PCT", "five"),
                                         ("HOTLINE_NORM_AGENTS_READY", "-1")])
def test_a_bad_norm_is_refused_by_name(monkeypatch, name, value):
    from hotline.errors import SettingsError

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_the_live_view_carries_levels_and_calls_today():
    """From projection events to the pushed view: a waiting caller past the norm is a breach,
    the answering agent's calls today count up."""
    from telephony import events as ev

    settings = dataclasses.replace(load_settings(), norm_longest_wait_s=5)
    board = projection.empty_board(1000.0)
    for event in (ev.MemberStatusChanged(at=1000.0, queue="hotline", interface="PJSIP/8001",
                                         member_name="王芳", status="not_in_use", paused=False,
                                         paused_reason="", in_call=False, present=True),
                  ev.CallQueued(at=1001.0, callid="c1", linkedid="c1", queue="hotline",
                                channel="PJSIP/t-1", dialled_number="4000",
                                caller_number="13800000001", caller_name="", position=1)):
        projection.apply(board, event, settings)
    view = wallboard_view(board, 1007.0, Norms.from_settings(settings))
    assert view["norms"]["queues"]["hotline"]["longest_wait"] == MISSED
    assert view["agents"][0]["calls_today"] == 0
    projection.apply(board, ev.CallAnswered(at=1008.0, callid="c1", queue="hotline",
                                            interface="PJSIP/8001", member_name="王芳",
                                            agent_channel="PJSIP/8001-1", hold_s=7,
                                            ring_s=1), settings)
    view = wallboard_view(board, 1009.0, Norms.from_settings(settings))
    assert view["agents"][0]["calls_today"] == 1
    assert view["norms"]["queues"]["hotline"]["longest_wait"] == OK


ZONE = "Asia/Shanghai"
DAY = dt.date(2026, 3, 10)
MIDNIGHT_UTC = dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.timezone.utc)


def _call(callid, minutes, outcome, wait_s, queue="hotline"):
    return Call(callid=callid, queue=queue, outcome=outcome, wait_s=wait_s,
                entered_queue_at=MIDNIGHT_UTC + dt.timedelta(minutes=minutes))


def test_half_hours_of_the_office_day(db_url):
    with session_factory(db_url)() as session:
        session.add_all([
            _call("before", -1, "answered", 5),            # the day before, in Shanghai
            _call("a", 0, "answered", 5),                  # 00:00, within the service level
            _call("b", 29, "answered", 40),                # 00:00, late
            _call("c", 30, "abandoned", 50),               # 00:30
            _call("d", 31, "abandoned", 3),                # 00:30, short: not offered
            _call("e", 9 * 60 + 45, "transferred", 10),    # 09:30
            _call("f", 9 * 60 + 50, "timeout", 300),       # 09:30, offered, neither
            _call("g", 9 * 60 + 50, "answered", 1, queue="other"),
            _call("h", 24 * 60 - 1, "answered", 1),        # 23:30
            _call("after", 24 * 60, "answered", 1)])
        session.commit()
        slots = intraday.half_hours(session, DAY, ZONE, service_level_s=20, short_abandon_s=20,
                                    queue="hotline")
    assert len(slots) == 48
    by_start = {slot.start: slot for slot in slots if slot.offered}
    assert {start: (s.offered, s.answered, s.abandoned, s.answered_in_sl)
            for start, s in by_start.items()} == {
        "00:00": (2, 2, 0, 1), "00:30": (1, 0, 1, 0), "09:30": (2, 1, 0, 1),
        "23:30": (1, 1, 0, 1)}
    assert by_start["00:00"].service_level == 0.5
    as_json = intraday.to_json(slots, 80)
    assert as_json["service_level_norm"] == 0.8
    assert as_json["slots"][0] == {"start": "00:00", "offered": 2, "answered": 2,
                                   "abandoned": 0, "answered_in_sl": 1, "service_level": 0.5}
