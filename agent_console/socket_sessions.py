"""Which Socket.IO connections belong to which console user, so that logging out
or losing a role ends them, whichever console worker holds them.

Each connection is noted in a Redis set per user ("<namespace> <sid>"). Ending
them is Socket.IO's own `disconnect` message on its Redis queue: every console
worker receives it and the one holding the connection closes it. A process with
no Socket.IO server (the `hotline users` command) publishes that message itself.
"""
from __future__ import annotations

import json
import logging
import uuid
import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "hotline:console:user-sockets:"
# A connection's entry outlives it only if its worker died; a shift is shorter.
TTL_S = 24 * 3600


def _key(user_id: int) -> str:
    return f"{KEY_PREFIX}{user_id}"


def register(client: redis.Redis, user_id: int, namespace: str, sid: str) -> None:
    pipe = client.pipeline()
    pipe.sadd(_key(user_id), f"{namespace} {sid}")
    pipe.expire(_key(user_id), TTL_S)
    pipe.execute()


def unregister(client: redis.Redis, user_id: int, namespace: str, sid: str) -> None:
    client.srem(_key(user_id), f"{namespace} {sid}")


def disconnect_user(client: redis.Redis, user_id: int, server=None) -> int:
    """End every connection of that user; returns how many were known.

    `server`: this process's socketio.Server (through its client manager the
    disconnect reaches the other workers); None: publish on the queue directly.
    """
    pipe = client.pipeline()
    pipe.smembers(_key(user_id))
    pipe.delete(_key(user_id))
    members, _deleted = pipe.execute()
    for member in members:
        namespace, _, sid = member.decode().partition(" ")
        if server is not None:
            server.disconnect(sid, namespace=namespace)
        else:
            _publish_disconnect(client, namespace, sid)
    if members:
        log.info("ended %d socket(s) of user %s", len(members), user_id)
    return len(members)


def _publish_disconnect(client: redis.Redis, namespace: str, sid: str) -> None:
    from agent_console import MESSAGE_QUEUE_CHANNEL

    # python-socketio's pub/sub message; a host id of no server, so every server acts on it.
    message = {"method": "disconnect", "sid": sid, "namespace": namespace,
               "host_id": uuid.uuid4().hex}
    client.publish(MESSAGE_QUEUE_CHANNEL, json.dumps(message))
