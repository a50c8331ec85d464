"""The one projection: any order of calls' events agrees with QueueStatus at the end;
the wallboard and the agent console read the same agents; spies survive a database outage."""
from __future__ import annotations

import random

from hypothesis import given, settings as hypothesis_settings, strategies as st

from agent_console.live import AgentLiveStore
from call_queue import board_view, live, projection
from call_queue.supervision import SpyRecorder
from telephony import events as ev
from tests.support.settings import live_board_settings

T0 = 1_795_445_475.0
AGENTS = ("PJSIP/8001", "PJSIP/8002", "PJSIP/8003")
SETTINGS = live_board_settings()  # read once: hypothesis runs the property 150 times


def member(interface, at, status="not_in_use", paused=False, reason="", in_call=False):
    return ev.MemberStatusChanged(at=at, queue="hotline", interface=interface,
                                  member_name=interface[-4:], status=status, paused=paused,
                                  paused_reason=reason, in_call=in_call)


def call_transcript(callid: str, interface: str, fate: str, at: float) -> list:
    """One call as the normalizer reports it: waiting, ringing, talking or ended."""
    steps = [ev.CallQueued(at=at, callid=callid, linkedid=callid, queue="hotline",
                           channel=f"PJSIP/trunk-{callid}", caller_number="13800138000",
                           caller_name="", dialled_number="4000", position=1)]
    if fate == "waiting":
        return steps
    steps.append(ev.AgentRinging(at=at + 1, callid=callid, queue="hotline", interface=interface,
                                 member_name=interface[-4:], agent_channel=f"{interface}-1",
                                 caller_number="13800138000", caller_name=""))
    if fate == "ringing":
        return steps
    steps.append(ev.CallAnswered(at=at + 2, callid=callid, queue="hotline", interface=interface,
                                 member_name=interface[-4:], agent_channel=f"{interface}-1",
                                 hold_s=2, ring_s=1))
    if fate == "talking":
        return steps
    steps.append(ev.CallEnded(at=at + 3, callid=callid, queue="hotline", interface=interface,
                              member_name=interface[-4:], hold_s=2, talk_s=1,
                              hung_up_by="caller"))
    return steps


def snapshot_of(fates: dict, paused: dict, at: float) -> ev.QueueSnapshotTaken:
    """What QueueStatus reports at the end of those calls."""
    talking = {interface for interface, fate in fates.values() if fate == "talking"}
    ringing = {interface for interface, fate in fates.values() if fate == "ringing"}
    members = tuple(
        ev.QueueMemberState("hotline", interface, interface[-4:],
                            "in_use" if interface in talking
                            else "ringing" if interface in ringing else "not_in_use",
                            paused[interface], "lunch" if paused[interface] else "",
                            interface in talking, 0, T0)
        for interface in AGENTS)
    entries = tuple(ev.QueueEntryState("hotline", callid, f"PJSIP/trunk-{callid}",
                                       "13800138000", "", 1, 5)
                    for callid, (_, fate) in sorted(fates.items())
                    if fate in ("waiting", "ringing"))
    return ev.QueueSnapshotTaken(at=at, members=members, entries=entries)


def visible(board: projection.Board, now: float) -> dict:
    """What QueueStatus can tell: who waits, each agent's state and availability."""
    return {
        "waiting": sorted(callid for queue in board["queues"].values()
                          for callid in queue["waiting"]),
        "agents": {interface: (agent["availability"], agent["paused_reason"], agent["in_call"],
                               board_view.render_agent(interface, agent, now)["state"])
                   for interface, agent in board["agents"].items() if agent["present"]},
    }


def interleave(transcripts: list, seed: int) -> list:
    """A random interleaving that keeps each call's own order."""
    chooser, queues, merged = random.Random(seed), [list(t) for t in transcripts if t], []
    while queues:
        picked = chooser.choice(queues)
        merged.append(picked.pop(0))
        if not picked:
            queues.remove(picked)
    return merged


# Each agent takes at most one call that rings or talks at the end (as Asterisk would).
fates_strategy = st.fixed_dictionaries({
    interface: st.sampled_from(["none", "waiting", "ringing", "talking", "ended"])
    for interface in AGENTS})


