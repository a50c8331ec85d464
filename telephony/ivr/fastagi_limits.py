"""What keeps a hostile or broken FastAGI peer from taking the IVR down.

- Peers: only the configured addresses (by default the Asterisk the bridge
  speaks AMI to) may connect; anyone else is closed on accept.
- Lines: read with a limit (`LineReader`), so a 10 MB line costs at most
  max_line_bytes of memory before the connection is closed.
- Environment lines: SocketAGI stops after max_env_lines (fastagi.py).
- Workers: `WorkerPool` admits at most `size` connections at once; past that
  a new connection is closed at once, never queued. A connection still
  sending its environment (Asterisk sends it within a millisecond of
  connecting) is the one given up when the pool is full: the oldest of them
  is closed to make room, so idle sockets that never speak can fill the pool
  but cannot keep a real call out. A connection past its environment is a
  call and is never closed for a newcomer.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import logging
import socket
import threading
import time
from typing import Iterable, Union

from telephony.errors import FastAgiLimitError, TelephonyError

log = logging.getLogger(__name__)

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclasses.dataclass(frozen=True)
class FastAgiLimits:
    max_line_bytes: int = 8192
    max_env_lines: int = 200
    workers: int = 32
    allowed_peers: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.1/32"),)

    @classmethod
    def from_settings(cls, settings) -> "FastAgiLimits":
        return cls(settings.fastagi_max_line_bytes, settings.fastagi_max_env_lines,
                   settings.fastagi_workers, resolve_peers(settings.fastagi_allowed_peers))

    def allows(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        return any(peer in network for network in self.allowed_peers)


def resolve_peers(names: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and networks as they are; host names resolved once, at start."""
    networks: list[Network] = []
    for name in names:
        try:
            networks.append(ipaddress.ip_network(name, strict=False))
            continue
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except OSError as error:
            raise TelephonyError(f"FastAGI allowed peer {name!r} does not resolve: {error}") \
                from error
        networks += [ipaddress.ip_network(info[4][0]) for info in infos]
    return tuple(dict.fromkeys(networks))


class LineReader:
    """Text lines from a binary socket file, none longer than `max_bytes`."""

    def __init__(self, rfile, max_bytes: int):
        self._rfile = rfile
        self._max_bytes = max_bytes

    def readline(self) -> str:
        line = self._rfile.readline(self._max_bytes + 1)
        if len(line) > self._max_bytes and not line.endswith(b"\n"):
            raise FastAgiLimitError(f"a line longer than {self._max_bytes} bytes")
        return line.decode("utf-8", errors="replace")

    def close(self) -> None:
        self._rfile.close()


class QuietWarning:
    """A warning logged at most once per `every_s`, with the count since the last one."""

    def __init__(self, every_s: float = 5.0):
        self._every_s = every_s
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._unlogged = 0
        self.total = 0

    def __call__(self, message: str, *args) -> None:
        with self._lock:
            self.total += 1
            self._unlogged += 1
            now = time.monotonic()
            if now - self._last < self._every_s:
                return
            count, self._unlogged, self._last = self._unlogged, 0, now
        log.warning(message + " (%d such in the last %.0f s, %d in all)", *args, count,
                    self._every_s, self.total)


class WorkerPool:
    """The connections being served, at most `size`; see the module docstring."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._greeting: dict[socket.socket, None] = {}  # insertion order: oldest first
        self._calls: set[socket.socket] = set()
        self.refused = QuietWarning()
        self.evicted = QuietWarning()

    def admit(self, connection: socket.socket, peer) -> bool:
        """Take the connection, making room by closing the oldest silent one; or refuse."""
        victim = None
        with self._lock:
            if len(self._greeting) + len(self._calls) >= self.size:
                if not self._greeting:
                    self.refused("FastAGI: all %d workers are in calls; refused %s",
                                 self.size, peer)
                    return False
                victim = next(iter(self._greeting))
                del self._greeting[victim]
            self._greeting[connection] = None
        if victim is not None:
            self.evicted("FastAGI: pool of %d full; closed a connection that had sent no "
                         "environment yet, for %s", self.size, peer)
            cut(victim)
        return True

    def in_call(self, connection: socket.socket) -> bool:
        """The environment came: a call now. False if it was closed for a newcomer."""
        with self._lock:
            if connection not in self._greeting:
                return False
            del self._greeting[connection]
            self._calls.add(connection)
            return True

    def release(self, connection: socket.socket) -> None:
        with self._lock:
            self._greeting.pop(connection, None)
            self._calls.discard(connection)

    def busy(self) -> tuple[int, int]:
        """(connections still greeting, calls)."""
        with self._lock:
            return len(self._greeting), len(self._calls)

    def cut_all(self) -> None:
        with self._lock:
            everyone = [*self._greeting, *self._calls]
        for connection in everyone:
            cut(connection)


def cut(connection: socket.socket) -> None:
    """End a connection from another thread: its blocked read returns at once."""
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
