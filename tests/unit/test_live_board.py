"""Live board: events change it, Redis holds it, pushes happen only on real change."""
from __future__ import annotations

import json

import pytest
import redis as redis_lib

from call_queue import live, projection as live_state
from telephony import events as ev
from tests.support.settings import live_board_settings

T0 = 1_795_445_475.0


@pytest.fixture
def redis_client(console_redis):
    """The session's private redis-server (tests/support/redis_server.py), flushed."""
    return console_redis


def make_sink(redis_client, now=T0 + 100):
    pushed = []
    sink = live.LiveStateSink(live_board_settings(), redis_client=redis_client,
                              emit=pushed.append, clock=lambda: now, spy_recorder=False,
                              span_recorder=False)
    return sink, pushed


def queued(callid, at, number="13800138000", position=1):
    return ev.CallQueued(at=at, callid=callid, linkedid=callid, queue="hotline",
                         channel=f"PJSIP/trunk-{callid}", caller_number=number,
                         caller_name="张三", dialled_number="4000", position=position)


def member(interface="PJSIP/8001", status="not_in_use", paused=False, in_call=False, at=T0):
    return ev.MemberStatusChanged(at=at, queue="hotline", interface=interface,
                                  member_name=interface[-4:], status=status, paused=paused,
                                  paused_reason="", in_call=in_call)


def answered(callid, at, hold_s, interface="PJSIP/8001"):
    return ev.CallAnswered(at=at, callid=callid, queue="hotline", interface=interface,
                           member_name=interface[-4:], agent_channel=f"{interface}-0001",
                           hold_s=hold_s, ring_s=2)


def abandoned(callid, at, hold_s, outcome="abandoned"):
    return ev.CallAbandoned(at=at, callid=callid, queue="hotline", position=1,
                            original_position=1, hold_s=hold_s, outcome=outcome)


def test_counts_waits_and_service_level(redis_client):
    sink, pushed = make_sink(redis_client)
    for event in [member(), queued("c1", T0), queued("c2", T0 + 10, position=2),
                  queued("c3", T0 + 20, position=3), queued("c4", T0 + 30, position=4),
                  answered("c1", T0 + 25, hold_s=25), abandoned("c2", T0 + 40, hold_s=30),
                  abandoned("c3", T0 + 23, hold_s=3), answered("c5", T0 + 31, 1, "PJSIP/8002")]:
        sink.handle(event)
    board = live.read_wallboard(redis_client, now=T0 + 100)
    [queue] = board["queues"]
    assert [caller["callid"] for caller in queue["waiting"]] == ["c4"]
    assert queue["longest_wait_s"] == 70
    # c3 was a short abandon (3 s <= 5 s): out of offered and abandoned alike.
    assert (queue["offered"], queue["answered"], queue["abandoned"]) == (3, 2, 1)
    assert queue["service_level"] == round(1 / 3, 4)
    agents = {agent["interface"]: agent for agent in board["agents"]}
    assert agents["PJSIP/8001"]["state"] == "talking"
    assert agents["PJSIP/8001"]["caller_number"] == "13800138000"
    assert agents["PJSIP/8001"]["time_in_state_s"] == 75
    assert pushed[-1] == board


def test_no_push_when_nothing_visible_changed(redis_client):
    sink, pushed = make_sink(redis_client)
    sink.handle(member())
    count = len(pushed)
    sink.handle(member(at=T0 + 5))  # same status again: Asterisk repeats itself
    assert len(pushed) == count
    sink.handle(member(status="unavailable", at=T0 + 6))
    assert len(pushed) == count + 1
    assert pushed[-1]["agents"][0]["state"] == "unavailable"


