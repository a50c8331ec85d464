"""Which bridges are running: each command executor keeps a key alive in Redis.

Every bridge's CommandExecutor (telephony.commands) sets `alive_key(bridge)` with a
short expiry and renews it every BEAT_EVERY_S while its loop runs, and deletes it when
it stops. The console reads it before sending a command (a bridge that is not running
is refused at once, not after the command's 5-s wait) and the wallboard shows a host
whose key has lapsed as down. The key lapses ALIVE_TTL_S after the last renewal: a
bridge that was killed is seen as gone within that time.

One bridge follows one Asterisk host and is named after it (its systemname,
settings.asterisk_host): the key says "this host's bridge is running".
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable

log = logging.getLogger(__name__)

BEAT_EVERY_S = 2.0
ALIVE_TTL_S = 6


def alive_key(bridge: str) -> str:
    return f"hotline:bridge:{bridge}:alive"


def bridge_of_host(host: str) -> str:
    """A host's bridge is named after it (hotline.bridge_root passes asterisk_host)."""
    return host


def running(redis_client, bridges: Iterable[str]) -> set[str]:
    """The bridges among `bridges` whose key is alive (one round trip)."""
    names = list(bridges)
    if not names:
        return set()
    values = redis_client.mget([alive_key(name) for name in names])
    return {name for name, value in zip(names, values) if value is not None}


class Heartbeat:
    """Renews one bridge's key; `beat()` is cheap to call often (it writes when due)."""

    def __init__(self, redis_client, bridge: str, clock: Callable[[], float] = time.monotonic):
        self.redis, self.bridge, self.clock = redis_client, bridge, clock
        self._last: float | None = None

    def beat(self) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < BEAT_EVERY_S:
            return
        self.redis.set(alive_key(self.bridge), str(time.time()), ex=ALIVE_TTL_S)
        self._last = now

    def stop(self) -> None:
        """Gone at once on a clean stop, not ALIVE_TTL_S later."""
        self.redis.delete(alive_key(self.bridge))
        self._last = None
