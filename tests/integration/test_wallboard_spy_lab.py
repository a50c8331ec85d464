"""Listen in from the wallboard's code path against the lab: request_spy ->
CommandClient -> the lab's Redis -> CommandExecutor -> Originate ChanSpy; the
ChanSpyStart/ChanSpyStop that follow are stored as one SpySession.

Run under `flock /tmp/hotline-lab.lock`. The supervisor's phone is a lab phone
(Local channel that answers after a ring); the spied agent is another.
"""
from __future__ import annotations

import dataclasses
import os

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

import models
from call_queue.supervision import SpyRecorder, request_spy
from models.session import make_engine
from models.supervision import SpySession
from telephony import events as ev
from telephony.bridge import Bridge
from telephony.commands import CommandClient, CommandExecutor
from tests.support.lab_calls import RecordingSink, calls_by_id, local, set_lab_phone
from tests.support.lab_calls import originate_patient_caller as originate
from tests.labtools import wait_until

pytestmark = pytest.mark.lab

AGENT, SUPERVISOR = "8084", "8085"


class SpySink:
    def __init__(self, url: str):
        self.recorder = SpyRecorder(url)

    def handle(self, event):
        if isinstance(event, (ev.SpyStarted, ev.SpyStopped)):
            self.recorder.record(event)


@pytest.fixture
def spy_bridge(lab, tmp_path):
    url = f"sqlite:///{tmp_path / 'spy.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    watcher = RecordingSink()  # last: what it has seen, SpySink has stored
    bridge = Bridge(dataclasses.replace(lab.settings, database_url=url), engine,
                    sinks=[SpySink(url), watcher])
    bridge.start()
    wait_until(lambda: watcher.count("bridge_resynced"), 10, "the bridge's first resync")
    yield bridge, watcher, engine
    bridge.stop()


@pytest.fixture
def commands(lab, control):
    name = f"spy-lab-test-{os.getpid()}"
    executor = CommandExecutor(lab.redis_url, control, bridge=name, default_queue=lab.queue,
                               command_key=lab.settings.command_key)
    executor.start()
    yield CommandClient(lab.redis_url, bridge=name, command_key=lab.settings.command_key)
    executor.stop()


def test_listen_request_is_carried_out_and_stored(lab, spy_bridge, control, members, commands):
    _bridge, watcher, engine = spy_bridge
    set_lab_phone(control, AGENT, ring="1", talk="8")
    set_lab_phone(control, SUPERVISOR, ring="1", talk="60")
    members.add(local(AGENT), "spy-agent")
    callid = originate(control, lab, "13800138084", "被监听", patience_s=30)
    call = wait_until(lambda: calls_by_id(engine, [callid]).get(callid, {}).get("agent_channel")
                    and calls_by_id(engine, [callid])[callid], 15, "the agent answered")

    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as session:
        answer = request_spy(session, commands, supervisor_interface=local(SUPERVISOR),
                             spyee_channel=call["agent_channel"], mode="listen",
                             supervisor_user_id=7, callid=callid)
    assert answer["ok"], answer
    wait_until(lambda: watcher.count("spy_started"), 10, "ChanSpyStart")
    wait_until(lambda: watcher.count("spy_stopped"), 20, "ChanSpyStop when the call ended")
    with sessions() as session:
        [stored] = session.scalars(select(SpySession)).all()
    assert (stored.mode, stored.callid, stored.supervisor_user_id) == ("listen", callid, 7)
    assert stored.spyee_channel == call["agent_channel"]
    assert stored.spyer_channel.startswith(local(SUPERVISOR).rsplit("/", 1)[0])
    assert stored.stopped_at is not None and stored.stopped_at >= stored.started_at
