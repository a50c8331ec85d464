"""Namespace /agent with Flask-SocketIO's test client and the bridge's real live sink.

Flask-SocketIO's test client cannot run behind a message queue, so here the sink
emits straight into the app's server (its Redis live state is real); the path
through Socket.IO's Redis queue is exercised by bench/screen_pop.py and the
browser test, which run the console as a real server.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from agent_console import socketio
from call_queue.live import LiveStateSink
from households.terms import HouseholdTerms
from models.households import Phone
from screen_pop.households import HouseholdPops
from telephony import events

CALLID = "1763900000.101"


def wait_for(client, name: str, timeout_s: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        for message in client.get_received("/agent"):
            seen.append(message["name"])
            if message["name"] == name:
                return message["args"][0]
        time.sleep(0.01)
    raise AssertionError(f"no {name} within {timeout_s} s; got {seen}")


def received_names(client, settle_s: float = 0.3) -> list[str]:
    time.sleep(settle_s)
    return [message["name"] for message in client.get_received("/agent")]


def connect(app, flask_client, _console_redis=None):
    return socketio.test_client(app, namespace="/agent", flask_test_client=flask_client)


def live_sink(settings, redis_client, pops):
    return LiveStateSink(settings, redis_client=redis_client, emitter=socketio,
                         emit=lambda board: None, spy_recorder=False, span_recorder=False,
                         pops=pops)


@pytest.fixture
def sink(console_settings, console_redis):
    sink = live_sink(console_settings, console_redis,
                     HouseholdPops(console_settings.database_url,
                                   HouseholdTerms.from_settings(console_settings)))
    yield sink
    sink.close()


def ringing(interface="PJSIP/8001", caller="13800138000", callid=CALLID, at=None):
    return events.AgentRinging(at=at or time.time(), callid=callid, queue="hotline",
                               interface=interface, member_name="Alice",
                               agent_channel=f"{interface}-00000001", caller_number=caller,
                               caller_name="")


def test_connection_without_login_is_refused(app):
    anonymous = app.test_client()
    client = socketio.test_client(app, namespace="/agent", flask_test_client=anonymous)
    assert not client.is_connected("/agent")


def test_snapshot_on_connect(app, agent_client, console_redis):
    client = connect(app, agent_client, console_redis)
    assert client.is_connected("/agent")
    snapshot = wait_for(client, "snapshot")
    assert snapshot["interface"] == "PJSIP/8001" and "ringing" not in snapshot


def test_pop_goes_only_to_the_ringing_agents_room(app, agent_client, other_agent_client,
                                                   console_redis, sink):
    mine = connect(app, agent_client, console_redis)
    theirs = connect(app, other_agent_client, console_redis)
    mine.get_received("/agent"), theirs.get_received("/agent")
    event = ringing()
    sink.handle(event)
    pop = wait_for(mine, "screen_pop")
    assert pop["callid"] == CALLID and pop["event_at"] == event.at
    assert pop["received_at"] <= pop["sent_at"]
    assert pop["pop"]["unknown"] is True  # no households in this database
    assert "screen_pop" not in received_names(theirs)


def test_call_cycle_and_snapshot_after_reconnect(app, agent_client, console_redis, sink,
                                                 console_settings):
    client = connect(app, agent_client, console_redis)
    t0 = time.time()
    sink.handle(ringing(at=t0))
    wait_for(client, "screen_pop")
    sink.handle(events.CallAnswered(at=t0 + 3, callid=CALLID, queue="hotline",
                                    interface="PJSIP/8001", member_name="Alice",
                                    agent_channel="PJSIP/8001-00000001", hold_s=4, ring_s=3))
    answered = wait_for(client, "call_answered")
    assert answered["answered_at"] == t0 + 3 and answered["caller_number"] == "13800138000"
    sink.handle(events.CallEnded(at=t0 + 60, callid=CALLID, queue="hotline",
                                 interface="PJSIP/8001", member_name="Alice", hold_s=4,
                                 talk_s=57, hung_up_by="caller"))
    ended = wait_for(client, "call_ended")
    assert ended["wrapup_until"] == t0 + 60 + console_settings.wrapup_s
    client.disconnect("/agent")
    again = connect(app, agent_client, console_redis)
    snapshot = wait_for(again, "snapshot")
    assert snapshot["wrapup"]["callid"] == CALLID
    assert "call" not in snapshot and "ringing" not in snapshot


def test_unanswered_ring_withdraws_the_pop(app, agent_client, console_redis, sink):
    client = connect(app, agent_client, console_redis)
    sink.handle(ringing())
    wait_for(client, "screen_pop")
    sink.handle(events.RingEnded(at=time.time(), callid=CALLID, queue="hotline",
                                 interface="PJSIP/8001", member_name="Alice",
                                 outcome="no_answer", ring_ms=15000))
    assert wait_for(client, "ring_ended")["outcome"] == "no_answer"
    client.disconnect("/agent")
    assert "ringing" not in wait_for(connect(app, agent_client, console_redis), "snapshot")


def test_state_changes_from_asterisk_reach_the_agent(app, agent_client, console_redis, sink):
    client = connect(app, agent_client, console_redis)
    sink.handle(events.MemberStatusChanged(
        at=1000.0, queue="hotline", interface="PJSIP/8001", member_name="Alice",
        status="not_in_use", paused=False, paused_reason="", in_call=False))
    assert wait_for(client, "agent_state")["label"] == "ready"
    sink.handle(events.MemberPaused(at=1010.0, queue="hotline", interface="PJSIP/8001",
                                    member_name="Alice", paused=True, reason="lunch"))
    state = wait_for(client, "agent_state")
    assert (state["label"], state["reason"], state["since"]) == ("paused", "lunch", 1010.0)
    sink.handle(events.MemberStatusChanged(
        at=1020.0, queue="hotline", interface="PJSIP/8001", member_name="Alice",
        status="unavailable", paused=True, paused_reason="lunch", in_call=False))
    assert wait_for(client, "agent_state")["since"] == 1010.0  # still paused for lunch


def test_known_caller_pops_the_household(app, agent_client, console_redis, sink,
                                         console_sessions):
    from tests.support.demo import demo_data

    with console_sessions() as session:
        demo_data(session, 3)
        session.commit()
        phone = session.scalars(select(Phone).order_by(Phone.id)).first()
    client = connect(app, agent_client, console_redis)
    sink.handle(ringing(caller=phone.raw))
    pop = wait_for(client, "screen_pop")["pop"]
    candidate_ids = [c["household_id"] for c in pop["candidates"]]
    assert phone.household_id in candidate_ids
    if len(candidate_ids) == 1:
        assert pop["household"]["household"]["id"] == phone.household_id


def test_a_failing_lookup_still_pops_with_a_search_box(app, agent_client, console_redis,
                                                       console_settings):
    def broken_sessions():
        raise RuntimeError("database down")

    sink = live_sink(console_settings, console_redis,
                     HouseholdPops(console_settings.database_url,
                                   HouseholdTerms.from_settings(console_settings),
                                   sessions=lambda: broken_sessions()))
    client = connect(app, agent_client, console_redis)
    sink.handle(ringing())
    pop = wait_for(client, "screen_pop")["pop"]
    assert pop["unknown"] is True and pop["lookup_failed"] is True