@hypothesis_settings(max_examples=150, deadline=None)
@given(fates=fates_strategy, pauses=st.tuples(*[st.booleans() for _ in AGENTS]),
       seed=st.integers(0, 2**32))
def test_any_interleaving_agrees_with_a_snapshot_taken_at_its_end(fates, pauses, seed):
    config = SETTINGS
    calls = {f"c{index}": (interface, fate) for index, (interface, fate)
             in enumerate(fates.items()) if fate != "none"}
    paused = dict(zip(AGENTS, pauses))
    transcripts = [call_transcript(callid, interface, fate, T0 + 10)
                    for callid, (interface, fate) in calls.items()]
    end = T0 + 100
    followed = projection.empty_board(T0)
    for interface in AGENTS:  # the agents log in before the calls come
        projection.apply(followed, member(interface, T0), config)
    for event in interleave(transcripts, seed):
        projection.apply(followed, event, config)
    for interface in AGENTS:
        if paused[interface]:
            projection.apply(followed, ev.MemberPaused(
                at=T0 + 50, queue="hotline", interface=interface,
                member_name=interface[-4:], paused=True, reason="lunch"), config)
    snapshot = snapshot_of(calls, paused, end)
    from_snapshot = projection.empty_board(end)
    projection.apply(from_snapshot, snapshot, config)
    # The projection followed from events already is what QueueStatus says...
    assert visible(followed, end) == visible(from_snapshot, end)
    # ...and taking the snapshot on top of it changes nothing a screen shows.
    projection.apply(followed, snapshot, config)
    assert visible(followed, end) == visible(from_snapshot, end)


def test_the_wallboard_and_the_agent_console_read_the_same_agents(console_redis):
    sink = live.LiveStateSink(live_board_settings(), redis_client=console_redis,
                              emit=lambda board: None, clock=lambda: T0 + 20,
                              spy_recorder=False, span_recorder=False)
    transcript = [member("PJSIP/8001", T0), member("PJSIP/8002", T0),
                  member("PJSIP/8003", T0, status="unavailable"),
                  *call_transcript("c1", "PJSIP/8001", "talking", T0 + 1),
                  *call_transcript("c2", "PJSIP/8002", "ringing", T0 + 2),
                  ev.MemberPaused(at=T0 + 5, queue="hotline", interface="PJSIP/8003",
                                  member_name="8003", paused=True, reason="lunch")]
    sink.handle_batch(transcript)
    wallboard = {agent["interface"]: agent
                 for agent in live.read_wallboard(console_redis, now=T0 + 20)["agents"]}
    store = AgentLiveStore(console_redis)
    console = {interface: store.get(interface) for interface in AGENTS}
    for interface in AGENTS:
        seen, own = wallboard[interface], console[interface]
        assert own["state"]["activity"] == seen["state"]
        assert own["state"]["reason"] == seen["paused_reason"]
        shown = own.get("call") or own.get("ringing") or {}
        assert shown.get("callid", "") == seen["callid"]
    assert [wallboard[i]["state"] for i in AGENTS] == ["talking", "ringing", "paused"]
    assert [console[i]["state"]["label"] for i in AGENTS] == ["ready", "ready", "paused"]
    assert store.call_part("PJSIP/8001", "c1")["answered_at"] == T0 + 3


def test_a_database_outage_keeps_no_spy_off_the_wallboard(console_redis):
    # Nothing listens on port 1: every write is an OperationalError, as in an outage.
    recorder = SpyRecorder("postgresql+psycopg://hotline@127.0.0.1:1/hotline")
    sink = live.LiveStateSink(live_board_settings(), redis_client=console_redis,
                              emit=lambda board: None, spy_recorder=recorder, span_recorder=False)
    sink.handle(ev.SpyStarted(at=T0, spyer_channel="PJSIP/8100-1",
                              spyee_channel="PJSIP/8001-1"))
    spies = live.read_wallboard(console_redis, now=T0 + 1)["spies"]
    assert [spy["spyee_channel"] for spy in spies] == ["PJSIP/8001-1"]
    assert not sink.drain(1.0) and sink.database.waiting == 1  # kept, to be written later
