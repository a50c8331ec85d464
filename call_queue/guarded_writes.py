"""Database writes of the live sink (spy sessions, agent state spans), kept off its path.

The board and the consoles must never wait on, or fail with, the database:
`GuardedWrites.submit(write, *args)` queues the write for one worker thread
that runs them in order. While the database is away (OperationalError,
InterfaceError: an outage) the worker keeps the writes and tries again with a
growing pause, keeping at most MAX_PENDING (then the oldest is dropped, and
said so); a write the database refuses (an integrity or data error, a bug) is
logged with what it was given and dropped, so one bad row never blocks the
rows after it. The call writer (telephony.call_writer) does the same for
call records, with its spool on disk.
"""
from __future__ import annotations

import collections
import logging
import threading
from typing import Callable

from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0
_OUTAGE = (OperationalError, InterfaceError)


class GuardedWrites:
    def __init__(self, name: str, retry_first_s: float = RETRY_FIRST_S):
        self.name = name
        self.refused = 0
        self.dropped = 0
        self._retry_first_s = retry_first_s
        self._pending: collections.deque = collections.deque()
        self._wake = threading.Condition()
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()
        self._worker = threading.Thread(target=self._run, name=f"db-{name}", daemon=True)
        self._worker.start()

    def submit(self, write: Callable, *args) -> None:
        with self._wake:
            if len(self._pending) >= MAX_PENDING:
                self._pending.popleft()
                self.dropped += 1
                log.error("%s: %d writes waiting for the database; oldest dropped",
                          self.name, MAX_PENDING)
            self._pending.append((write, args))
            self._idle.clear()
            self._wake.notify()

    def drain(self, timeout_s: float = 5.0) -> bool:
        """True once every write so far is done (or refused); False while the database is away."""
        return self._idle.wait(timeout_s)

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def close(self, timeout_s: float = 5.0) -> None:
        if not self.drain(timeout_s):
            log.error("%s: %d writes not stored at shutdown (database away)", self.name,
                      len(self._pending))
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._worker.join(timeout_s)

    def _run(self) -> None:
        pause = self._retry_first_s
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._idle.set()
                    self._wake.wait()
                if self._closed:
                    return
                write, args = self._pending[0]
            try:
                write(*args)
            except _OUTAGE as error:
                log.warning("%s: database away (%s); %d writes wait, retry in %.1f s",
                            self.name, str(error).splitlines()[0], len(self._pending), pause)
                with self._wake:
                    self._wake.wait(pause)
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            except Exception:  # noqa: BLE001 - a refused row must not block the others
                self.refused += 1
                log.exception("%s: the database refused %s%r; dropped", self.name,
                              getattr(write, "__qualname__", write), args)
            pause = self._retry_first_s
            with self._wake:
                self._pending.popleft()
