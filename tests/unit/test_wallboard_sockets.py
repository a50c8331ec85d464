"""Namespace /wallboard and the wallboard page: supervisors see the board (snapshot on
connect, then pushes from the live sink), agents and strangers are refused."""
from __future__ import annotations

import time

import pytest

from agent_console import socketio
from call_queue.live import LiveStateSink, NAMESPACE, PUSH_EVENT
from telephony import events as ev


def wait_for_board(client, predicate=lambda board: True, timeout_s: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in client.get_received(NAMESPACE):
            if message["name"] == PUSH_EVENT and predicate(message["args"][0]):
                return message["args"][0]
        time.sleep(0.01)
    raise AssertionError(f"no matching board within {timeout_s} s")


@pytest.fixture
def live_sink(console_settings, console_redis):
    # Test clients cannot go through Redis pub/sub: the sink emits into this server.
    return LiveStateSink(console_settings, redis_client=console_redis, spy_recorder=False,
                         emit=lambda board: socketio.emit(PUSH_EVENT, board, namespace=NAMESPACE))


def queued(callid: str) -> ev.CallQueued:
    return ev.CallQueued(at=time.time(), callid=callid, linkedid=callid, queue="hotline",
                         channel="PJSIP/trunk-1", caller_number="13800138000", caller_name="张三",
                         dialled_number="4000", position=1)


def test_supervisor_gets_the_stored_board_on_connect(app, supervisor_client, live_sink):
    live_sink.handle(queued("w1"))
    client = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=supervisor_client)
    assert client.is_connected(NAMESPACE)
    board = wait_for_board(client)
    assert board["queues"][0]["waiting"][0]["callid"] == "w1"
    assert board["queues"][0]["waiting"][0]["caller_name"] == "张三"


def test_pushes_follow_events(app, supervisor_client, live_sink):
    client = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=supervisor_client)
    wait_for_board(client)
    live_sink.handle(queued("w2"))
    board = wait_for_board(client, lambda board: board["queues"] and board["queues"][0]["offered"])
    assert board["queues"][0]["callers_waiting"] == 1
    live_sink.handle(ev.CallAbandoned(at=time.time() + 60, callid="w2", queue="hotline",
                                      position=1, original_position=1, hold_s=60))
    board = wait_for_board(client, lambda board: board["queues"][0]["abandoned"] == 1)
    assert board["queues"][0]["callers_waiting"] == 0


def test_agent_and_anonymous_are_refused(app, agent_client):
    as_agent = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=agent_client)
    assert not as_agent.is_connected(NAMESPACE)
    anonymous = socketio.test_client(app, namespace=NAMESPACE,
                                     flask_test_client=app.test_client())
    assert not anonymous.is_connected(NAMESPACE)


def test_wallboard_page_is_for_supervisors(supervisor_client, agent_client, live_sink):
    live_sink.handle(queued("w3"))
    page = supervisor_client.get("/supervisor/wallboard")
    assert page.status_code == 200 and 'data-queue="hotline"' in page.get_data(as_text=True)
    assert agent_client.get("/supervisor/wallboard").status_code == 403
