"""The bridge resyncs again when Asterisk says FullyBooted.

Asterisk accepts AMI logins while it is still loading modules (a restart, a
crash recovery). A resync at that moment finds no queue: the live board and the
agents' consoles would show no members until some member event came. Found by
tests/integration/test_faults.py (Asterisk killed and restarted).
"""
from __future__ import annotations

import dataclasses
import time

from hotline.settings import get_settings
from models.session import make_engine
from telephony import events as ev
from telephony.ami.adapter import AmiResponse
from telephony.ami.protocol import AmiMessage
from telephony.bridge import Bridge


def _message(**fields) -> AmiMessage:
    message = AmiMessage()
    for name, value in fields.items():
        message.add(name, value)
    return message


class BootingAsterisk:
    """send_action as Asterisk answers it before and after app_queue is loaded."""

    def __init__(self):
        self.booted = False

    def send_action(self, fields: dict, timeout: float = 5.0) -> AmiResponse:
        action = fields["Action"]
        if action.startswith("Queue") and not self.booted:
            return AmiResponse(_message(Response="Error",
                                        Message=f"Invalid/unknown command: {action}"))
        events = []
        if action == "QueueStatus":
            events = [_message(Event="QueueMember", Queue="hotline", Location="PJSIP/8001",
                               Name="agent01", Status="1", Paused="0", InCall="0")]
        return AmiResponse(_message(Response="Success"), events)


class RecordingSink:
    def __init__(self):
        self.events = []

    def handle(self, event):
        self.events.append(event)


def _bridge(tmp_path):
    import models

    url = f"sqlite:///{tmp_path / 'boot.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    settings = dataclasses.replace(get_settings(), database_url=url, state_dir=tmp_path,
                                   queue_log_path=tmp_path / "queue_log")
    sink = RecordingSink()
    bridge = Bridge(settings, make_engine(url), sinks=[sink],
                    connection_factory=lambda *args: None)
    asterisk = BootingAsterisk()
    bridge.connection = asterisk
    return bridge, sink, asterisk


def test_fully_booted_resyncs_what_a_login_during_boot_could_not_see(tmp_path):
    bridge, sink, asterisk = _bridge(tmp_path)
    try:
        bridge.on_connected()  # logged in while Asterisk still loads its modules
        assert not [e for e in sink.events if isinstance(e, ev.QueueSnapshotTaken)]
        asterisk.booted = True
        bridge.on_message(_message(Event="FullyBooted", Status="Fully Booted"))
        bridge.on_message(_message(Event="FullyBooted", Status="Fully Booted"))
        snapshots = [e for e in sink.events if isinstance(e, ev.QueueSnapshotTaken)]
        assert [[m.interface for m in s.members] for s in snapshots] == [["PJSIP/8001"]]
        assert isinstance(sink.events[-1], ev.BridgeResynced) and bridge.resyncs == 1
        # The fallback timer of that session has nothing left to do.
        bridge.run_due_tasks(time.monotonic() + 60)
        assert bridge.resyncs == 1
    finally:
        bridge.stop()


def test_without_fully_booted_the_bridge_resyncs_after_a_while(tmp_path):
    bridge, sink, asterisk = _bridge(tmp_path)
    asterisk.booted = True
    try:
        bridge.on_connected()  # an AMI user without the system class never sees it
        assert bridge.resyncs == 0
        bridge.run_due_tasks(time.monotonic() + 60)
        assert bridge.resyncs == 1
    finally:
        bridge.stop()


class SlowAsterisk(BootingAsterisk):
    """Answers QueueStatus only when the test lets it (a busy or hung Asterisk)."""

    def __init__(self):
        super().__init__()
        self.booted = True
        import threading

        self.answer = threading.Event()
        self.asked = threading.Event()

    def send_action(self, fields: dict, timeout: float = 5.0) -> AmiResponse:
        if fields["Action"] == "QueueStatus":
            self.asked.set()
            self.answer.wait(timeout)
        return super().send_action(fields, timeout)


def test_events_flow_while_a_timed_resync_waits_on_asterisk(tmp_path):
    import threading

    bridge, sink, _ = _bridge(tmp_path)
    asterisk = SlowAsterisk()
    bridge.connection = asterisk
    try:
        bridge.on_connected()
        timer = threading.Thread(target=bridge.run_due_tasks, args=(time.monotonic() + 60,))
        timer.start()
        assert asterisk.asked.wait(5)
        started = time.monotonic()
        bridge.on_message(_message(Event="QueueMemberPause", Queue="hotline",
                                   Interface="PJSIP/8001", MemberName="agent01",
                                   Paused="1", PausedReason="lunch"))
        # The pause went through at once, not after the resync's QueueStatus.
        assert time.monotonic() - started < 1.0
        assert any(isinstance(e, ev.MemberPaused) for e in sink.events)
        asterisk.answer.set()
        timer.join(5)
        assert bridge.resyncs == 1
    finally:
        asterisk.answer.set()
        bridge.stop()
