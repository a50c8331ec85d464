"""pyst2 0.5.1's `asterisk.manager.Manager` with its known defects fixed, in one place.

`PatchedManager` subclasses pyst2's Manager and keeps its action helpers
(`login`, `ping`, `originate`, `command`, `hangup`, ...), its exceptions and its
ActionID sequence. It replaces the methods that carry a defect; each is named
in the method's docstring and has a test in tests/unit/test_ami_client.py:

1. one byte per recv (`makefile(buffering=0)` iterated by line): the reader does
   `recv(64 KiB)` into `telephony.ami.protocol.AmiParser`;
2. a `ChanVariable` header kills the reader thread (`dict.has_key`), after which
   every action blocks forever: the parser keeps repeated headers, and any error
   while routing one message is logged and the reader carries on;
3. `send_action(cdict={})` mutates a default dict shared by every call: the
   fields are copied;
4. responses are not matched to ActionIDs (a FIFO of anonymous waiters): each
   action waits on its own ActionID, with a time limit;
5. list actions (QueueStatus, QueueSummary, CoreShowChannels) are swallowed into
   one response: events carrying the action's ActionID are collected from
   `EventList: start` to `EventList: Complete`;
6. no reconnect (threads are created once in `__init__`): `connect()` starts
   fresh threads each time and works again after a disconnect;
7. `close()` after `logoff()` raises `ValueError: I/O operation on closed file`:
   `close()` is idempotent and never raises.

Reconnect policy, keepalive and event delivery live one level up, in
`telephony.ami.client.AmiConnection`.
"""
from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import socket
import threading
import time
from typing import Callable

from asterisk.manager import Manager

from telephony.ami.protocol import AmiMessage, AmiParser, encode_action
from telephony.errors import (AmiAuthError, AmiConnectionError, AmiProtocolError,
                              AmiTimeoutError)

log = logging.getLogger(__name__)

RECV_BYTES = 64 * 1024
_action_counter = itertools.count(1)


@dataclasses.dataclass
class AmiResponse:
    """An action's response and, for list actions, the events up to `...Complete`."""

    message: AmiMessage
    events: list[AmiMessage] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.message.response in ("Success", "Goodbye", "Follows")

    @property
    def action_id(self) -> str | None:
        return self.message.action_id

    @property
    def text(self) -> str:
        """Asterisk's `Message:` header ("Interface paused successfully", ...)."""
        return self.message.get("Message", "")

    # pyst2's helpers (login) read responses through these two.
    @property
    def headers(self) -> AmiMessage:
        return self.message

    def get_header(self, name: str, default=None):
        return self.message.get(name, default)

    def __getitem__(self, name: str) -> str:
        return self.message[name]


class _PendingAction:
    """One action waiting for its response (and its list events)."""

    def __init__(self, action: str):
        self.action = action
        self.done = threading.Event()
        self.response: AmiMessage | None = None
        self.events: list[AmiMessage] = []
        self.listing = False
        self.error: Exception | None = None
        self.is_login = False

    def take(self, message: AmiMessage) -> bool:
        """Record a message with this ActionID; False if it is not part of the reply."""
        if self.response is None and message.response is not None:
            self.response = message
            self.listing = message.get("EventList", "").lower() == "start"
        elif self.listing and message.event is not None:
            if message.get("EventList", "").lower() == "complete":
                self.listing = False
            self.events.append(message)
        else:
            return False
        if not self.listing:
            self.done.set()
        return True

    def fail(self, error: Exception) -> None:
        if self.done.is_set():
            return  # answered just before the link dropped (Logoff's Goodbye)
        self.error = error
        self.done.set()


