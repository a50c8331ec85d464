"""Console commands end to end: CommandClient -> the lab's Redis -> CommandExecutor
-> AmiConnection -> the lab's Asterisk. Run under `flock /tmp/hotline-lab.lock`."""
from __future__ import annotations

import os

import pytest

from telephony.ami_client import AmiConnection
from telephony.commands import CommandClient, CommandExecutor

pytestmark = pytest.mark.lab

INTERFACE = "Local/8094@lab-phones/n"
MEMBER_NAME = "commands-test-8094"


@pytest.fixture
def console(lab):
    connection = AmiConnection(lab.ami_host, lab.ami_port, lab.ami_user, lab.ami_secret,
                               lambda message: None)
    connection.start()
    assert connection.wait_connected(10), "no AMI login to the lab within 10 s"
    bridge = f"commands-lab-test-{os.getpid()}"
    executor = CommandExecutor(lab.redis_url, connection, bridge=bridge,
                               default_queue=lab.queue)
    executor.start()
    yield CommandClient(lab.redis_url, bridge=bridge), connection
    executor.stop()
    connection.send_action({"Action": "QueueRemove", "Queue": lab.queue,
                            "Interface": INTERFACE})  # in case a test stopped half-way
    connection.close()


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
