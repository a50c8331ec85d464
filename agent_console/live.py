"""Each agent's current pop, call, after-call work and queue state, as the console reads it.

The bridge's live sink (call_queue.live) writes it from the one projection
(call_queue.projection.agent_parts), in the schema of call_queue.live_schema;
the console reads it to give a (re)connecting browser its snapshot and to
decide whether an agent is on a call with a household (access to its record).
One hash per phone interface; each field is one JSON document.
"""
from __future__ import annotations

import json
from typing import Optional

import redis

from call_queue.live_schema import AGENT_KEY_PREFIX as KEY_PREFIX
from call_queue.live_schema import AGENT_PARTS as PARTS
from call_queue.live_schema import AGENT_TTL_S as TTL_S
from call_queue.live_schema import room_for  # noqa: F401 - the console's rooms are these


class AgentLiveStore:
    def __init__(self, client: redis.Redis):
        self._redis = client

    def get(self, interface: str) -> dict:
        raw = self._redis.hgetall(KEY_PREFIX + interface)
        return {_text(name): json.loads(value) for name, value in raw.items()}

    def put(self, interface: str, pipe=None, **parts: dict) -> None:
        """Store parts now, or into the caller's pipeline (tests seed a live call with it;
        in production only the bridge's live sink writes)."""
        key = KEY_PREFIX + interface
        target = pipe if pipe is not None else self._redis.pipeline(transaction=False)
        target.hset(key, mapping={name: json.dumps(value) for name, value in parts.items()})
        target.expire(key, TTL_S)
        if pipe is None:
            target.execute()

    def drop(self, interface: str, *names: str) -> None:
        if names:
            self._redis.hdel(KEY_PREFIX + interface, *names)

    def callids(self, interface: str) -> set[str]:
        """Calls the agent is ringing with, talking on, or finishing (wrap-up)."""
        current = self.get(interface)
        return {part["callid"] for name, part in current.items()
                if name in ("ringing", "call", "wrapup") and part.get("callid")}

    def call_part(self, interface: str, callid: str) -> Optional[dict]:
        """The newest stored part (call, wrap-up or ring) of that call, if the agent has it.

        Only a part that says the call is (or just was) on this interface's own
        channel counts: a household is opened on the strength of it.
        """
        current = self.get(interface)
        for name in ("call", "wrapup", "ringing"):
            part = current.get(name)
            if part and part.get("callid") == callid and on_own_channel(part, interface):
                return part
        return None


def on_own_channel(part: dict, interface: str) -> bool:
    """The part names this interface, and its agent channel (when known) is this phone's."""
    if part.get("interface") != interface:
        return False
    channel = part.get("agent_channel")
    return channel is None or channel_of_interface(channel, interface)


def channel_of_interface(channel: str, interface: str) -> bool:
    """PJSIP/8001 -> PJSIP/8001-0000002a; Local/8001@agents/n -> Local/8001@agents-00000002;1."""
    device = "/".join(interface.split("/")[:2])  # a Local interface's "/n" is a dial option
    return bool(device) and channel.startswith(device + "-")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value
