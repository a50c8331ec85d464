"""Lab tools for the call-control tests: an AMI watcher (queue members: tests.support.lab_calls.Members)."""
from __future__ import annotations

import threading
import time

from telephony.ami.client import AmiConnection


class AmiWatcher:
    """Every event the test-only AMI user sees, kept as plain dicts."""

    def __init__(self, lab):
        self.events: list[dict] = []
        self._changed = threading.Condition()
        self.connection = AmiConnection(lab.ami_host, lab.ami_port, lab.ami_user,
                                        lab.ami_secret, self._on_event)
        self.connection.start()
        assert self.connection.wait_connected(10), "no AMI session to the lab"

    def _on_event(self, message) -> None:
        with self._changed:
            self.events.append(dict(message.items()) if hasattr(message, "items")
                               else dict(message))
            self._changed.notify_all()

    def wait_for(self, predicate, timeout_s: float, what: str) -> dict:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [e.get("Event") for e in self.events[-20:]]
                    raise AssertionError(f"not within {timeout_s} s: {what}; last: {seen}")
                self._changed.wait(remaining)

    def matching(self, predicate) -> list[dict]:
        with self._changed:
            return [event for event in self.events if predicate(event)]

    def channel(self, name: str) -> dict | None:
        """The channel as CoreShowChannels lists it now (application, context, bridge)."""
        response = self.connection.send_action({"Action": "CoreShowChannels"}, timeout=10)
        return next((dict(e.items()) for e in response.events
                     if e.get("Event") == "CoreShowChannel" and e.get("Channel") == name), None)

    def act(self, fields: dict):
        return self.connection.send_action(fields, timeout=10)

    def close(self) -> None:
        self.connection.close()

