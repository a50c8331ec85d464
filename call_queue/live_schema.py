"""Where the live projection lives in Redis and on Socket.IO: shared by the bridge
(which writes and publishes it) and the console (which reads it and serves it).

- `hotline:live:board`: the projection (call_queue.projection), JSON, without
  screen-pop content; the wallboard renders it.
- `hotline:console:agent:<interface>`: one hash per agent, written from the same
  projection: fields ringing, call, wrapup, state (each a JSON document, the
  call parts with their screen-pop), what the agent's console shows.
"""
from __future__ import annotations

BOARD_KEY = "hotline:live:board"
AGENT_KEY_PREFIX = "hotline:console:agent:"
AGENT_PARTS = ("ringing", "call", "wrapup", "state")
# A stale pop must not outlive a day even if its end event was lost.
AGENT_TTL_S = 24 * 3600

# Flask-SocketIO's default channel: emitters in other processes publish here.
MESSAGE_QUEUE_CHANNEL = "flask-socketio"
WALLBOARD_NAMESPACE = "/wallboard"
WALLBOARD_EVENT = "board"
AGENT_NAMESPACE = "/agent"


def room_for(interface: str) -> str:
    """The Socket.IO room of one phone in namespace /agent."""
    return f"agent:{interface}"
