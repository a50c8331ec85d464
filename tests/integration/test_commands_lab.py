"""Console commands end to end: CommandClient -> the lab's Redis -> CommandExecutor
-> AmiConnection -> the lab's Asterisk. Run under `flock /tmp/hotline/lab.lock`.

The executor logs in as the bridge's AMI user (only the rights the bridge has);
a forged or unsigned request pushed straight on the command list does nothing.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid

import pytest
import redis

from telephony.ami.client import AmiConnection
from telephony.command_auth import signed
from telephony.commands import CommandClient, CommandExecutor, request_list_key
from tests import labtools

pytestmark = pytest.mark.lab

INTERFACE = "Local/8094@lab-phones/n"
MEMBER_NAME = "commands-test-8094"
FORGED_AGENT = "Local/8095@lab-phones/n"
FORGED_SUPERVISOR = "Local/8096@lab-phones/n"
SIGNED_AGENT = "Local/8097@lab-phones/n"


class Channels:
    """Every Newchannel the lab reports, seen through the test-only AMI user."""

    def __init__(self):
        self.names: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, message):
        if message.get("Event") == "Newchannel":
            with self._lock:
                self.names.append(message.get("Channel") or "")

    def of(self, interface: str) -> list[str]:
        prefix = interface.removesuffix("/n")
        with self._lock:
            return [name for name in self.names if name.startswith(prefix + "-")]


def _connect(lab, user, secret, on_event, events=None):
    connection = AmiConnection(lab.ami_host, lab.ami_port, user, secret, on_event,
                               **({"events": events} if events is not None else {}))
    connection.start()
    assert connection.wait_connected(10), f"no AMI login to the lab as {user} within 10 s"
    return connection


@pytest.fixture
def bridge_side(lab):
    connection = _connect(lab, lab.bridge_ami_user, lab.bridge_ami_secret, lambda message: None)
    bridge = f"commands-lab-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    executor = CommandExecutor(lab.redis_url, connection, bridge=bridge,
                               default_queue=lab.queue, command_key=lab.settings.command_key)
    executor.start()
    yield executor, connection
    executor.stop()
    connection.send_action({"Action": "QueueRemove", "Queue": lab.queue,
                            "Interface": INTERFACE})  # in case a test stopped half-way
    connection.close()


@pytest.fixture
def console(lab, bridge_side):
    executor, connection = bridge_side
    yield CommandClient(lab.redis_url, bridge=executor.bridge,
                        command_key=lab.settings.command_key), connection


@pytest.fixture
def channels(lab):
    seen = Channels()
    watcher = _connect(lab, lab.ami_user, lab.ami_secret, seen, events=("Newchannel",))
    yield seen, watcher
    for name in list(seen.names):
        if any(name.startswith(agent.removesuffix("/n") + "-")
               for agent in (FORGED_AGENT, FORGED_SUPERVISOR, SIGNED_AGENT)):
            watcher.send_action({"Action": "Hangup", "Channel": name})
    watcher.close()


def member(connection, queue):
    response = connection.send_action({"Action": "QueueStatus", "Queue": queue})
    return next((m for m in response.events
                 if m.event == "QueueMember" and m.get("Location") == INTERFACE), None)


def test_add_pause_unpause_remove_a_member(console, lab):
    client, connection = console
    added = client.call("queue_add", interface=INTERFACE, member_name=MEMBER_NAME)
    assert added["ok"], added
    assert member(connection, lab.queue)["Name"] == MEMBER_NAME

    paused = client.call("queue_pause", interface=INTERFACE, paused=True, reason="lunch",
                         queue=lab.queue)
    assert paused["ok"], paused
    state = member(connection, lab.queue)
    assert state["Paused"] == "1" and state["PausedReason"] == "lunch"

    resumed = client.call("queue_pause", interface=INTERFACE, paused=False)
    assert resumed["ok"], resumed
    assert member(connection, lab.queue)["Paused"] == "0"

    removed = client.call("queue_remove", interface=INTERFACE)
    assert removed["ok"], removed
    assert member(connection, lab.queue) is None


def test_asterisk_refusal_comes_back_as_not_ok(console):
    client, _ = console
    reply = client.call("queue_remove", interface="Local/8099@lab-phones/n")
    assert reply["ok"] is False and reply["message"]


def test_bad_arguments_never_reach_asterisk(console, lab):
    client, connection = console
    reply = client.call("queue_add", interface="Local/8094@lab-phones/n\r\nAction: Logoff")
    assert reply["ok"] is False and "interface" in reply["message"]
    assert member(connection, lab.queue) is None


def _request(bridge: str, name: str, args: dict) -> dict:
    now = time.time()
    return {"id": uuid.uuid4().hex, "bridge": bridge, "name": name, "args": args,
            "issued": now, "deadline": now + 10}


def test_forged_originate_and_spy_pushed_on_the_list_do_nothing(
        lab, bridge_side, channels, caplog):
    executor, _ = bridge_side
    seen, _ = channels
    store = redis.Redis.from_url(lab.redis_url)
    forged_originate = signed(b"a key the attacker guessed", _request(
        executor.bridge, "originate_call",
        {"agent_interface": FORGED_AGENT, "number": "13800138000"}))
    unsigned_spy = _request(executor.bridge, "spy", {
        "supervisor_interface": FORGED_SUPERVISOR, "spyee_channel": "PJSIP/8001-00000001",
        "mode": "barge"})
    with caplog.at_level(logging.WARNING, logger="telephony.commands"):
        # What `redis-cli RPUSH <list> '<json>'` does.
        store.rpush(request_list_key(executor.bridge), json.dumps(forged_originate),
                    json.dumps(unsigned_spy))
        labtools.wait_until(lambda: len(executor.refusals) == 2, 5, "both refused")
        time.sleep(2)  # an Originate would have made its channel by now
    assert [(r.name, r.reason) for r in executor.refusals] == [
        ("originate_call", "bad signature"), ("spy", "unsigned")]
    assert seen.of(FORGED_AGENT) == [] and seen.of(FORGED_SUPERVISOR) == []
    refused = [r.getMessage() for r in caplog.records if "refused command" in r.getMessage()]
    assert len(refused) == 2 and forged_originate["id"] in refused[0]


def test_a_signed_originate_rings_the_agent(lab, console, channels):
    client, _ = console
    seen, _ = channels
    reply = client.call("originate_call", agent_interface=SIGNED_AGENT, number="13800138000")
    assert reply["ok"], reply
    labtools.wait_until(lambda: seen.of(SIGNED_AGENT), 10, "the agent's phone rings")
