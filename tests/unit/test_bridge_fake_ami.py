"""The bridge end to end against a fake AMI server replaying Asterisk 22's own bytes.

Real sockets, the real AmiConnection, the real database writer; only Asterisk is
replaced. The lab tests (tests/integration/test_bridge*.py) do the same with a
real Asterisk.
"""
from __future__ import annotations

import dataclasses
import time

import pytest
from sqlalchemy import select

from hotline.settings import get_settings
from models.calls import Call
from models.session import make_engine
from telephony import events as ev
from telephony.bridge import Bridge
from tests.unit.ami_fake import FakeAmi, frame

SECRET = "s3cret"


class RecordingSink:
    def __init__(self):
        self.events = []

    def handle(self, event):
        self.events.append(event)

    def names(self):
        return [event.name for event in self.events]


class BrokenSink:
    def handle(self, event):
        raise RuntimeError("this sink is broken")


def _list_responder(event_frames):
    def respond(action):
        action_id = action.action_id
        return ([frame(Response="Success", ActionID=action_id, EventList="start",
                       Message="will follow")]
                + [frame(**fields, ActionID=action_id) for fields in event_frames()]
                + [frame(Event=f"{action.get('Action')}Complete", ActionID=action_id,
                         EventList="Complete")])
    return respond


@pytest.fixture
def fake_ami():
    server = FakeAmi(secret=SECRET)
    server.alive_channels = []
    server.responders["CoreShowChannels"] = _list_responder(
        lambda: [{"Event": "CoreShowChannel", "Uniqueid": uid, "Linkedid": uid}
                 for uid in server.alive_channels])
    server.responders["QueueSummary"] = _list_responder(
        lambda: [{"Event": "QueueSummary", "Queue": "hotline", "LoggedIn": "1"}])
    yield server
    server.stop()


@pytest.fixture
def bridge_setup(fake_ami, sqlite_url, tmp_path, monkeypatch):
    monkeypatch.delenv("HOTLINE_AMI_SECRET", raising=False)
    secret_file = tmp_path / "ami-secret"
    secret_file.write_text(SECRET + "\n")
    settings = dataclasses.replace(
        get_settings(), ami_host="127.0.0.1", ami_port=fake_ami.port,
        ami_secret_file=secret_file, queue_log_path=tmp_path / "queue_log",
        recordings_dir=tmp_path / "monitor", database_url=sqlite_url)
    engine = make_engine(sqlite_url)
    sink = RecordingSink()
    bridge = Bridge(settings, engine, sinks=[BrokenSink(), sink])
    bridge.start()
    # Stopping a connection still in its first connect() is a race of its own.
    _wait_for(lambda: "bridge_resynced" in sink.names())
    yield bridge, sink, engine
    bridge.stop()


