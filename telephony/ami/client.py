"""The bridge's AMI link: connect, log in, follow events, reconnect, answer actions.

`AmiConnection` runs pyst2 (through `telephony.ami.adapter.PatchedManager`, the
one place where pyst2 0.5.1's defects are fixed) in a supervisor thread that
reconnects with an exponential back-off capped at `max_backoff_s` (1 s by
default), so the bridge follows calls again within about a second of Asterisk
accepting connections. A keepalive `Ping` after `keepalive_s` of silence detects
a link cut without a FIN.

Events, and the news of (re)connection and loss, are delivered on ONE dispatch
thread, in arrival order: `on_connected()` comes after the login and before any
event of that session, so the bridge can resync (QueueStatus, ...) from inside
it; events that arrive meanwhile wait their turn. The reader thread never runs
callbacks, so a slow sink cannot make Asterisk drop us for a slow read
(manager.conf `writetimeout`).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, Iterable

from telephony.ami.adapter import AmiResponse, PatchedManager
from telephony.ami.protocol import AmiMessage
from telephony.errors import AmiAuthError, AmiConnectionError

log = logging.getLogger(__name__)

_CONNECTED = "connected"
_DISCONNECTED = "disconnected"
_STOP = None


class AmiConnection:
    """A self-healing AMI session; see the module docstring for threads and order."""

    def __init__(self, host: str, port: int, username: str, secret: str,
                 on_event: Callable[[AmiMessage], None],
                 on_connected: Callable[[], None] | None = None,
                 on_disconnected: Callable[[str], None] | None = None,
                 *, events: Iterable[str] | None = None, max_backoff_s: float = 1.0,
                 keepalive_s: float = 10.0, connect_timeout_s: float = 3.0):
        self.host, self.port = host, int(port)
        self._username, self._secret = username, secret
        self._on_event = on_event
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self.max_backoff_s = max_backoff_s
        self.keepalive_s = keepalive_s
        self.connect_timeout_s = connect_timeout_s
        self._deliveries: queue.SimpleQueue = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._announced = False
        self._threads: list[threading.Thread] = []
        self.sessions = 0  # successful logins so far (1 + reconnects)
        self.manager = PatchedManager(on_event=self._deliveries.put,
                                      on_disconnected=self._lost,
                                      parser_events=set(events) if events is not None else None)
        self.manager.on_login = self._logged_in

    # -- public API ---------------------------------------------------------------

    def start(self) -> None:
        """Start the supervisor and dispatch threads; returns at once."""
        if self._threads:
            raise RuntimeError("AmiConnection already started")
        self._threads = [
            threading.Thread(target=self._supervise, name="ami-supervisor", daemon=True),
            threading.Thread(target=self._dispatch, name="ami-dispatch", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def send_action(self, fields: dict, timeout: float = 5.0) -> AmiResponse:
        """Send an action and return its response (+ list events), matched by ActionID.

        While reconnecting it waits for the link within the same `timeout`; raises
        AmiConnectionError (or AmiTimeoutError) instead of blocking forever.
        """
        deadline = time.monotonic() + timeout
        if self._stopping.is_set():
            raise AmiConnectionError("AMI connection is closed")
        if not self._ready.wait(timeout):
            raise AmiConnectionError(
                f"AMI not connected to {self.host}:{self.port} ({fields.get('Action')} not sent)")
        return self.manager.send_action(fields, timeout=max(0.01, deadline - time.monotonic()))

    def close(self) -> None:
        """Log off, stop every thread; idempotent, safe from inside a callback."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.manager.close()
        self._deliveries.put(_STOP)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=3.0)

    # -- supervisor thread --------------------------------------------------------

    def _supervise(self) -> None:
        backoff = 0.05
        while not self._stopping.is_set():
            try:
                self.manager.connect(self.host, self.port, timeout=self.connect_timeout_s)
                self.manager.login(self._username, self._secret, timeout=self.connect_timeout_s)
            except AmiAuthError as error:
                log.error("%s; retrying in %.1f s", error, self.max_backoff_s)
                self.manager.close()
                backoff = self.max_backoff_s
            except AmiConnectionError as error:
                log.info("AMI connect failed (%s); retrying in %.2f s", error, backoff)
                self.manager.close()
            else:
                backoff = 0.05
                self._follow()
                continue
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff_s)
        self.manager.close()  # close() may have raced with a connect in progress

    def _follow(self) -> None:
        """Wait while connected; ping when Asterisk has been silent too long."""
        manager = self.manager
        while not self._stopping.is_set() and not manager.disconnected.wait(0.25):
            if time.monotonic() - manager.last_received < self.keepalive_s:
                continue
            try:
                manager.send_action({"Action": "Ping"}, timeout=min(3.0, self.keepalive_s))
            except AmiConnectionError as error:
                manager.abort(f"keepalive failed: {error}")

    # -- callbacks from the reader thread -----------------------------------------

    def _logged_in(self) -> None:
        self._announced = True
        self.sessions += 1
        self._deliveries.put((_CONNECTED, None))
        self._ready.set()

    def _lost(self, reason: str) -> None:
        self._ready.clear()
        if self._announced:
            self._announced = False
            self._deliveries.put((_DISCONNECTED, reason))

    # -- dispatch thread ------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            item = self._deliveries.get()
            if item is _STOP:
                return
            try:
                if isinstance(item, AmiMessage):
                    self._on_event(item)
                elif item[0] == _CONNECTED:
                    if self._on_connected is not None:
                        self._on_connected()
                elif self._on_disconnected is not None:
                    self._on_disconnected(item[1])
            except Exception:  # noqa: BLE001 - one bad callback must not stop the stream
                log.exception("AMI callback failed on %r", item)
