"""Calls into the lab's fee IVR from a test: the FastAGI server in the test process
on the lab's FastAGI port, the IVR's steps watched as they happen, keys pressed on
the caller's half of a Local channel (AMI PlayDTMF). Shared by the IVR's lab tests
and the cashier's."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from models.ivr import IvrSession
from telephony.ivr import prompts
from tests import labtools

STEP_TIMEOUT_S = 25


class StepWatch:
    """Sees the IVR's steps as they happen, per call id."""

    def __init__(self):
        self.steps: dict[str, list[dict]] = {}
        self.channels: dict[str, str] = {}
        self._changed = threading.Condition()

    def __call__(self, record, step) -> None:
        with self._changed:
            self.steps.setdefault(record.callid, []).append(step)
            self.channels[record.callid] = record.channel
            self._changed.notify_all()

    def wait_listening(self, callid: str, prompt: str, after: int = 0) -> int:
        """Wait until the IVR starts playing `prompt`; its step index."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        with self._changed:
            while True:
                for index, step in enumerate(self.steps.get(callid, [])[after:], after):
                    if step["kind"] == "play" and step["prompt"] == prompt:
                        return index
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"IVR never asked with {prompt}: {self.steps.get(callid)}")
                self._changed.wait(remaining)


def lab_runs_this_ivr(lab):
    """The lab runs this checkout's [ivr-fee-balance] and has the Mandarin prompts."""
    from hotline.lab_config import render_all

    settings = lab.settings
    prompts.build_prompts(settings.sounds_dir)
    assert prompts.missing_prompts(settings.sounds_dir) == []
    installed = settings.lab_root / "etc/asterisk/extensions.conf"
    wanted = render_all(settings)["extensions.conf"]
    if installed.read_text(encoding="utf-8") != wanted:
        installed.write_text(wanted, encoding="utf-8")
        lab.cli("dialplan reload")
    return settings


def press(manager, channel: str, keys: str) -> None:
    for key in keys:
        response = labtools.action(manager, {"Action": "PlayDTMF", "Channel": channel,
                                             "Digit": key, "Duration": "120"})
        assert response.get("Response") == "Success", response
        time.sleep(0.15)


def call_ivr(manager, lab, caller_number: str) -> tuple[str, str]:
    """Originate a call into the IVR; the caller's half just waits. (callid, caller half id)."""
    callid, caller_half = labtools.new_callid(), labtools.new_callid()
    response = labtools.action(manager, {
        "Action": "Originate", "Channel": f"Local/{lab.ivr_number}@from-trunk/n",
        "Application": "Wait", "Data": "90", "CallerID": f'"IVR test" <{caller_number}>',
        "ChannelId": caller_half, "OtherChannelId": callid, "Async": "true",
        "Timeout": "15000"})
    assert response.get("Response") == "Success", response
    return callid, caller_half


def hang_up(manager, *channels: str) -> None:
    for channel in channels:
        labtools.action(manager, {"Action": "Hangup", "Channel": channel})


def stored_session(factory, callid: str, timeout_s: float = 10) -> IvrSession:
    deadline = time.monotonic() + timeout_s
    while True:
        with factory() as session:
            row = session.scalars(select(IvrSession).where(IvrSession.callid == callid)).first()
        if row is not None and row.outcome != "in_progress":
            return row
        assert time.monotonic() < deadline, f"IVR session {callid} not closed: {row}"
        time.sleep(0.2)


def getvar(manager, channel: str, name: str) -> str:
    response = labtools.action(manager, {"Action": "Getvar", "Channel": channel,
                                         "Variable": name})
    assert response.get("Response") == "Success", response
    return response.get("Value", "")
