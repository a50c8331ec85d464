"""Live signal to a recipient's browsers once their notifications changed.

The signal carries no text (each browser fetches its list in its own language
from the console), only that user's room is told. It is sent after the commit
that stored the change: `install` hooks a sessionmaker's after_commit. In the
console the emitter is its Socket.IO server (whose client manager is the Redis
message queue, so every worker hears it); the bridge or a CLI command use
`redis_emitter`, which publishes on the same queue without a server.
"""
from __future__ import annotations

import logging
from typing import Callable

import redis
from socketio import RedisManager
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from call_queue.live_schema import MESSAGE_QUEUE_CHANNEL
from notifications.service import PENDING_KEY

log = logging.getLogger(__name__)

NAMESPACE = "/notifications"
EVENT = "notifications_changed"

UserSignal = Callable[[int], None]


def room_for_user(user_id: int) -> str:
    return f"notify-user:{user_id}"


def install(factory: sessionmaker, signal: UserSignal) -> None:
    """After each commit of a session from `factory`, signal the users noted on it."""
    event.listen(factory, "after_commit", lambda session: _flush(session, signal))
    event.listen(factory, "after_rollback", _forget)


def redis_emitter(redis_url: str) -> UserSignal:
    """A signal published on the console's Socket.IO Redis queue (for other processes)."""
    manager = RedisManager(redis_url, channel=MESSAGE_QUEUE_CHANNEL, write_only=True)

    def signal(user_id: int) -> None:
        manager.emit(EVENT, {}, namespace=NAMESPACE, room=room_for_user(user_id))
    return signal


def _flush(session: Session, signal: UserSignal) -> None:
    users = session.info.pop(PENDING_KEY, None)
    for user_id in sorted(users or ()):
        try:
            signal(user_id)
        except (redis.RedisError, OSError) as error:
            # Stored already: the browser finds it on its next fetch or reconnect.
            log.warning("could not signal notifications to user %s: %s", user_id, error)


def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
