"""A loop on its own thread that runs one round of an engine every few seconds until
stopped. A round that raises is logged and the loop goes on: one bad round (the
database away for a moment, a row it cannot read) must not end the calls the engine
places for the rest of the day."""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, name: str, tick: Callable[[], object], tick_s: float):
        self.name, self.tick, self.tick_s = name, tick, tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - see the module's docstring
                log.exception("%s: a round failed; trying again", self.name)
            self._stop.wait(self.tick_s)
