"""AmiConnection (pyst2 adapter + parser) against the real Asterisk 22 of the lab.

Run under `flock /tmp/hotline-lab.lock`. Reconnect after the server dies is
tested against the fake AMI (tests/unit/test_ami_client.py); the bridge's
tests restart the real Asterisk.
"""
from __future__ import annotations

import threading
import time

import pytest

from telephony.ami.client import AmiConnection
from tests import labtools

pytestmark = pytest.mark.lab


class Events:
    def __init__(self):
        self.messages = []
        self.changed = threading.Condition()

    def __call__(self, message):
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=10.0):
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((m for m in self.messages if predicate(m)), None), timeout)
        assert found, f"no such AMI event in {timeout} s; last: " \
                      f"{[m.event for m in self.messages[-20:]]}"
        return found


@pytest.fixture
def ami(lab):
    events = Events()
    connection = AmiConnection(lab.ami_host, lab.ami_port, lab.ami_user, lab.ami_secret, events)
    connection.start()
    assert connection.wait_connected(10), "no AMI login to the lab within 10 s"
    yield connection, events
    connection.close()


@pytest.mark.parametrize("action, complete", [
    ("QueueStatus", "QueueStatusComplete"),
    ("QueueSummary", "QueueSummaryComplete"),
    ("CoreShowChannels", "CoreShowChannelsComplete"),
])
def test_list_actions_return_every_event_up_to_complete(ami, action, complete):
    connection, _ = ami
    response = connection.send_action({"Action": action}, timeout=5)
    assert response.ok and response.message["EventList"].lower() == "start"
    last = response.events[-1]
    assert last.event == complete and last["EventList"].lower() == "complete"
    assert int(last["ListItems"]) == len(response.events) - 1
    assert all(m.action_id == response.action_id for m in response.events)


def test_queue_status_lists_the_hotline_queue(ami, lab):
    connection, _ = ami
    response = connection.send_action({"Action": "QueueStatus", "Queue": lab.queue})
    assert [m["Queue"] for m in response.events if m.event == "QueueParams"] == [lab.queue]


def test_command_output_keeps_every_line(ami, lab):
    connection, _ = ami
    response = connection.send_action({"Action": "Command",
                                       "Command": f"queue show {lab.queue}"})
    lines = response.message.multi("Output")
    assert response.ok and len(lines) >= 2
    assert lines[0].startswith(lab.queue)


def test_member_added_paused_and_removed_with_matching_events(ami, lab):
    connection, events = ami
    interface, name = "Local/8093@lab-phones/n", "ami-client-test-8093"
    added = connection.send_action({"Action": "QueueAdd", "Queue": lab.queue,
                                    "Interface": interface, "MemberName": name,
                                    "Paused": "false"})
    try:
        assert added.ok, added.text
        events.wait_for(lambda m: m.event == "QueueMemberAdded" and m["Interface"] == interface)
        paused = connection.send_action({"Action": "QueuePause", "Queue": lab.queue,
                                         "Interface": interface, "Paused": "true",
                                         "Reason": "午饭 lunch"})
        assert paused.ok, paused.text
        pause = events.wait_for(lambda m: m.event == "QueueMemberPause"
                                and m["Interface"] == interface)
        assert pause["Paused"] == "1" and pause["PausedReason"] == "午饭 lunch"
    finally:
        removed = connection.send_action({"Action": "QueueRemove", "Queue": lab.queue,
                                          "Interface": interface})
    assert removed.ok, removed.text
    events.wait_for(lambda m: m.event == "QueueMemberRemoved" and m["Interface"] == interface)


def test_escaped_and_chinese_caller_name_arrive_as_said(ami, lab):
    connection, events = ami
    caller_name = "O'Brien 张三"
    callid = labtools.new_callid()
    response = connection.send_action({
        "Action": "Originate", "Channel": f"Local/{lab.hotline_number}@from-trunk/n",
        "Context": "lab-caller", "Exten": "01", "Priority": "1",  # waits 1 s
        "CallerID": f'"{caller_name}" <13800138000>',
        "ChannelId": labtools.new_callid(), "OtherChannelId": callid,
        "Async": "true", "Timeout": "3000"})  # Queue() never answers: gone in 3 s
    assert response.ok, response.text
    hangup = events.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == callid,
                             timeout=20)
    assert hangup["CallerIDNum"] == "13800138000"
    assert hangup["CallerIDName"] == caller_name
    assert connection.manager._parser.stats["unescaped_values"] > 0


def test_every_action_answers_within_its_time_limit(ami):
    connection, _ = ami
    started = time.monotonic()
    for _ in range(50):
        assert connection.send_action({"Action": "Ping"}, timeout=2).message["Ping"] == "Pong"
    assert time.monotonic() - started < 5
