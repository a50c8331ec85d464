"""The agent console: Flask application factory and its Socket.IO server.

Other packages plug in with one line each: a blueprint as "module:attribute" in
BLUEPRINTS, a Socket.IO namespace as ("module:Class", "/path") in NAMESPACES
(the class is a flask_socketio.Namespace subclass).
"""
from __future__ import annotations

import importlib
import logging
import time
from typing import Optional

import redis
from flask import Flask, g
from flask_babel import get_locale
from flask_socketio import SocketIO
from socketio import Manager, RedisManager

from agent_console import labels
from agent_console import proxy
from agent_console.extensions import babel, csrf, login_manager, select_locale
from agent_console.i18n import compiled_translations_dir
from call_queue.live_packets import LivePacket

log = logging.getLogger(__name__)

socketio = SocketIO()
# Emitters in other processes (the bridge) publish here: one constant for both.
from call_queue.live_schema import MESSAGE_QUEUE_CHANNEL  # noqa: E402

BLUEPRINTS = [
    "agent_console.health:bp",
    "agent_console.auth:bp",
    "agent_console.vendor:bp",
    "agent_console.agent_views:bp",
    "agent_console.call_control:bp",
    "agent_console.work_orders:bp",
    "agent_console.followups:bp",
    "agent_console.handover:bp",
    "agent_console.supervisor:bp",
    "agent_console.assets:bp",
    "agent_console.search:bp",
    "agent_console.complaints_view:bp",
    "agent_console.notifications_view:bp",
    "agent_console.error_pages:bp",
    "agent_console.department:bp",
    "agent_console.supervisor.reports_view:bp",
    "agent_console.abandoned_view:bp",
    "agent_console.night_log_view:bp",
    "agent_console.imports_view:bp",
    "agent_console.cashier:bp",
    "agent_console.cashier.statistics:bp",
    "agent_console.softphone:bp",
    "campaigns.views:bp",
]

NAMESPACES = [
    ("agent_console.sockets:AgentNamespace", "/agent"),
    ("agent_console.supervisor.sockets:WallboardNamespace", "/wallboard"),
    ("agent_console.notifications_view:NotificationNamespace", "/notifications"),
]


def message_queue(redis_url: str, write_only: bool = False) -> RedisManager:
    """Socket.IO's Redis message queue (what `message_queue=` would build, but
    also for unix:// URLs, which Flask-SocketIO would hand to Kombu)."""
    return RedisManager(redis_url, channel=MESSAGE_QUEUE_CHANNEL, write_only=write_only)


def _load(dotted: str):
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def create_app(settings=None, testing: bool = False) -> Flask:
    if settings is None:
        from hotline.settings import get_settings

        settings = get_settings()
    app = Flask(__name__, static_folder="static/app", static_url_path="/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a shift is long; the token dies with the session
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(compiled_translations_dir(settings.state_dir)),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.extensions["hotline_settings"] = settings
    app.extensions["hotline_redis"] = redis.Redis.from_url(
        settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    app.extensions["hotline_sessions"] = _session_factory(settings.database_url)
    app.extensions["hotline_clock"] = time.time  # the log-in back-off's clock (tests move it)

    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    for dotted in BLUEPRINTS:
        app.register_blueprint(_load(dotted))
    app.teardown_appcontext(_close_db_session)
    labels.init_app(app, settings.office_timezone)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions

    # Flask-SocketIO's test client cannot work through a message queue: tests
    # get the in-memory manager and hand `socketio` itself to the sink as emitter.
    manager = Manager() if testing else message_queue(settings.redis_url)
    # LivePacket: the JSON encoding is the check for binary parts (call_queue.live_packets).
    socketio.init_app(app, async_mode="threading", manage_session=False,
                      client_manager=manager, serializer=LivePacket)
    for dotted, path in NAMESPACES:
        socketio.on_namespace(_load(dotted)(path))
    proxy.init_app(app, settings.trusted_proxy_hops)  # outermost: Socket.IO's requests too
    return app


def _session_factory(database_url: str):
    from models.session import session_factory

    return session_factory(database_url)


def _close_db_session(_exc: Optional[BaseException]) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
