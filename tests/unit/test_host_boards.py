"""Two Asterisk hosts' bridges on one Redis: each keeps its own board, and the wallboard
(its push and the console's snapshot) shows both merged, with a line per host."""
from __future__ import annotations

from call_queue import live
from call_queue.host_boards import HOSTS_KEY, PeerBoards, board_key
from call_queue.live_schema import BOARD_KEY
from telephony import events as ev
from telephony.bridge_presence import alive_key
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


def _running(redis_client, *hosts):
    for host in hosts:
        redis_client.set(alive_key(host), "1", ex=30)


def test_each_host_keeps_its_board_and_the_wallboard_shows_both(console_redis):
    _running(console_redis, "main", "b")
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


def _two_hosts(console_redis):
    """main: an agent answered one call and is idle (its wrap-up over); b: one call
    answered within the service level and still on, one waiting since T0 + 5, a second
    agent paused."""
    on_main = _sink(console_redis, "main", [])
    on_b = _sink(console_redis, "b", [])
    for sink, prefix, interface in ((on_main, "", "PJSIP/8001"), (on_b, "b-", "PJSIP/8026")):
        sink.handle(ev.BridgeResynced(at=T0))
        sink.handle(_member(interface))
        sink.handle(_queued(f"{prefix}1.1", T0 + 1, "13800138001"))
        sink.handle(_answered(f"{prefix}1.1", T0 + 3, interface))
    on_main.handle(ev.CallEnded(at=T0 + 4, callid="1.1", queue="hotline", interface="PJSIP/8001",
                                member_name="8001", hold_s=3, talk_s=1, hung_up_by="caller"))
    on_b.handle(_queued("b-1.2", T0 + 5, "13800138002"))
    on_b.handle(_member("PJSIP/8027"))
    on_b.handle(ev.MemberPaused(at=T0 + 6, queue="hotline", interface="PJSIP/8027",
                                member_name="8027", paused=True, reason="lunch"))
    return on_main, on_b


def test_each_hosts_line_has_the_wallboards_figures(console_redis):
    _running(console_redis, "main", "b")
    _two_hosts(console_redis)
    board = live.read_wallboard(console_redis, now=T0 + 65)
    hosts = {line["host"]: line for line in board["hosts"]}
    b = hosts["b"]
    assert (b["up"], b["callers_waiting"], b["longest_wait_s"]) == (True, 1, 60)
    assert (b["agents_free"], b["agents_busy"], b["agents_away"]) == (0, 1, 1)
    assert (b["answered"], b["abandoned"], b["service_level"]) == (1, 0, 0.5)
    main = hosts["main"]
    assert (main["callers_waiting"], main["longest_wait_s"], main["service_level"]) == (0, 0, 1.0)
    assert (main["agents_free"], main["agents_busy"], main["agents_away"]) == (1, 0, 0)


def test_a_host_whose_bridge_stopped_is_down_with_no_figures_not_stale(console_redis):
    _running(console_redis, "main", "b")
    on_main, _on_b = _two_hosts(console_redis)
    console_redis.delete(alive_key("b"))  # b's bridge was killed: its key lapsed
    board = live.read_wallboard(console_redis, now=T0 + 65)
    hosts = {line["host"]: line for line in board["hosts"]}
    assert hosts["b"] == {"host": "b", "up": False, "current": False,
                          "note": "bridge not running"}
    assert hosts["main"]["up"] is True and board["current"] is True
    # b's caller and agents are not on the board as if they were still there.
    [queue] = board["queues"]
    assert (queue["callers_waiting"], queue["answered"]) == (0, 1)
    assert [agent["interface"] for agent in board["agents"]] == ["PJSIP/8001"]
    # The lab's own bridge, pushing, shows b down too (a bridge started now: its list of
    # peers is read afresh; the sinks' clock stands still, so it never would be).
    pushed = []
    on_main.emit, on_main.peers = pushed.append, PeerBoards("main")
    on_main.handle(_queued("1.2", T0 + 62, "13800138003"))
    assert {line["host"]: line["up"] for line in pushed[-1]["hosts"]} == {"main": True, "b": False}


def test_with_no_bridge_running_the_board_says_so(console_redis):
    _two_hosts(console_redis)  # no key alive
    board = live.read_wallboard(console_redis, now=T0 + 65)
    assert board["current"] is False and board["note"] == "no bridge running"
    assert [line["up"] for line in board["hosts"]] == [False, False]


def test_the_consoles_watch_pushes_the_board_once_when_a_host_stops(console_redis):
    from agent_console.supervisor.host_watch import HostWatch
    from call_queue.norms import Norms

    _running(console_redis, "main", "b")
    _two_hosts(console_redis)
    sent = []
    first, second = (HostWatch(console_redis, Norms(), lambda event, board: sent.append(board),
                               clock=lambda: T0 + 65) for _ in range(2))
    assert first.check() is True and second.check() is False  # the first look sends it
    assert first.check() is False and sent[-1]["hosts"][1]["up"] is True
    console_redis.delete(alive_key("b"))
    assert [second.check(), first.check()] == [True, False]  # two consoles: sent once
    assert len(sent) == 2 and {line["host"]: line["up"] for line in sent[-1]["hosts"]} \
        == {"main": True, "b": False}
    _running(console_redis, "b")
    assert first.check() is True and sent[-1]["hosts"][0]["up"] is True


def test_the_watch_sends_nothing_for_a_single_host(console_redis):
    from agent_console.supervisor.host_watch import HostWatch
    from call_queue.norms import Norms

    _sink(console_redis, "main", []).handle(ev.BridgeResynced(at=T0))
    sent = []
    assert HostWatch(console_redis, Norms(), lambda e, b: sent.append(b)).check() is False
    assert sent == []
