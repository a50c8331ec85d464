"""Placing calls in the lab without phones: AMI Originate of Local channels, SIPp.

Test-side tools only; the product's AMI code is in telephony/.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import subprocess
import threading
import time
from pathlib import Path

from asterisk.manager import Manager

SIPP_DIR = Path(__file__).resolve().parent / "sipp"
_sequence = itertools.count(random.randrange(900_000, 990_000))


def new_callid() -> str:
    """A Uniqueid in Asterisk's own form (epoch.sequence) that no real channel uses."""
    return f"{int(time.time())}.{next(_sequence)}"


class EventLog:
    """Collects every AMI event a pyst2 Manager delivers."""

    def __init__(self):
        self.events: list[dict] = []
        self._changed = threading.Condition()

    def __call__(self, event, _manager) -> None:
        with self._changed:
            self.events.append(dict(event.headers))
            self._changed.notify_all()

    def wait_for(self, predicate, timeout_s: float) -> dict:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    names = [e.get("Event") for e in self.events[-30:]]
                    raise AssertionError(f"no matching AMI event in {timeout_s} s; last: {names}")
                self._changed.wait(remaining)

    def matching(self, predicate) -> list[dict]:
        with self._changed:
            return [event for event in self.events if predicate(event)]


@contextlib.contextmanager
def pyst2_manager(lab):
    """A logged-in stock pyst2 Manager with an EventLog attached."""
    manager = Manager()
    manager.connect(lab.ami_host, lab.ami_port)
    manager.login(lab.ami_user, lab.ami_secret)
    events = EventLog()
    manager.register_event("*", events)
    try:
        yield manager, events
    finally:
        try:
            manager.logoff()
            manager.close()
        except Exception:  # pyst2's close() after logoff() raises ValueError
            pass


def action(manager, fields: dict) -> dict:
    response = manager.send_action(dict(fields))
    return dict(response.headers)


def set_lab_phone(manager, extension: str, ring: str = "3", talk: str = "600") -> None:
    """How a Local lab phone (context lab-phones) behaves: ring seconds or 'never', talk seconds."""
    action(manager, {"Action": "DBPut", "Family": "labphone", "Key": f"{extension}/ring", "Val": ring})
    action(manager, {"Action": "DBPut", "Family": "labphone", "Key": f"{extension}/talk", "Val": talk})


def wait_until(predicate, timeout_s: float, what: str = "condition", interval_s: float = 0.05):
    """Poll until predicate() is truthy and return its value; fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def lab_call_action(number: str, caller_number: str, caller_name: str, patience_s: int,
                    callid: str | None = None) -> tuple[str, dict]:
    """The AMI Originate of a resident's call into `number` (context from-trunk).

    Unanswered, the resident gives up after patience_s (Originate's Timeout: with the
    queue's ring-back option the call is answered only when an agent is); answered,
    they talk patience_s and hang up (context lab-caller). OtherChannelId makes the
    queue call's Uniqueid (queue_log's callid) known before the call exists:
    returns (callid, action).
    """
    callid = callid or new_callid()
    return callid, {
        "Action": "Originate", "Channel": f"Local/{number}@from-trunk/n",
        "Context": "lab-caller", "Exten": str(patience_s), "Priority": "1",
        "CallerID": f'"{caller_name}" <{caller_number}>',
        "ChannelId": new_callid(), "OtherChannelId": callid,
        "Async": "true", "Timeout": str(patience_s * 1000),
    }


def originate_lab_call(manager, number: str, caller_number: str, caller_name: str,
                       patience_s: int, callid: str | None = None) -> str:
    """A resident's call through a pyst2 Manager; returns the queue callid."""
    callid, fields = lab_call_action(number, caller_number, caller_name, patience_s, callid)
    response = action(manager, fields)
    assert response.get("Response") == "Success", response
    return callid


def queue_log_lines(lab, callid: str) -> list[list[str]]:
    if not lab.queue_log_path.exists():
        return []
    lines = lab.queue_log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.split("|") for line in lines if f"|{callid}|" in line]


def wait_queue_log(lab, callid: str, verb: str, timeout_s: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for fields in queue_log_lines(lab, callid):
            if fields[4] == verb:
                return fields
        time.sleep(0.1)
    raise AssertionError(f"queue_log has no {verb} for {callid}: {queue_log_lines(lab, callid)}")


class Sipp:
    """A SIPp process (Debian's sip-tester) running one of tests/sipp/*.xml."""

    def __init__(self, scenario: str, args: list[str], log_dir: Path):
        binary = shutil.which("sipp")
        assert binary, "sipp is not installed (Debian package sip-tester)"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{Path(scenario).stem}-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "-sf", str(SIPP_DIR / scenario), "-nostdin",
             "-trace_err", "-error_file", str(self.log_path.with_suffix(".err")), *args],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait(self, timeout_s: float) -> int:
        try:
            return self.process.wait(timeout=timeout_s)
        finally:
            self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


def sipp_agent_phone(extension: str, log_dir: Path, calls: int = 1) -> Sipp:
    """A SIPp UAS playing the lab phone of agent `extension` (port 5100 + NN)."""
    port = 5100 + int(extension) % 100
    return Sipp("agent_phone_uas.xml",
                ["-i", "127.0.0.1", "-p", str(port), "-m", str(calls),
                 "-mp", str(16000 + 2 * (int(extension) % 100) * 2)], log_dir)


def sipp_callers(number: str, callers_csv: Path, log_dir: Path, calls: int = 1,
                 local_port: int = 5090) -> Sipp:
    """SIPp UAC callers into the hotline from the trunk address (127.0.0.1)."""
    return Sipp("caller_uac.xml",
                ["127.0.0.1:5060", "-i", "127.0.0.1", "-p", str(local_port), "-s", number,
                 "-inf", str(callers_csv), "-m", str(calls), "-r", "1",
                 "-mp", str(17000)], log_dir)
