"""The wallboard after a bridge restart: rebuilt from Asterisk's QueueStatus, and
saying it is not current until the bridge has resynced.

Run under `flock /tmp/hotline-lab.lock`. The bridge runs in-process with the real
LiveStateSink on a private redis-server (the lab's Redis is shared); the board is
wiped between the two bridges, as if Redis had lost it.
"""
from __future__ import annotations

import dataclasses
import time

import pytest
import redis

import models
from call_queue.live import BOARD_KEY, LiveStateSink, read_wallboard
from models.session import make_engine
from telephony.bridge import Bridge
from tests.support.lab_calls import RecordingSink, calls_by_id, local, set_lab_phone
from tests.support.lab_calls import originate_patient_caller as originate
from tests.labtools import wait_until
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.lab

AGENT = "8086"


@pytest.fixture
def board_settings(lab, tmp_path):
    redis_server = RedisServer(tmp_path / "redis")
    url = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    yield dataclasses.replace(lab.settings, database_url=url, redis_url=redis_server.url)
    redis_server.stop()


def run_bridge(settings):
    pushed = []
    # The watcher comes last: the bridge feeds sinks in order, so once it has
    # seen an event, the live sink has handled it too.
    watcher = RecordingSink()
    sink = LiveStateSink(settings, emit=pushed.append)
    bridge = Bridge(settings, make_engine(settings.database_url), sinks=[sink, watcher])
    bridge.start()
    wait_until(lambda: watcher.count("bridge_resynced"), 10, "the bridge's resync")
    return bridge, pushed


def waiting(board: dict) -> dict:
    return {caller["callid"]: caller for queue in board["queues"] for caller in queue["waiting"]}


def test_board_is_rebuilt_from_asterisk_after_a_restart(lab, board_settings, control, members):
    set_lab_phone(control, AGENT, ring="1", talk="5")
    members.add(local(AGENT), "board-agent")
    members.act("QueuePause", local(AGENT), Paused="true", Reason="resync test")
    store = redis.Redis.from_url(board_settings.redis_url)
    first, _ = run_bridge(board_settings)
    callid = originate(control, lab, "13800138086", "等待中", patience_s=25)
    try:
        wait_until(lambda: callid in waiting(read_wallboard(store)), 10, "the caller on the board")
        first.stop()
        store.delete(BOARD_KEY)  # the board is lost with the bridge
        time.sleep(2.5)  # the caller keeps waiting while no bridge runs
        restarted_at = time.time()

        second, pushed = run_bridge(board_settings)
        try:
            currents = [board["current"] for board in pushed]
            # Not current while rebuilding; current once resynced, and not before.
            assert currents[0] is False and currents[-1] is True
            rebuilt = read_wallboard(store)
            assert rebuilt["current"] is True
            assert waiting(rebuilt)[callid]["caller_number"] == "13800138086"
            # The wait counts from when the caller entered, not from the restart.
            assert waiting(rebuilt)[callid]["entered_at"] <= restarted_at - 1
            agent = {a["interface"]: a for a in rebuilt["agents"]}[local(AGENT)]
            assert agent["state"] == "paused"
        finally:
            second.stop()
    finally:
        channel = calls_by_id(make_engine(board_settings.database_url), [callid]).get(
            callid, {}).get("channel")
        if channel:
            control.send_action({"Action": "Hangup", "Channel": channel})
