"""The wallboard learns at once when an Asterisk host's bridge stops or comes back.

A bridge pushes the board when its calls change it; a bridge that was killed pushes
nothing, and its key (telephony.bridge_presence) merely lapses. So the console
checks, every CHECK_EVERY_S, which hosts' bridges are running, and when that set
changes sends the wallboard the board as it now reads (call_queue.live: the stopped
host down, its figures left out) over Socket.IO's Redis queue, like the bridges'
pushes. Several consoles on one Redis send it once: the last set seen is kept in
Redis and swapped atomically (GETSET), so only the console that changed it sends.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import redis as redis_lib

from call_queue.host_boards import known_hosts, running_hosts
from call_queue.live import read_wallboard
from call_queue.live_schema import WALLBOARD_EVENT, WALLBOARD_NAMESPACE
from call_queue.norms import Norms

log = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0
SEEN_KEY = "hotline:wallboard:hosts-running"


class HostWatch:
    def __init__(self, redis_client: redis_lib.Redis, norms: Norms,
                 emit: Callable[[str, dict], None], clock: Callable[[], float] = time.time):
        self.redis, self.norms, self.emit, self.clock = redis_client, norms, emit, clock

    def check(self) -> bool:
        """Send the board if the running hosts changed since any console last looked."""
        hosts = known_hosts(self.redis)
        if len(hosts) < 2:
            return False  # one host: no per-host table, its board says whether it is live
        now_running = ",".join(sorted(running_hosts(self.redis, hosts)))
        before = self.redis.getset(SEEN_KEY, now_running)
        if before is not None and (before.decode() if isinstance(before, bytes)
                                   else before) == now_running:
            return False
        log.info("Asterisk hosts with a running bridge: %s (before: %s)",
                 now_running or "none", before)
        self.emit(WALLBOARD_EVENT, read_wallboard(self.redis, self.clock(), self.norms))
        return True

    def run_forever(self, sleep: Callable[[float], None] = time.sleep) -> None:
        while True:
            try:
                self.check()
            except redis_lib.RedisError as error:
                log.warning("host watch: Redis unavailable (%s); retrying", error)
            sleep(CHECK_EVERY_S)


def start(app, socketio) -> HostWatch:
    """Run the watch in the console's server, with its Redis and norms."""
    watch = HostWatch(app.extensions["hotline_redis"],
                      Norms.from_settings(app.extensions["hotline_settings"]),
                      lambda event, board: socketio.emit(event, board,
                                                         namespace=WALLBOARD_NAMESPACE))
    socketio.start_background_task(watch.run_forever, socketio.sleep)
    return watch
