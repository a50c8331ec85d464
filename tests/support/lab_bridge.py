"""A bridge on a database of the test's choosing, against the real lab (under the lab lock)."""
from __future__ import annotations

import dataclasses
import time

from telephony.bridge import Bridge
from tests import labtools


class EventWatcher:
    """A sink that remembers the events it saw (put it last: the bridge feeds sinks in order)."""

    def __init__(self):
        self.events: list = []

    def handle(self, event) -> None:
        self.events.append((time.monotonic(), event))

    def count(self, name: str) -> int:
        return sum(1 for _, event in self.events if event.name == name)


def start_bridge(lab, engine, state_dir) -> tuple[Bridge, EventWatcher]:
    """The bridge writing into `engine`, its spool under `state_dir`, after its first resync."""
    settings = dataclasses.replace(lab.settings, database_url=engine.url.render_as_string(
        hide_password=False), state_dir=state_dir)
    watcher = EventWatcher()
    bridge = Bridge(settings, engine, sinks=[watcher])
    bridge.start()
    labtools.wait_until(lambda: watcher.count("bridge_resynced"), 10, "the bridge's first resync")
    return bridge, watcher