def _events_of(path) -> bytes:
    data = path.read_bytes()
    return data[data.index(b"\r\n") + 2:]  # without the greeting line


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _calls(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        return {row["callid"]: dict(row)
                for row in connection.execute(select(Call.__table__)).mappings()}


def test_transcript_becomes_records_and_events(bridge_setup, fake_ami, shared_ami_dir):
    bridge, sink, engine = bridge_setup
    _wait_for(lambda: "bridge_resynced" in sink.names())
    fake_ami.send_all(_events_of(shared_ami_dir / "local-channels-two-answered.ami"))
    calls = _wait_for(lambda: (lambda c: len(c) == 2 and all(r["outcome"] for r in c.values())
                               and c)(_calls(engine)))
    assert {r["talk_s"] for r in calls.values()} == {5, 4}
    names = sink.names()
    assert names[:3] == ["bridge_connected", "queue_snapshot_taken", "bridge_resynced"]
    assert names.count("call_queued") == 2 and names.count("call_ended") == 2
    assert "channel_created" not in names  # internal to the state machine


def test_asterisk_restart_closes_calls_from_queue_log(bridge_setup, fake_ami, shared_ami_dir):
    bridge, sink, engine = bridge_setup
    _wait_for(lambda: "bridge_resynced" in sink.names())
    fake_ami.send_all(_events_of(shared_ami_dir / "queue-pause-answer-abandon.ami"))
    expected = {"1795445683.18": None, "1795445683.19": "abandoned", "1795445684.21": None}
    _wait_for(lambda: {c: r["outcome"] for c, r in _calls(engine).items()} == expected)
    # Asterisk dies; while it is away .18 ends (queue_log says so), .21 leaves no trace.
    fake_ami.stop()
    _wait_for(lambda: "bridge_disconnected" in sink.names())
    bridge.settings.queue_log_path.write_text(
        "1795445683|1795445683.18|hotline|NONE|ENTERQUEUE||13800138000|1\n"
        "1795445687|1795445683.18|hotline|PJSIP/agent1|CONNECT|4|1795445683.20|4\n"
        "1795445720|1795445683.18|hotline|PJSIP/agent1|COMPLETECALLER|4|33|1\n")
    fake_ami.start()
    _wait_for(lambda: sink.names().count("bridge_resynced") == 2)
    calls = _wait_for(lambda: (lambda c: c["1795445684.21"]["outcome"] and c)(_calls(engine)))
    closed = calls["1795445683.18"]
    assert (closed["outcome"], closed["talk_s"], closed["hung_up_by"]) == (
        "answered", 33, "caller")
    assert closed["caller_name"] == "张三"  # kept from before the restart
    assert calls["1795445684.21"]["outcome"] == "ended_unseen"
    assert len(calls) == 3


def test_calls_still_alive_after_reconnect_are_followed(bridge_setup, fake_ami, shared_ami_dir):
    bridge, sink, engine = bridge_setup
    _wait_for(lambda: "bridge_resynced" in sink.names())
    fake_ami.send_all(_events_of(shared_ami_dir / "queue-pause-answer-abandon.ami"))
    _wait_for(lambda: len(_calls(engine)) == 3)
    fake_ami.alive_channels = ["1795445683.18", "1795445684.21"]
    fake_ami.stop()
    _wait_for(lambda: "bridge_disconnected" in sink.names())
    fake_ami.start()
    _wait_for(lambda: sink.names().count("bridge_resynced") == 2)
    assert _calls(engine)["1795445684.21"]["outcome"] is None
    fake_ami.send_all(frame(
        Event="AgentComplete", Uniqueid="1795445684.21", Queue="hotline",
        Interface="PJSIP/agent1", MemberName="Agent 1001", HoldTime="8", TalkTime="12",
        Reason="agent"))
    calls = _wait_for(lambda: (lambda c: c["1795445684.21"]["outcome"] and c)(_calls(engine)))
    call = calls["1795445684.21"]
    assert (call["outcome"], call["talk_s"], call["wait_s"], call["caller_name"]) == (
        "answered", 12, 8, "李四")
    assert sink.names().count("call_ended") == 1


def test_the_root_builds_the_live_sink_and_stops_on_one_it_cannot_build(
        fake_ami, sqlite_url, tmp_path, monkeypatch, private_redis_server):
    """The composition root (hotline.bridge_root) builds the real sinks: a ring from
    AMI reaches the projection in Redis with its pop; a sink that cannot be built
    stops start-up, naming it, and the ones built before it are closed."""
    import json

    import models
    import redis as redis_lib

    from call_queue import live
    from hotline.bridge_root import SINK_BUILDERS, build_bridge
    from hotline.errors import BridgeStartError

    monkeypatch.delenv("HOTLINE_AMI_SECRET", raising=False)
    (tmp_path / "ami-secret").write_text(SECRET + "\n")
    settings = dataclasses.replace(
        get_settings(), ami_host="127.0.0.1", ami_port=fake_ami.port,
        ami_secret_file=tmp_path / "ami-secret", queue_log_path=tmp_path / "queue_log",
        recordings_dir=tmp_path / "monitor", database_url=sqlite_url,
        redis_url=private_redis_server.url)
    engine = make_engine(sqlite_url)
    models.Base.metadata.create_all(engine)
    redis_client = redis_lib.Redis.from_url(private_redis_server.url)

    def broken(settings):
        raise ValueError("no such thing")

    with pytest.raises(BridgeStartError) as refused:
        build_bridge(settings, engine, builders=SINK_BUILDERS + (("recordings", broken),))
    assert str(refused.value) == ("bridge not started: the recordings sink cannot be "
                                  "built: ValueError: no such thing")

    bridge = build_bridge(settings, engine)
    assert [sink.name for sink in bridge.sinks] == ["live state"]
    bridge.start()
    try:
        _wait_for(lambda: live.read_wallboard(redis_client)["current"])  # resynced
        call = dict(Uniqueid="1800000000.9", Linkedid="1800000000.9", Queue="hotline",
                    Channel="PJSIP/trunk-0009", CallerIDNum="13800138000", CallerIDName="")
        fake_ami.send_all(frame(Event="QueueCallerJoin", Position="1", Count="1", **call))
        _wait_for(lambda: live.read_wallboard(redis_client)["queues"])
        fake_ami.send_all(frame(Event="AgentCalled", Interface="PJSIP/8001", MemberName="8001",
                                DestChannel="PJSIP/8001-0009", DestUniqueid="1800000000.10",
                                **call))
        ringing = _wait_for(lambda: redis_client.hget(live.AGENT_KEY_PREFIX + "PJSIP/8001",
                                                      "ringing"))
        pop = json.loads(ringing)["pop"]  # looked up in the database: nobody has the number
        assert (pop["callid"], pop["unknown"], pop["number"]["normalized"]) == (
            "1800000000.9", True, "13800138000")
        assert "lookup_failed" not in pop
        board = _wait_for(lambda: (lambda b: b["agents"][0]["callid"] and b)(
            live.read_wallboard(redis_client)))
        assert board["agents"][0]["state"] == "ringing"
        assert board["queues"][0]["waiting"][0]["callid"] == "1800000000.9"
    finally:
        bridge.stop()


def test_process_survives_a_raising_sink(bridge_setup):
    bridge, sink, _ = bridge_setup
    bridge.process(ev.MemberPaused(at=1.0, queue="q", interface="PJSIP/1", member_name="1",
                                   paused=True, reason="lunch"))
    assert sink.names()[-1] == "member_paused"


def test_queue_log_tells_a_timeout_from_an_abandon(bridge_setup, fake_ami):
    bridge, sink, engine = bridge_setup
    bridge.settings.queue_log_path.write_text(
        "1800000000|1800000000.7|hotline|NONE|ENTERQUEUE||138|1\n"
        "1800000060|1800000000.7|hotline|NONE|EXITWITHTIMEOUT|1|1|60\n")
    fake_ami.send_all(
        frame(Event="QueueCallerJoin", Uniqueid="1800000000.7", Linkedid="1800000000.7",
              Queue="hotline", CallerIDNum="138", Position="1", Timestamp="1800000000.5")
        + frame(Event="QueueCallerAbandon", Uniqueid="1800000000.7", Queue="hotline",
                Position="1", OriginalPosition="1", HoldTime="60", Timestamp="1800000060.5"))
    _wait_for(lambda: "call_abandoned" in sink.names())
    [abandoned] = [e for e in sink.events if e.name == "call_abandoned"]
    assert abandoned.outcome == "timeout"
    calls = _wait_for(lambda: (lambda c: c.get("1800000000.7", {}).get("outcome") and c)(
        _calls(engine)))
    assert (calls["1800000000.7"]["outcome"], calls["1800000000.7"]["wait_s"]) == ("timeout", 60)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_hotline_bridge_process_stops_cleanly_on_sigterm(fake_ami, sqlite_url, tmp_path,
                                                         shared_ami_dir):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "HOTLINE_AMI_PORT": str(fake_ami.port), "HOTLINE_AMI_SECRET": SECRET,
           "HOTLINE_DATABASE_URL": sqlite_url, "HOTLINE_STATE_DIR": str(tmp_path),
           "HOTLINE_FASTAGI_BIND": f"127.0.0.1:{_free_port()}",
           # Nothing listens there: the live sink keeps retrying Redis, the bridge runs on.
           "HOTLINE_REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
           "HOTLINE_QUEUE_LOG": str(tmp_path / "queue_log"),
           "HOTLINE_RECORDINGS_DIR": str(tmp_path / "monitor")}
    process = subprocess.Popen([str(Path(sys.executable).with_name("hotline")), "bridge"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: any(a.get("Action") == "CoreShowChannels" for a in fake_ami.actions),
                  15)
        fake_ami.send_all(_events_of(shared_ami_dir / "local-channels-two-answered.ami"))
        engine = make_engine(sqlite_url)
        _wait_for(lambda: len(_calls(engine)) == 2 and all(
            r["outcome"] for r in _calls(engine).values()))
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    log = process.stdout.read().decode(errors="replace")
    assert "stopping the bridge" in log
    assert "bridge running" in log  # the live sink, without its Redis, did not stop it
    assert any(a.get("Action") == "Logoff" for a in fake_ami.actions)


def test_records_wait_in_the_spool_while_the_database_is_away(fake_ami, tmp_path, monkeypatch,
                                                              shared_ami_dir):
    import models

    monkeypatch.delenv("HOTLINE_AMI_SECRET", raising=False)
    (tmp_path / "ami-secret").write_text(SECRET + "\n")
    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"  # no tables yet: every commit fails
    settings = dataclasses.replace(
        get_settings(), ami_host="127.0.0.1", ami_port=fake_ami.port,
        ami_secret_file=tmp_path / "ami-secret", state_dir=tmp_path / "state",
        queue_log_path=tmp_path / "queue_log", recordings_dir=tmp_path / "monitor",
        database_url=url)
    engine = make_engine(url)
    first = RecordingSink()
    bridge = Bridge(settings, engine, sinks=[first])
    bridge.start()
    try:
        _wait_for(lambda: "bridge_connected" in first.names())
        fake_ami.send_all(_events_of(shared_ami_dir / "local-channels-two-answered.ami"))
        _wait_for(lambda: first.names().count("call_ended") == 2)
        _wait_for(lambda: bridge.writer.spool.pending >= 1)
        assert "bridge_resynced" not in first.names()  # it needs the database
    finally:
        bridge.stop()  # stopped while the database is still away
    models.Base.metadata.create_all(engine)
    second = RecordingSink()
    again = Bridge(settings, engine, sinks=[second])
    again.start()
    try:
        calls = _wait_for(lambda: (lambda c: len(c) == 2 and all(
            r["outcome"] == "answered" for r in c.values()) and c)(_calls(engine)), 10)
        assert {r["caller_name"] for r in calls.values()} == {"Owner", "Other"}
        _wait_for(lambda: "bridge_resynced" in second.names())
        assert again.writer.spool.pending == 0
    finally:
        again.stop()


def test_a_failed_resync_is_retried(fake_ami, tmp_path, monkeypatch):
    import models
    from telephony import bridge as bridge_module

    monkeypatch.setattr(bridge_module, "RESYNC_RETRY_S", 0.2)
    monkeypatch.setenv("HOTLINE_AMI_SECRET", SECRET)
    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    settings = dataclasses.replace(
        get_settings(), ami_host="127.0.0.1", ami_port=fake_ami.port,
        state_dir=tmp_path / "state", queue_log_path=tmp_path / "queue_log",
        recordings_dir=tmp_path / "monitor", database_url=url)
    engine = make_engine(url)
    sink = RecordingSink()
    bridge = Bridge(settings, engine, sinks=[sink])
    bridge.start()
    try:
        _wait_for(lambda: "bridge_connected" in sink.names())
        time.sleep(0.5)
        assert "bridge_resynced" not in sink.names()
        models.Base.metadata.create_all(engine)
        _wait_for(lambda: "bridge_resynced" in sink.names(), 5)
        assert sum(a.get("Action") == "QueueStatus" for a in fake_ami.actions) >= 2
    finally:
        bridge.stop()


def test_a_key_exit_is_stored_as_queue_log_says(bridge_setup, fake_ami):
    """The keep-my-place callback's 1: Asterisk raises QueueCallerLeave, no abandon,
    then the channel hangs up after the booking's prompt. The call ends as queue_log
    says (exit_key, its wait); the machine's record written after the refinement does
    not put "abandoned" back."""
    bridge, _sink, engine = bridge_setup
    bridge.settings.queue_log_path.write_text(
        "1800000000|1800000000.7|hotline|NONE|ENTERQUEUE||138|1\n"
        "1800000005|1800000000.7|hotline|NONE|EXITWITHKEY|1|1|1|5\n")
    fake_ami.send_all(
        frame(Event="QueueCallerJoin", Uniqueid="1800000000.7", Linkedid="1800000000.7",
              Queue="hotline", CallerIDNum="138", Position="1", Timestamp="1800000000.5")
        + frame(Event="QueueCallerLeave", Uniqueid="1800000000.7", Queue="hotline",
                Position="1", Timestamp="1800000005.5")
        + frame(Event="Hangup", Uniqueid="1800000000.7", Linkedid="1800000000.7",
                Channel="PJSIP/x-1", Cause="16", Timestamp="1800000013.5"))
    _wait_for(lambda: _calls(engine).get("1800000000.7", {}).get("outcome") == "exit_key")
    # The next event writes the machine's changed records, the refined one among them.
    fake_ami.send_all(frame(Event="QueueCallerJoin", Uniqueid="1800000020.8",
                            Linkedid="1800000020.8", Queue="hotline", CallerIDNum="139",
                            Position="1", Timestamp="1800000020.5"))
    _wait_for(lambda: "1800000020.8" in _calls(engine))
    time.sleep(0.5)
    call = _calls(engine)["1800000000.7"]
    assert (call["outcome"], call["wait_s"]) == ("exit_key", 5)
