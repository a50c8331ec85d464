"""Two Asterisk hosts' bridges on one Redis: each keeps its own board, and the wallboard
(its push and the console's snapshot) shows both merged, with a line per host."""
from __future__ import annotations

from call_queue import live
from call_queue.host_boards import HOSTS_KEY, board_key
from call_queue.live_schema import BOARD_KEY
from telephony import events as ev
from tests.support.settings import live_board_settings

T0 = 1_795_445_475.0


def _sink(redis_client, host, pushed):
    return live.LiveStateSink(live_board_settings(asterisk_host=host), redis_client=redis_client,
                              emit=pushed.append, clock=lambda: T0 + 60, spy_recorder=False,
                              span_recorder=False)


def _queued(callid, at, number):
    return ev.CallQueued(at=at, callid=callid, linkedid=callid, queue="hotline",
                         channel=f"PJSIP/trunk-{callid}", caller_number=number, caller_name="",
                         dialled_number="4000", position=1)


def _member(interface):
    return ev.MemberStatusChanged(at=T0, queue="hotline", interface=interface,
                                  member_name=interface[-4:], status="not_in_use", paused=False,
                                  paused_reason="", in_call=False)


def _answered(callid, at, interface):
    return ev.CallAnswered(at=at, callid=callid, queue="hotline", interface=interface,
                           member_name=interface[-4:], agent_channel=f"{interface}-0001",
                           hold_s=at - T0, ring_s=1)


def test_each_host_keeps_its_board_and_the_wallboard_shows_both(console_redis):
    main_pushed, b_pushed = [], []
    on_main, on_b = _sink(console_redis, "main", main_pushed), _sink(console_redis, "b", b_pushed)
    resynced = ev.BridgeResynced(at=T0)
    for sink, prefix, interface in ((on_main, "", "PJSIP/8001"), (on_b, "b-", "PJSIP/8026")):
        sink.handle(resynced)
        sink.handle(_member(interface))
        sink.handle(_queued(f"{prefix}1.1", T0 + 1, "13800138001"))
        sink.handle(_answered(f"{prefix}1.1", T0 + 3, interface))
    on_b.handle(_queued("b-1.2", T0 + 5, "13800138002"))  # still waiting on b

    assert console_redis.exists(BOARD_KEY) and console_redis.exists(board_key("b"))
    assert {name.decode() for name in console_redis.smembers(HOSTS_KEY)} == {"main", "b"}
    board = live.read_wallboard(console_redis, now=T0 + 60)
    [queue] = board["queues"]
    assert (queue["offered"], queue["answered"], queue["callers_waiting"]) == (3, 2, 1)
    assert queue["waiting"][0]["callid"] == "b-1.2" and queue["waiting"][0]["host"] == "b"
    assert [agent["interface"] for agent in board["agents"]] == ["PJSIP/8001", "PJSIP/8026"]
    hosts = {line["host"]: line for line in board["hosts"]}
    assert (hosts["main"]["offered"], hosts["main"]["answered"], hosts["main"]["agents"]) == (1, 1, 1)
    assert (hosts["b"]["offered"], hosts["b"]["callers_waiting"], hosts["b"]["agents_talking"]) \
        == (2, 1, 1)
    assert board["current"] is True
    # b's last push was merged with main's board as Redis held it.
    assert b_pushed[-1]["queues"][0]["offered"] == 3 and len(b_pushed[-1]["hosts"]) == 2

    on_b.handle(ev.BridgeDisconnected(at=T0 + 50, reason="host b stopped"))
    board = live.read_wallboard(console_redis, now=T0 + 60)
    assert board["current"] is False and "b:" in board["note"]
    assert {line["host"]: line["current"] for line in board["hosts"]} == {"main": True, "b": False}


def test_a_single_host_reads_and_writes_the_board_as_before(console_redis):
    pushed = []
    sink = _sink(console_redis, "main", pushed)
    sink.handle(ev.BridgeResynced(at=T0))
    sink.handle(_queued("1.1", T0 + 1, "13800138001"))
    assert console_redis.exists(BOARD_KEY)
    board = live.read_wallboard(console_redis, now=T0 + 60)
    assert board["queues"][0]["callers_waiting"] == 1
    assert [line["host"] for line in board["hosts"]] == ["main"] and pushed[-1]["hosts"][0]["host"] == "main"
