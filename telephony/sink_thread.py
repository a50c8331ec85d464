"""A bridge sink on a thread of its own.

The AMI dispatch thread runs the state machine and hands events to the sinks in
order; one slow sink (the live board serializes the whole board, writes Redis
and stores agents' state spans in the database) would hold every later event
back, the screen-pop of the next ring among them. `ThreadedSink` gives such a
sink its own worker: `handle` only queues, the worker feeds the sink the same
events in the same order. A sink with `handle_batch(events)` is given whatever
queued up meanwhile in one call (the live sink writes a batch in one Redis
round trip); one with `on_arrival(event)` sees each event on the bridge's
thread before it is queued (it must only start work, never wait).

A sink with `push_batch(events)` and `flush()` splits what is urgent from what
can wait (the live sink: pops first, the board's JSON and the database writes
after): the worker pushes each batch at once, PUSH_BATCH events at most, and
flushes once no event came for SETTLE_S, at the latest MAX_DEFER_S after the first
batch not yet flushed, and before a drain or close returns.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

log = logging.getLogger(__name__)

ERROR_LOG_INTERVAL_S = 10.0
MAX_BATCH = 500
# A deferring sink pushes at most this many events at a time: fifty rings at once
# go out in five round trips, the first ten pops on their way to the console (and
# the browsers) while the other forty are still being built, instead of all fifty
# waiting for the last one to be ready.
PUSH_BATCH = 10
# Rings of one burst reach the sink within a millisecond or two of each other.
SETTLE_S = 0.01
MAX_DEFER_S = 0.2
_STOP = object()


class ThreadedSink:
    def __init__(self, sink, name: str | None = None):
        self.sink = sink
        self.name = name or type(sink).__name__
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._last_error_logged = 0.0
        self.errors = 0
        self._on_arrival = getattr(sink, "on_arrival", None)
        self._batched = callable(getattr(sink, "handle_batch", None))
        self._deferring = all(callable(getattr(sink, name, None))
                              for name in ("push_batch", "flush"))
        self._unflushed_since: float | None = None
        self._worker = threading.Thread(target=self._run, name=f"sink-{self.name}",
                                        daemon=True)
        self._worker.start()

    def handle(self, event) -> None:
        if self._on_arrival is not None:
            self._on_arrival(event)
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
        pending = None
        while True:
            if pending is not None:
                item, pending = pending, None
            else:
                item = self._next()
                if item is None:
                    self._flush()
                    continue
            if item is _STOP or isinstance(item, threading.Event):
                self._flush()  # what was pushed before the marker is complete after it
                if item is _STOP:
                    return
                item.set()
                continue
            if not self._batched:
                self._feed(self.sink.handle, item, item)
                continue
            batch = [item]
            limit = PUSH_BATCH if self._deferring else MAX_BATCH
            while len(batch) < limit:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP or isinstance(item, threading.Event):
                    pending = item  # markers wait until the events before them are done
                    break
                batch.append(item)
            if not self._deferring:
                self._feed(self.sink.handle_batch, batch, batch[-1])
                continue
            self._feed(self.sink.push_batch, batch, batch[-1])
            if self._unflushed_since is None:
                self._unflushed_since = time.monotonic()
            elif time.monotonic() - self._unflushed_since >= MAX_DEFER_S:
                self._flush()

    def _next(self):
        """The next item; None when the sink's deferred work is due (no event came)."""
        if self._unflushed_since is None:
            return self._queue.get()
        wait_s = min(SETTLE_S, self._unflushed_since + MAX_DEFER_S - time.monotonic())
        try:
            return self._queue.get(timeout=wait_s) if wait_s > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None

    def _flush(self) -> None:
        if self._unflushed_since is not None:
            self._unflushed_since = None
            self._feed(self.sink.flush, None, "flush")

    def _feed(self, handle, argument, event) -> None:
        try:
            if argument is None:
                handle()
            else:
                handle(argument)
        except Exception:  # noqa: BLE001 - one bad event must not end the worker
            self._log_error(event)

    def _log_error(self, event) -> None:
        self.errors += 1
        now = time.monotonic()
        if now - self._last_error_logged >= ERROR_LOG_INTERVAL_S:
            self._last_error_logged = now
            log.exception("sink %s failed on %s (%d failures so far; further ones muted "
                          "for %.0f s)", self.name, getattr(event, "name", event),
                          self.errors, ERROR_LOG_INTERVAL_S)
