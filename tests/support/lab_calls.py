"""Calls and queue members on the lab's Asterisk, as integration and browser tests
drive them: an AMI session of the test's own, the one `Members` tracker, the
resident's call by Originate, and the bridge's rows read back.

The fixtures built from these (control, members, lab_bridge, own_calls) are in
tests/support/lab_fixtures.py, loaded by tests/conftest.py.
"""
from __future__ import annotations

import time

from sqlalchemy import select

from models.calls import Call, RingAttempt
from telephony.ami.client import AmiConnection
from tests import labtools


class RecordingSink:
    """A bridge sink that keeps every normalized event with its arrival time."""

    def __init__(self):
        self.events = []

    def handle(self, event):
        self.events.append((time.monotonic(), event))

    def count(self, name: str) -> int:
        return sum(1 for _, event in self.events if event.name == name)

    def last_time(self, name: str) -> float:
        return max(at for at, event in self.events if event.name == name)


def control_connection(lab) -> AmiConnection:
    """An AMI session of the test's own, for QueueAdd/Originate/QueueStatus."""
    connection = AmiConnection(lab.ami_host, lab.ami_port, lab.ami_user, lab.ami_secret,
                               on_event=lambda message: None, events=())
    connection.start()
    assert connection.wait_connected(10), "no AMI session to the lab"
    return connection


class Members:
    """Queue members a test adds; foreign ones are paused meanwhile, then restored."""

    def __init__(self, control, queue: str):
        self.control, self.queue = control, queue
        self.added: list[str] = []
        self.paused_foreign: list[str] = []

    def pause_foreign(self) -> None:
        """Others' members stop taking calls; callers an earlier run left waiting leave
        (they are ahead of ours in the queue and would take our agents)."""
        status = self.control.send_action({"Action": "QueueStatus", "Queue": self.queue},
                                          timeout=10)
        for entry in status.events:
            if entry.get("Event") == "QueueEntry" and entry.get("Channel"):
                self.control.send_action({"Action": "Hangup", "Channel": entry["Channel"]})
        for interface, member in queue_members(self.control, self.queue).items():
            if member.get("Paused") == "0":
                self.act("QueuePause", interface, Paused="true", Reason="lab test")
                self.paused_foreign.append(interface)

    def add(self, interface: str, member_name: str, penalty: int = 0) -> None:
        """A ready member; a higher penalty is rung only when lower ones cannot be."""
        self.act("QueueRemove", interface)  # a crashed run's leftover
        response = self.act("QueueAdd", interface, MemberName=member_name,
                            Penalty=str(penalty), Paused="false")
        assert response.ok, response.text
        self.added.append(interface)

    def remove(self, interface: str) -> None:
        self.act("QueueRemove", interface)
        self.added.remove(interface)

    def add_lab_phone(self, extension: str, ring: str, talk: str) -> str:
        """Local lab phone 80NN as member faultNN, ringing `ring` s, talking `talk` s."""
        set_lab_phone(self.control, extension, ring=ring, talk=talk)
        interface = local(extension)
        self.add(interface, f"fault{extension[-2:]}")
        return interface

    def act(self, action: str, interface: str, **fields):
        return self.control.send_action(
            {"Action": action, "Queue": self.queue, "Interface": interface, **fields},
            timeout=10)

    def restore(self) -> None:
        for interface in self.added:
            self.act("QueueRemove", interface)
        for interface in self.paused_foreign:
            self.act("QueuePause", interface, Paused="false")


def queue_members(control, queue: str) -> dict[str, dict]:
    status = control.send_action({"Action": "QueueStatus", "Queue": queue}, timeout=10)
    return {member.get("Location") or member.get("Interface"): dict(member)
            for member in status.events if member.get("Event") == "QueueMember"}


def local(extension: str) -> str:
    """The Local channel of lab phone `extension` (it rings, then answers as set)."""
    return f"Local/{extension}@lab-phones/n"


def set_lab_phone(control, extension: str, ring: str, talk: str) -> None:
    for key, value in (("ring", ring), ("talk", talk)):
        assert control.send_action({"Action": "DBPut", "Family": "labphone",
                                    "Key": f"{extension}/{key}", "Val": value}).ok


def hang_up_calls_from(control, number_prefix: str) -> int:
    """End every channel of this test's callers (a failed test must not leave calls up);
    0 when Asterisk itself is down (a fault test's doing)."""
    try:
        channels = control.send_action({"Action": "CoreShowChannels"}, timeout=10).events
    except Exception:  # noqa: BLE001 - Asterisk may be the thing that is down
        return 0
    names = [c["Channel"] for c in channels if c.get("Event") == "CoreShowChannel"
             and (c.get("CallerIDNum", "").startswith(number_prefix)
                  or c.get("ConnectedLineNum", "").startswith(number_prefix))]
    for name in names:
        control.send_action({"Action": "Hangup", "Channel": name})
    return len(names)


def originate(control, lab, caller_number: str, caller_name: str, patience_s: int) -> str:
    """A resident's call to the hotline number (labtools.lab_call_action); its call id."""
    callid, fields = labtools.lab_call_action(lab.hotline_number, caller_number, caller_name,
                                              patience_s)
    response = control.send_action(fields)
    assert response.ok, response.text
    return callid


def originate_patient_caller(control, lab, caller_number: str, caller_name: str,
                             patience_s: int) -> str:
    """A resident's call; unanswered, they hang up after patience_s (Originate's
    Timeout: the Local channel answers only when an agent does)."""
    callid = labtools.new_callid()
    response = control.send_action({
        "Action": "Originate", "Channel": f"Local/{lab.hotline_number}@from-trunk/n",
        "Context": "lab-caller", "Exten": "60", "Priority": "1",
        "CallerID": f'"{caller_name}" <{caller_number}>', "ChannelId": labtools.new_callid(),
        "OtherChannelId": callid, "Async": "true", "Timeout": str(patience_s * 1000)})
    assert response.ok, response.text
    return callid


def calls_by_id(engine, callids=None) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(Call.__table__)).mappings().all()
    return {row["callid"]: dict(row) for row in rows
            if callids is None or row["callid"] in callids}


def attempts_of(engine, callid: str) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(
            select(RingAttempt.__table__).where(RingAttempt.callid == callid)).mappings()]
