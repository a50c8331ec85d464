"""A bridge sink on a thread of its own.

The AMI dispatch thread runs the state machine and hands events to the sinks in
order; one slow sink (the live board serializes the whole board, writes Redis
and stores agents' state spans in the database) would hold every later event
back, the screen-pop of the next ring among them. `ThreadedSink` gives such a
sink its own worker: `handle` only queues, the worker feeds the sink the same
events in the same order.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

log = logging.getLogger(__name__)

ERROR_LOG_INTERVAL_S = 10.0
_STOP = object()


class ThreadedSink:
    def __init__(self, sink, name: str | None = None):
        self.sink = sink
        self.name = name or type(sink).__name__
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._last_error_logged = 0.0
        self.errors = 0
        self._worker = threading.Thread(target=self._run, name=f"sink-{self.name}",
                                        daemon=True)
        self._worker.start()

    def handle(self, event) -> None:
        self._queue.put(event)

    def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until every event queued so far went through the sink."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def close(self) -> None:
        if not self.drain():
            log.warning("sink %s still busy at shutdown; closing it anyway", self.name)
        self._queue.put(_STOP)
        self._worker.join(5)
        close = getattr(self.sink, "close", None)
        if callable(close):
            close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self.sink.handle(item)
            except Exception:  # noqa: BLE001 - one bad event must not end the worker
                self._log_error(item)

    def _log_error(self, event) -> None:
        self.errors += 1
        now = time.monotonic()
        if now - self._last_error_logged >= ERROR_LOG_INTERVAL_S:
            self._last_error_logged = now
            log.exception("sink %s failed on %s (%d failures so far; further ones muted "
                          "for %.0f s)", self.name, getattr(event, "name", event),
                          self.errors, ERROR_LOG_INTERVAL_S)