def test_agent_cycle_ringing_talking_wrapup_paused(redis_client):
    sink, pushed = make_sink(redis_client)
    sink.handle(member())
    sink.handle(queued("c1", T0))
    sink.handle(ev.AgentRinging(at=T0 + 1, callid="c1", queue="hotline", interface="PJSIP/8001",
                                member_name="8001", agent_channel="PJSIP/8001-1",
                                caller_number="13800138000", caller_name="张三"))
    assert pushed[-1]["agents"][0]["state"] == "ringing"
    sink.handle(answered("c1", T0 + 4, 4))
    sink.handle(ev.CallEnded(at=T0 + 60, callid="c1", queue="hotline", interface="PJSIP/8001",
                             member_name="8001", hold_s=4, talk_s=56, hung_up_by="caller"))
    agent = live.read_wallboard(redis_client, now=T0 + 70)["agents"][0]
    assert (agent["state"], agent["time_in_state_s"], agent["callid"]) == ("wrapup", 10, "")
    agent = live.read_wallboard(redis_client, now=T0 + 95)["agents"][0]
    assert (agent["state"], agent["time_in_state_s"]) == ("idle", 5)
    sink.handle(ev.MemberPaused(at=T0 + 100, queue="hotline", interface="PJSIP/8001",
                                member_name="8001", paused=True, reason="lunch"))
    assert pushed[-1]["agents"][0]["state"] == "paused"
    assert pushed[-1]["agents"][0]["paused_reason"] == "lunch"


def test_snapshot_replaces_state_and_board_says_when_current(redis_client):
    sink, pushed = make_sink(redis_client)
    sink.handle(ev.BridgeResynced(at=T0))
    sink.handle(member("PJSIP/8009"))
    sink.handle(queued("gone", T0 + 1))
    sink.handle(ev.BridgeDisconnected(at=T0 + 2, reason="AMI closed"))
    assert pushed[-1]["current"] is False
    sink.handle(ev.BridgeConnected(at=T0 + 3))
    snapshot = ev.QueueSnapshotTaken(
        at=T0 + 50,
        members=(ev.QueueMemberState("hotline", "PJSIP/8001", "8001", "in_use", False, "",
                                     True, 3, T0),),
        entries=(ev.QueueEntryState("hotline", "c7", "PJSIP/trunk-7", "13900139000", "李四",
                                    1, 12),))
    sink.handle(snapshot)
    board = pushed[-1]
    assert board["current"] is False and board["note"]
    assert [agent["interface"] for agent in board["agents"]] == ["PJSIP/8001"]
    assert board["agents"][0]["state"] == "talking"
    assert [(c["callid"], c["wait_s"]) for c in board["queues"][0]["waiting"]] == [("c7", 62)]
    sink.handle(ev.BridgeResynced(at=T0 + 51))
    assert pushed[-1]["current"] is True


def test_counters_survive_a_sink_restart_and_reset_next_day(redis_client):
    sink, _ = make_sink(redis_client)
    sink.handle(queued("c1", T0))
    sink.handle(answered("c1", T0 + 3, 3))
    restarted, pushed = make_sink(redis_client)
    assert restarted.board["current"] is False
    restarted.handle(queued("c2", T0 + 10))
    assert pushed[-1]["queues"][0]["offered"] == 2
    restarted.handle(queued("c3", T0 + 86_400))
    assert (pushed[-1]["queues"][0]["offered"], pushed[-1]["queues"][0]["answered"]) == (1, 0)


def test_timeouts_are_not_caller_abandons(redis_client):
    sink, pushed = make_sink(redis_client)
    sink.handle(queued("c1", T0))
    sink.handle(abandoned("c1", T0 + 60, 60, outcome="timeout"))
    queue = pushed[-1]["queues"][0]
    assert (queue["offered"], queue["abandoned"], queue["callers_waiting"]) == (1, 0, 0)


def test_unknown_events_are_ignored(redis_client):
    sink, pushed = make_sink(redis_client)
    sink.handle(ev.RecordingStarted(at=T0, callid="c1", channel="x"))
    assert pushed == []
    assert live_state.apply(live_state.empty_board(T0), ev.RecordingStarted(
        at=T0, callid="c1", channel="x"), live_board_settings()) is False


def test_empty_redis_gives_a_board_that_says_so(redis_client):
    board = live.read_wallboard(redis_client, now=T0)
    assert board["current"] is False and "bridge" in board["note"]
    assert board["queues"] == [] and board["agents"] == []


