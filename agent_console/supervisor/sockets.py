"""Namespace /wallboard: supervisors only; a snapshot of the board on every (re)connect.

Updates come from the bridge's LiveStateSink through Socket.IO's Redis queue
(event `board`); Redis pub/sub keeps nothing, so a browser that (re)connects
reads the stored board first.
"""
from __future__ import annotations

import logging

from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, emit

from agent_console import socket_sessions
from call_queue.live import PUSH_EVENT, read_wallboard
from call_queue.norms import Norms

log = logging.getLogger(__name__)
SUPERVISOR_ROLES = ("supervisor", "admin")


def may_watch() -> bool:
    return current_user.is_authenticated and current_user.role in SUPERVISOR_ROLES


def _board() -> dict:
    """The stored board with its levels against the norms of this console's settings."""
    return read_wallboard(current_app.extensions["hotline_redis"],
                          norms=Norms.from_settings(current_app.extensions["hotline_settings"]))


class WallboardNamespace(Namespace):
    def on_connect(self, auth=None):
        if not may_watch():
            log.info("refused /wallboard socket for %s from %s",
                     getattr(current_user, "username", "anonymous"), request.remote_addr)
            raise ConnectionRefusedError("supervisors only")
        # Noted so that a supervisor who loses the role is cut off the board at once.
        socket_sessions.register(current_app.extensions["hotline_redis"], current_user.id,
                                 self.namespace, request.sid)
        emit(PUSH_EVENT, _board())

    def on_disconnect(self, _reason=None):
        if current_user.is_authenticated:
            socket_sessions.unregister(current_app.extensions["hotline_redis"], current_user.id,
                                       self.namespace, request.sid)

    def on_snapshot(self, _data=None):
        if not may_watch():
            return {"ok": False}
        emit(PUSH_EVENT, _board())
        return {"ok": True}
