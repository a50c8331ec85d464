"""The hotline queue's announcements and cap in the lab: the twin queue <queue>-line
(queues.conf.tmpl; the lab's own queue stays silent for the other tests), chosen by
AstDB hotline/line while a test runs; Asterisk's verbose log in a file of the
test's own, to see which prompt files app_queue played on which channel."""
from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

from tests import labtools
from tests.support.lab_calls import Members

PLAYING = re.compile(r"<(?P<channel>[^>]+)> Playing '(?P<file>[^']+)\.\w+' \(language '(?P<lang>\w+)'\)")


@contextlib.contextmanager
def lab_switch(control, key: str, value: str = "on"):
    """AstDB hotline/<key> = value while the block runs (the lab dialplan's switches)."""
    assert control.send_action({"Action": "DBPut", "Family": "hotline", "Key": key,
                                "Val": value}).ok
    try:
        yield
    finally:
        control.send_action({"Action": "DBDel", "Family": "hotline", "Key": key})


@contextlib.contextmanager
def line_members(control, queue: str):
    tracker = Members(control, queue)
    tracker.pause_foreign()
    try:
        yield tracker
    finally:
        tracker.restore()


class VerboseLog:
    """A temporary logger channel with verbose messages at level 3 (Playing '...')."""

    def __init__(self, lab, name: str):
        self.lab, self.name = lab, name
        self.path = Path(lab.root) / "var/log/asterisk" / name

    def __enter__(self) -> "VerboseLog":
        # verbose(3): this channel alone gets level-3 messages; the root console and
        # the lab's own logs stay as they are.
        self.lab.cli(f"logger add channel {self.name} verbose(3)")
        return self

    def __exit__(self, *_exc) -> None:
        self.lab.cli(f"logger remove channel {self.name}")

    def played(self) -> list[tuple[str, str, str]]:
        """(channel, file, language) for every file Asterisk played, in order."""
        text = self.path.read_text(errors="replace") if self.path.exists() else ""
        return [(m["channel"], m["file"], m["lang"]) for m in PLAYING.finditer(text)]


def queue_holdtime(control, queue: str) -> int:
    status = control.send_action({"Action": "QueueStatus", "Queue": queue}, timeout=10)
    params = next(e for e in status.events if e.get("Event") == "QueueParams")
    return int(params["Holdtime"])


def place_call(control, lab, number: str, patience_s: int) -> tuple[str, str]:
    """(the queue call's id, the id of the resident's own half, where keys are pressed)."""
    callid, action = labtools.lab_call_action(lab.hotline_number, number, "排队测试", patience_s)
    assert control.send_action(action).ok
    return callid, action["ChannelId"]


def place_calls(control, lab, numbers: list[str], patience_s: int, gap_s: float) -> list[str]:
    callids = []
    for number in numbers:
        callids.append(place_call(control, lab, number, patience_s)[0])
        time.sleep(gap_s)
    return callids


def channel_of(control, uniqueid: str, timeout_s: float = 10) -> str:
    """The name of the channel with this Uniqueid (e.g. a lab caller's own half)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        listing = control.send_action({"Action": "CoreShowChannels"}, timeout=10)
        for event in listing.events:
            if event.get("Uniqueid") == uniqueid:
                return event["Channel"]
        time.sleep(0.2)
    raise AssertionError(f"no channel {uniqueid}")


def press(control, channel: str, digit: str) -> None:
    response = control.send_action({"Action": "PlayDTMF", "Channel": channel, "Digit": digit,
                                    "Duration": "200"})
    assert response.ok, response.text


@contextlib.contextmanager
def fastagi_on_the_lab_port(settings, scripts: dict):
    from telephony.ivr.fastagi import start_fastagi_server

    try:
        server = start_fastagi_server(settings, scripts)
    except OSError as error:
        raise AssertionError(f"cannot listen on the lab's FastAGI port "
                             f"{settings.fastagi_port}: {error}") from error
    try:
        yield server
    finally:
        server.stop()
