"""Namespace /agent: each browser joins only the room of its own phone.

A connection without a logged-in session is refused. On every (re)connect the
browser receives `snapshot`: its phone's current pop, call, wrap-up and queue
state as the screen-pop sink last stored them.
"""
from __future__ import annotations

import logging
import time

from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room

from agent_console import socket_sessions
from agent_console.live import AgentLiveStore
from call_queue.live_schema import room_for

log = logging.getLogger(__name__)


def snapshot_for(interface: str) -> dict:
    store = AgentLiveStore(current_app.extensions["hotline_redis"])
    current = store.get(interface) if interface else {}
    return {"interface": interface, "server_time": time.time(),
            "wrapup_s": current_app.extensions["hotline_settings"].wrapup_s, **current}


class AgentNamespace(Namespace):
    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            log.info("refused /agent socket without a session from %s", request.remote_addr)
            raise ConnectionRefusedError("login required")
        socket_sessions.register(current_app.extensions["hotline_redis"], current_user.id,
                                 self.namespace, request.sid)
        interface = current_user.phone_interface
        if interface:
            join_room(room_for(interface))
        emit("snapshot", snapshot_for(interface))

    def on_disconnect(self, _reason=None):
        if current_user.is_authenticated:
            socket_sessions.unregister(current_app.extensions["hotline_redis"], current_user.id,
                                       self.namespace, request.sid)

    def on_snapshot(self, _data=None):
        """A browser may ask again (e.g. after its tab slept)."""
        if not current_user.is_authenticated:
            return {"ok": False}
        emit("snapshot", snapshot_for(current_user.phone_interface))
        return {"ok": True}
