"""Live campaign progress to the supervisors' browsers, the way the wallboard gets
its board: the bridge's engine publishes on Socket.IO's Redis queue (event
`campaigns`, namespace /wallboard: supervisors only), the page listens."""
from __future__ import annotations

import dataclasses
import logging

from socketio import RedisManager

from call_queue.live_schema import MESSAGE_QUEUE_CHANNEL

log = logging.getLogger(__name__)

EVENT = "campaigns"
NAMESPACE = "/wallboard"


class ProgressPublisher:
    def __init__(self, redis_url: str):
        self._manager = RedisManager(redis_url, channel=MESSAGE_QUEUE_CHANNEL, write_only=True)
        self._last: list | None = None

    def publish(self, progress: list) -> None:
        """Send the campaigns' progress when it changed since the last time."""
        payload = [dataclasses.asdict(item) for item in progress]
        if payload == self._last:
            return
        try:
            self._manager.emit(EVENT, payload, namespace=NAMESPACE)
            self._last = payload
        except Exception as error:  # noqa: BLE001 - the campaigns go on without the page
            log.warning("campaign progress not pushed: %s", error)
