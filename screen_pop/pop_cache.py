"""Screen-pops built ahead: the household lookup starts when the call joins the queue.

The lookup costs several milliseconds of Python (a dozen queries); done at the
ring, fifty rings at once would queue up behind each other in the bridge's
one dispatch thread. Started at QueueCallerJoin in a small thread pool, it is
ready before Asterisk rings a phone, and every ring of the call (ring-all,
re-rings after no answer) reuses it.
"""
from __future__ import annotations

import collections
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)

BUILD_WORKERS = 2
MAX_ENTRIES = 5000


class PopCache:
    def __init__(self, build: Callable[[str, str], dict], workers: int = BUILD_WORKERS,
                 max_entries: int = MAX_ENTRIES):
        self._build = build
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="screen-pop")
        self._futures: collections.OrderedDict[str, Future] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def prepare(self, callid: str, caller_number: str) -> Future:
        """Start building the call's pop unless it is built or being built."""
        with self._lock:
            future = self._futures.get(callid)
            if future is None:
                future = self._pool.submit(self._build, caller_number, callid)
                self._futures[callid] = future
                while len(self._futures) > self._max:  # calls whose end event was lost
                    self._futures.popitem(last=False)
            return future

    def get(self, callid: str, caller_number: str, timeout_s: float) -> dict:
        return self.prepare(callid, caller_number).result(timeout=timeout_s)

    def forget(self, callid: str) -> None:
        with self._lock:
            self._futures.pop(callid, None)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