class PatchedManager(Manager):
    """One AMI TCP connection with pyst2's API; `connect()` again after a disconnect."""

    def __init__(self, on_event: Callable[[AmiMessage], None],
                 on_disconnected: Callable[[str], None] | None = None,
                 parser_events: set[str] | None = None):
        super().__init__()
        self._on_event = on_event
        self._on_disconnected = on_disconnected
        self._parser_events = parser_events
        self._pending: dict[str, _PendingAction] = {}
        self._pending_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._greeted = threading.Event()
        self.disconnected = threading.Event()
        self.disconnected.set()
        self.on_login: Callable[[], None] | None = None
        self.last_received = 0.0
        self.reads = 0  # recv() calls and bytes, to show the reader is buffered
        self.bytes_read = 0
        self._id_prefix = f"hotline-{os.getpid()}-{id(self) & 0xffff:04x}"

    # -- connection -------------------------------------------------------------

    def connect(self, host: str, port: int = 5038, timeout: float = 3.0) -> str:
        """Open the socket, start a fresh reader thread, return the greeting.

        Fixes defect 6: pyst2 starts threads built once in __init__, so a second
        connect() raises RuntimeError; here every connect() gets its own reader.
        """
        if self._connected.is_set():
            raise AmiConnectionError("already connected to AMI")
        try:
            sock = socket.create_connection((host, int(port)), timeout=timeout)
        except OSError as error:
            raise AmiConnectionError(f"cannot reach AMI at {host}:{port}: {error}") from error
        sock.settimeout(None)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock = sock
        self._parser = AmiParser(events=self._parser_events)
        self._greeted.clear()
        self.disconnected.clear()
        self._connected.set()
        self._running.set()
        self._reader = threading.Thread(target=self._read_loop, args=(sock, self._parser),
                                         name=f"ami-reader-{host}:{port}", daemon=True)
        self._reader.start()
        if not self._greeted.wait(timeout) or self._parser.greeting is None:
            self.close()
            raise AmiConnectionError(f"no AMI greeting from {host}:{port} within {timeout} s")
        self.title, _, self.version = self._parser.greeting.partition("/")
        return self._parser.greeting

    def login(self, username: str, secret: str, timeout: float = 5.0) -> AmiResponse:
        """Log in; AmiAuthError when Asterisk refuses. `on_login` runs in the reader
        thread before any later message, so no event overtakes the news of the login."""
        response = self.send_action({"Action": "Login", "Username": username,
                                     "Secret": secret}, timeout=timeout, _login=True)
        if not response.ok:
            raise AmiAuthError(f"AMI login refused for {username!r}: {response.text}")
        return response

    def logoff(self) -> AmiResponse | None:
        """Log off if still connected; None when the link is already gone."""
        if not self._connected.is_set():
            return None
        try:
            return self.send_action({"Action": "Logoff"}, timeout=2.0)
        except AmiConnectionError:
            return None

    def close(self) -> None:
        """Log off and close; idempotent and never raises (fixes defect 7)."""
        if getattr(self, "_connected", None) is None:
            return  # __init__ did not finish (pyst2's __del__ still calls close)
        if self._connected.is_set() and self._greeted.is_set():
            self.logoff()
        self.abort("closed by us")
        reader = getattr(self, "_reader", None)
        # ident is None while connect() (another thread) has made the reader but not
        # yet started it; that reader then finds _running cleared and ends by itself.
        if (reader is not None and reader.ident is not None
                and reader is not threading.current_thread()):
            reader.join(timeout=2.0)

    def abort(self, reason: str) -> None:
        """Drop the link now (keepalive failure, shutdown); the reader ends itself."""
        self._running.clear()
        sock = getattr(self, "_sock", None)
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._mark_disconnected(reason)

    # -- actions ----------------------------------------------------------------

    def send_action(self, cdict: dict | None = None, timeout: float = 5.0,
                    _login: bool = False, **kwargs) -> AmiResponse:
        """Send one action and wait for ITS response (and list events).

        Fixes defects 3 (the fields are copied, never a shared default), 4 (matched
        by ActionID, not by arrival order) and 5 (EventList events collected).
        Raises AmiTimeoutError after `timeout` s, AmiConnectionError when the link
        is down or drops while waiting: never blocks forever.
        """
        fields = dict(cdict or {})
        fields.update(kwargs)
        if not self._connected.is_set():
            raise AmiConnectionError(f"AMI not connected ({fields.get('Action')} not sent)")
        action_id = str(fields.setdefault("ActionID", f"{self._id_prefix}-{next(_action_counter)}"))
        payload = encode_action(fields)
        pending = _PendingAction(str(fields.get("Action")))
        pending.is_login = _login
        with self._pending_lock:
            if action_id in self._pending:
                raise AmiProtocolError(f"ActionID {action_id!r} is already waiting")
            self._pending[action_id] = pending
        try:
            self._write(payload)
            if not pending.done.wait(timeout):
                raise AmiTimeoutError(
                    f"AMI did not answer {pending.action} (ActionID {action_id}) in {timeout} s")
        finally:
            with self._pending_lock:
                self._pending.pop(action_id, None)
        if pending.error is not None:
            raise pending.error
        return AmiResponse(pending.response, pending.events)

    def _write(self, payload: bytes) -> None:
        try:
            with self._send_lock:
                self._sock.sendall(payload)
        except OSError as error:
            self.abort(f"send failed: {error}")
            raise AmiConnectionError(f"AMI link lost while sending: {error}") from error

    # -- reader thread ----------------------------------------------------------

    def _read_loop(self, sock: socket.socket, parser: AmiParser) -> None:
        """Buffered reads through the parser (fixes defect 1: 1 byte per recv)."""
        reason = "connection closed by Asterisk"
        try:
            while self._running.is_set():
                data = sock.recv(RECV_BYTES)
                if not data:
                    break
                self.last_received = time.monotonic()
                self.reads += 1
                self.bytes_read += len(data)
                for message in parser.feed(data):
                    self._route_safely(message)
                if parser.greeting is not None:
                    self._greeted.set()
        except OSError as error:
            reason = f"AMI read failed: {error}"
        finally:
            self.connection_lost(sock, reason)
            self._greeted.set()  # wake connect() if it still waits for a greeting
            try:
                sock.close()
            except OSError:
                pass

    def _route_safely(self, message: AmiMessage) -> None:
        """Fixes defect 2: one odd message is logged, never the end of the reader."""
        try:
            self._route(message)
        except Exception:  # noqa: BLE001 - the reader must survive any one message
            log.exception("AMI: could not route message %r", dict(message))

    def _route(self, message: AmiMessage) -> None:
        action_id = message.action_id
        if action_id is not None:
            with self._pending_lock:
                pending = self._pending.get(action_id)
            if pending is not None and pending.take(message):
                if pending.is_login and pending.done.is_set() and message.response == "Success" \
                        and self.on_login is not None:
                    self.on_login()
                return
        if message.event is not None:
            self._on_event(message)
        elif message.response is not None:
            log.debug("AMI: response nobody waits for: %r", dict(message))

    def connection_lost(self, sock: socket.socket, reason: str) -> None:
        """The reader of `sock` ended. A reader of a link already aborted (and maybe
        replaced by a new connect()) must not mark the new link as lost."""
        if sock is self._sock:
            self._mark_disconnected(reason)

    def _mark_disconnected(self, reason: str) -> None:
        with self._pending_lock:
            if not self._connected.is_set():
                return
            self._connected.clear()
            waiting = list(self._pending.values())
        for pending in waiting:
            pending.fail(AmiConnectionError(
                f"AMI link lost waiting for {pending.action}: {reason}"))
        log.info("AMI disconnected: %s", reason)
        self.disconnected.set()
        if self._on_disconnected is not None:
            self._on_disconnected(reason)
