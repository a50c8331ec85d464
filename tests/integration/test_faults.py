"""Faults with real services: Asterisk killed, Redis and PostgreSQL away, the bridge
SIGKILLed, a browser dropped during a ring. After each, every call Asterisk logged
is stored exactly once, the live board equals Asterisk's QueueStatus, and a
(re)connecting client gets a fresh snapshot.

`hotline bridge` and `hotline console` run as child processes, as in production,
with a private Redis (a TCP redis-server this module starts and stops) and their
own databases, so the lab's Redis and other consoles never see these calls.
Asterisk is the lab's: the kill test starts it again exactly as `hotline lab up`
did (same configuration, Redis untouched).

    flock /tmp/hotline-lab.lock .venv/bin/pytest -m lab tests/integration/test_faults.py
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from bench.load_lab import AgentClient
from models.calls import Call, RingAttempt
from models.session import make_engine
from telephony.queue_log import compare_calls, read_queue_log, summarize_calls
from tests.integration import fault_tools as tools
from tests.support.redis_server import RedisServer
from tests.integration.fault_tools import wait_for

pytestmark = pytest.mark.lab

# This module's callers use numbers starting 1380017; its members are lab phones
# 8071-8079, a pair per test: a member keeps its queue wrap-up (30 s) across a
# QueueRemove/QueueAdd, and would not ring in the next test.
PREFIX = "1380017"
AGENTS = {f"Local/80{n}@lab-phones/n": f"fault{n}" for n in range(71, 80)}


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """Over TCP (the bridge and console subprocesses are told a redis:// URL); stopped
    and started again by the Redis fault."""
    server = RedisServer(tmp_path_factory.mktemp("fault-redis"), tcp=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(lab, redis_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    stack = tools.Stack(lab, folder, redis_server, AGENTS)
    yield stack
    stack.close()


@pytest.fixture(scope="module")
def control(lab):
    connection = tools.control_connection(lab)
    yield connection
    tools.hang_up_calls_from(connection, PREFIX)
    connection.close()


@pytest.fixture
def members(control, lab):
    tracker = tools.Members(control, lab.queue)
    tracker.pause_foreign()
    yield tracker
    tools.hang_up_calls_from(control, PREFIX)
    tracker.restore()


@pytest.fixture
def bridge(stack):
    process = stack.bridge()
    yield process
    process.stop()


def _number(n: int) -> str:
    return f"{PREFIX}{n:04d}"


def _stored_and_logged(lab, engine, callids):
    logged = summarize_calls(read_queue_log(lab.queue_log_path, tail_bytes=8 << 20))
    with engine.connect() as connection:
        counts = dict(connection.execute(
            select(Call.callid, func.count()).where(Call.callid.in_(list(callids)))
            .group_by(Call.callid)).all())
        stored = {row["callid"]: dict(row) for row in connection.execute(
            select(Call.__table__).where(Call.callid.in_(list(callids)))).mappings()}
    return counts, stored, logged


def assert_stored_once_as_logged(lab, engine, callids, lost_with_asterisk=()) -> None:
    """Each call: one row; as queue_log says, or ended_unseen if Asterisk died with it.

    A call whose AgentComplete Asterisk never raised gets its talk time from
    queue_log a few seconds after it ends (Bridge.finish_call): wait for that.
    """
    ended = [c for c in callids if c not in lost_with_asterisk]
    deadline = time.monotonic() + 20
    while True:
        counts, stored, logged = _stored_and_logged(lab, engine, callids)
        mismatches = compare_calls({c: stored[c] for c in ended if c in stored},
                                   {c: logged[c] for c in ended if c in logged})
        if not mismatches or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert counts == {callid: 1 for callid in callids}
    for callid in lost_with_asterisk:
        assert logged[callid].ended_at is None, "queue_log ended a call Asterisk lost?"
        assert stored[callid]["outcome"] == "ended_unseen", stored[callid]
    assert set(ended) <= set(logged), "a call missing from queue_log"
    assert mismatches == []


def assert_fresh_snapshot(stack, control, lab, interface: str, gone_callids=()) -> None:
    """A client connecting now gets the agent's state as Asterisk has it, no dead call."""
    client = AgentClient(stack.console_url, AGENTS[interface], interface)
    try:
        snapshot = wait_for(lambda: client.snapshots and client.snapshots[-1], 5, "a snapshot")
    finally:
        client.close()
    assert abs(snapshot["server_time"] - time.time()) < 5
    member = tools.queue_members(control, lab.queue)[interface]
    state = snapshot.get("state") or {}
    assert state.get("paused") == (member.get("Paused") == "1"), snapshot
    shown = {part.get("callid") for name, part in snapshot.items()
             if name in ("ringing", "call") and isinstance(part, dict)}
    assert not shown & set(gone_callids), f"snapshot still shows ended calls: {snapshot}"


def test_asterisk_killed_in_the_middle_of_calls(lab, stack, control, members, bridge):
    engine = make_engine(stack.database_url)
    first = members.add_lab_phone("8071", ring="1", talk="600")
    members.add_lab_phone("8072", ring="1", talk="600")
    talking = [tools.originate(control, lab, _number(n), name, patience_s=600)
               for n, name in ((1, "张三"), (2, "O'Brien"))]
    wait_for(lambda: all(tools.row(engine, c).get("answered_at") for c in talking), 20,
             "both calls answered and stored")
    waiting = tools.originate(control, lab, _number(3), "李四", patience_s=600)
    wait_for(lambda: tools.row(engine, waiting), 10, "the third call stored while queued")
    resyncs = bridge.resyncs()
    watching = AgentClient(stack.console_url, AGENTS[first], first)  # stays connected
    try:
        tools.kill_lab_asterisk(lab)  # SIGKILL: no hang-ups, no queue_log lines for these
    finally:
        tools.start_lab_asterisk(lab)
    wait_for(lambda: bridge.resyncs() > resyncs, 15, "the bridge resynced with the new Asterisk")
    mine = talking + [waiting]
    try:
        pushed = wait_for(lambda: [s for s in watching.snapshots[1:] if "call" not in s], 10,
                          f"a connected browser told its call is gone: {watching.snapshots}")
    finally:
        watching.close()
    assert pushed[-1]["state"]["label"] == "ready"
    wait_for(lambda: all(tools.row(engine, c).get("outcome") for c in mine), 10,
             "every call closed")
    assert_stored_once_as_logged(lab, engine, mine, lost_with_asterisk=mine)
    wait_for(lambda: tools.persistent_members_back(control, lab.queue, members.added), 10,
             "queue members restored from astdb")
    tools.wait_board_equals_queue_status(stack.redis, control, lab.queue)
    assert_fresh_snapshot(stack, control, lab, first, gone_callids=mine)

    # And it follows calls again, from ring to end.
    tools.set_lab_phone(control, "8071", ring="1", talk="2")
    tools.set_lab_phone(control, "8072", ring="1", talk="2")
    after = tools.originate(control, lab, _number(4), "王五", patience_s=30)
    wait_for(lambda: tools.row(engine, after).get("outcome"), 30, "the new call stored")
    tools.wait_queue_log_end(lab, after)
    assert_stored_once_as_logged(lab, engine, [after])


def test_redis_stopped_for_ten_seconds(lab, stack, control, members, bridge, redis_server):
    engine = make_engine(stack.database_url)
    first = members.add_lab_phone("8073", ring="1", talk="12")
    members.add_lab_phone("8074", ring="1", talk="12")
    before = tools.originate(control, lab, _number(11), "赵六", patience_s=60)
    wait_for(lambda: tools.row(engine, before).get("answered_at"), 20, "first call answered")

    redis_server.stop()
    during = tools.originate(control, lab, _number(12), "钱七", patience_s=60)
    wait_for(lambda: tools.row(engine, during).get("answered_at"), 20,
             "a call answered and stored while Redis is away")
    time.sleep(max(0.0, 10 - (time.monotonic() - redis_server.stopped_at)))
    redis_server.start()
    assert bridge.alive(), "the bridge died with Redis"

    for callid in (before, during):
        tools.wait_queue_log_end(lab, callid, timeout_s=30)
    wait_for(lambda: all(tools.row(engine, c).get("outcome") for c in (before, during)), 10,
             "both calls closed")
    assert_stored_once_as_logged(lab, engine, [before, during])
    tools.wait_board_equals_queue_status(stack.redis, control, lab.queue)
    assert_fresh_snapshot(stack, control, lab, first, gone_callids=[before, during])


def test_postgresql_stopped_for_ten_seconds_and_the_bridge_killed_meanwhile(
        lab, stack, control, members, tmp_path_factory):
    """Records the database could not take wait in the spool, even across a SIGKILL."""
    postgres = tools.PrivatePostgres(tmp_path_factory.mktemp("pg"))
    try:
        engine = make_engine(postgres.url)
        process = stack.bridge(database_url=postgres.url)
        try:
            members.add_lab_phone("8075", ring="1", talk="3")
            members.add_lab_phone("8076", ring="1", talk="3")
            postgres.stop()
            stopped = time.monotonic()
            callids = [tools.originate(control, lab, _number(20 + n), name, patience_s=30)
                       for n, name in enumerate(("孙八", "周九"))]
            for callid in callids:
                tools.wait_queue_log_end(lab, callid, timeout_s=20)
            time.sleep(1)  # the bridge has the ends; the database has nothing
            process.kill()
            time.sleep(max(0.0, 10 - (time.monotonic() - stopped)))
            postgres.start()
            process = stack.bridge(database_url=postgres.url)
            wait_for(lambda: all(tools.row(engine, c).get("outcome") for c in callids), 15,
                     "both calls stored once the database is back")
            assert_stored_once_as_logged(lab, engine, callids)
            # Only the spool knows what queue_log does not: names and each ring.
            assert tools.row(engine, callids[0])["caller_name"] == "孙八"
            with engine.connect() as connection:
                rings = connection.execute(select(func.count()).select_from(RingAttempt)
                                           .where(RingAttempt.callid.in_(callids))).scalar()
            assert rings >= 2
        finally:
            process.stop()
    finally:
        postgres.destroy()


def test_bridge_killed_and_restarted(lab, stack, control, members):
    engine = make_engine(stack.database_url)
    answering = members.add_lab_phone("8077", ring="1", talk="8")
    members.add_lab_phone("8078", ring="never", talk="1")
    process = stack.bridge()
    try:
        answered = tools.originate(control, lab, _number(31), "吴十", patience_s=60)
        wait_for(lambda: tools.row(engine, answered).get("answered_at"), 20, "call answered")
        process.kill()
        # While the bridge is dead: the answered call ends, another is queued and abandoned.
        abandoned = tools.originate(control, lab, _number(32), "郑一", patience_s=10)
        tools.wait_queue_log_end(lab, answered, timeout_s=20)
        tools.wait_queue_log_end(lab, abandoned, timeout_s=20)
        process = stack.bridge()
        wait_for(lambda: all(tools.row(engine, c).get("outcome") for c in (answered, abandoned)),
                 10, "calls that ended while the bridge was dead closed from queue_log")
        assert_stored_once_as_logged(lab, engine, [answered, abandoned])
        tools.wait_board_equals_queue_status(stack.redis, control, lab.queue)
        assert_fresh_snapshot(stack, control, lab, answering,
                              gone_callids=[answered, abandoned])
    finally:
        process.stop()


def test_client_dropped_and_reconnected_during_a_ring(lab, stack, control, members, bridge):
    interface = members.add_lab_phone("8079", ring="8", talk="1")
    client = AgentClient(stack.console_url, AGENTS[interface], interface)
    try:
        callid = tools.originate(control, lab, _number(41), "冯二", patience_s=30)
        wait_for(lambda: any(p["callid"] == callid for _, p in client.pops), 10, "the pop")
        client.client.disconnect()  # the browser's network drops while the phone rings
        client.snapshots.clear()
        client.reconnect()
        snapshot = wait_for(lambda: client.snapshots and client.snapshots[-1], 5,
                            "a snapshot on reconnect")
        assert snapshot["ringing"]["callid"] == callid
        assert snapshot["ringing"]["pop"] is not None
        answered = wait_for(lambda: tools.row(make_engine(stack.database_url), callid)
                            .get("outcome"), 30, "the call answered and ended")
        assert answered == "answered"
        assert sum(1 for _, p in client.pops if p["callid"] == callid) == 1
    finally:
        client.close()
