"""Notifications in the console: the bell in the header, the list, acknowledge.

Registered in agent_console/__init__.py as the blueprint
`agent_console.notifications_view:bp` and the Socket.IO namespace
`agent_console.notifications_view:NotificationNamespace` on /notifications.
Each browser joins only its own user's room; a commit that stored or
acknowledged a notification signals that room (notifications.push, hooked on
the app's session factory when the blueprint is registered) and the browser
fetches its unread list, rendered here in the user's language.
"""
from __future__ import annotations

import datetime as dt
import logging

import flask_babel
from flask import (Blueprint, abort, current_app, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from flask_socketio import Namespace, join_room

from agent_console import socket_sessions
from agent_console.extensions import db
from notifications import push, service
from notifications.errors import NotYours
from notifications.kinds import KINDS

log = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__)
SHOWN = 50


@bp.record_once
def _hook_push(state) -> None:
    from agent_console import socketio

    def signal(user_id: int) -> None:
        socketio.emit(push.EVENT, {}, namespace=push.NAMESPACE, to=push.room_for_user(user_id))
    push.install(state.app.extensions["hotline_sessions"], signal)


class _Missing(dict):
    """A param the stored notification lacks shows as a dash, never as {name}."""

    def __missing__(self, key: str) -> str:
        return "—"


def notification_text(kind: str, params: dict) -> str:
    message_id = KINDS.get(kind)
    if message_id is None:  # a kind removed since: say so in words, not its code
        return flask_babel.gettext("A notification of a kind this console no longer knows.")
    return flask_babel.gettext(message_id).format_map(_Missing(params))


def _items() -> list[dict]:
    localtime = current_app.jinja_env.filters["localtime"]
    return [{"id": item.id, "text": notification_text(item.kind, item.params),
             "link": item.link, "created_at": localtime(item.created_at)}
            for item in service.unread_for(db(), current_user, limit=SHOWN)]


@bp.app_context_processor
def _bell():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return service.unread_count(db(), current_user)
    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def list_page():
    return render_template("notifications.html", items=_items(),
                           count=service.unread_count(db(), current_user))


@bp.get("/api/notifications")
@login_required
def unread_json():
    return jsonify({"count": service.unread_count(db(), current_user), "items": _items()})


@bp.post("/notifications/<int:notification_id>/ack")
@login_required
def acknowledge(notification_id: int):
    try:
        service.acknowledge(db(), current_user, notification_id,
                            now=dt.datetime.now(dt.timezone.utc))
    except NotYours:
        abort(404)  # another user's notification is not there for this user
    db().commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "count": service.unread_count(db(), current_user)})
    return redirect(url_for("notifications.list_page"))


class NotificationNamespace(Namespace):
    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            raise ConnectionRefusedError("login required")
        # Noted like the desk's sockets, so logging out ends this one too.
        socket_sessions.register(current_app.extensions["hotline_redis"], current_user.id,
                                 self.namespace, request.sid)
        join_room(push.room_for_user(current_user.id))

    def on_disconnect(self, _reason=None):
        if current_user.is_authenticated:
            socket_sessions.unregister(current_app.extensions["hotline_redis"], current_user.id,
                                       self.namespace, request.sid)