def test_redis_down_at_start_does_not_keep_the_sink_out(redis_client, tmp_path):
    down = redis_lib.Redis(unix_socket_path=str(tmp_path / "nothing.sock"))
    sink = live.LiveStateSink(live_board_settings(), redis_client=down, emit=lambda board: None,
                              spy_recorder=False, span_recorder=False)
    with pytest.raises(redis_lib.ConnectionError):
        sink.handle(queued("c1", T0))  # the bridge logs this and goes on
    sink.redis = redis_client  # Redis is back
    sink.handle(queued("c2", T0 + 1))
    assert [c["callid"] for c in live.read_wallboard(redis_client, T0 + 2)["queues"][0]
            ["waiting"]] == ["c1", "c2"]


def test_today_is_the_office_day(redis_client):
    settings = live_board_settings(office_timezone="Asia/Shanghai")
    pushed = []
    sink = live.LiveStateSink(settings, redis_client=redis_client, emit=pushed.append,
                              clock=lambda: T0, spy_recorder=False, span_recorder=False)
    # T0 is 2026-11-23 14:51 UTC, 22:51 in Shanghai; two hours on it is the 24th
    # there (counters start again) while still the 23rd in UTC.
    sink.handle(queued("c1", T0))
    assert pushed[-1]["day"] == "2026-11-23"
    sink.handle(queued("c2", T0 + 2 * 3600))
    assert pushed[-1]["day"] == "2026-11-24"
    assert pushed[-1]["queues"][0]["offered"] == 1


def ringing(callid, at, interface="PJSIP/8001"):
    return ev.AgentRinging(at=at, callid=callid, queue="hotline", interface=interface,
                           member_name=interface[-4:], agent_channel=f"{interface}-0001",
                           caller_number="13800138000", caller_name="张三")


def test_a_ring_is_published_before_the_board_is_rendered(redis_client):
    url = "unix://" + redis_client.connection_pool.connection_kwargs["path"]
    subscriber = redis_client.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(live.MESSAGE_QUEUE_CHANNEL)
    out_when_rendered = []

    def clock():  # the board's render asks the time: what had reached Redis by then?
        while message := subscriber.get_message(timeout=0.2):
            out_when_rendered.append(json.loads(message["data"])["event"])
        return T0 + 1

    sink = live.LiveStateSink(live_board_settings(redis_url=url), redis_client=redis_client,
                              emitter=live.BatchedEmitter(url), clock=clock,
                              spy_recorder=False, span_recorder=False)
    out_when_rendered.clear()
    sink.handle(ringing("c1", T0))
    assert out_when_rendered == ["screen_pop"]  # the pop was out, the board not yet
    assert sink.pushes == 1
    board = live.read_wallboard(redis_client, T0 + 1)
    assert board["agents"][0]["state"] == "ringing"


def test_a_hang_up_of_a_channel_not_waiting_leaves_the_board_alone(redis_client):
    sink, pushed = make_sink(redis_client)
    sink.handle(queued("c1", T0))
    count = len(pushed)
    sink.handle(ev.ChannelHungUp(at=T0 + 1, uniqueid="agent-leg", linkedid="c1",
                                 channel="PJSIP/8001-0001", cause=16))
    assert len(pushed) == count
    sink.handle(ev.ChannelHungUp(at=T0 + 2, uniqueid="c1", linkedid="c1",
                                 channel="PJSIP/trunk-c1", cause=16))
    assert len(pushed) == count + 1 and pushed[-1]["queues"][0]["waiting"] == []


def test_a_board_of_the_older_layout_reads_as_no_live_state(redis_client):
    # What a bridge from before call_queue.projection left in Redis (no "present").
    redis_client.set(live.BOARD_KEY, json.dumps({
        "current": True, "note": "", "queues": {}, "spies": {},
        "agents": {"PJSIP/8001": {"name": "Alice", "queues": ["hotline"],
                                  "state": "talking", "state_since": T0}}}))
    board = live.read_wallboard(redis_client, now=T0)
    assert board["agents"] == [] and board["current"] is False
    assert "bridge" in board["note"]
