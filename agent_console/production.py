"""The console under gunicorn: what `hotline console --production` runs.

Flask-SocketIO's deployment notes: with the threading async mode, gunicorn's
threaded worker (`-k gthread`) and simple-websocket serve the WebSocket
transport; ONE worker per gunicorn, because gunicorn's own balancer has no
sticky sessions. More capacity is more gunicorns on their own ports (systemd's
hotline-console@PORT.service), behind nginx hashing each client's address to
one of them, and all meeting in the Redis message queue the app already uses.

Each WebSocket holds one of the worker's threads for as long as it is open (an
agent's browser opens two or three), so `threads` is the number of sockets one
worker can carry.

The settings are read once by the caller and handed in; the app is built in
the worker after the fork (no preload), so its threads (the norm checks, the
message-queue listener) start in the process that serves.
"""
from __future__ import annotations

import logging

from flask import Flask
from gunicorn.app.base import BaseApplication

from hotline.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_THREADS = 100
# Also loaded by deploy/gunicorn.conf.py, for gunicorn started by hand.
GUNICORN_OPTIONS = {
    "worker_class": "gthread",
    "workers": 1,
    "threads": DEFAULT_THREADS,
    # gthread's timeout is the worker's heartbeat, not a request limit: an open
    # WebSocket does not trip it.
    "timeout": 60,
    "graceful_timeout": 10,
    "keepalive": 5,
    # stderr: the journal under systemd, the demo's log file in the demo.
    "accesslog": "-",
    "errorlog": "-",
    "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"',
    # gunicorn believes no X-Forwarded-* itself: ProxyFix (agent_console/proxy.py)
    # alone decides, from HOTLINE_TRUSTED_PROXY_HOPS.
    "forwarded_allow_ips": "",
    "proc_name": "hotline-console",
    # gunicorn 24+ opens a control socket at one fixed path per user: several
    # consoles would fight over it, and nothing here uses it.
    "control_socket_disable": True,
}


def build_app(settings: Settings) -> Flask:
    """The console app with its background norm checks, as every server runs it."""
    from agent_console import create_app, socketio
    from agent_console.supervisor import host_watch, norm_alerts

    app = create_app(settings)
    norm_alerts.start(app, socketio)  # the wallboard's norms, checked for notifications
    host_watch.start(app, socketio)  # a host's bridge stopped or back: the wallboard at once
    return app


def gunicorn_options(settings: Settings, threads: int = DEFAULT_THREADS) -> dict:
    return {**GUNICORN_OPTIONS, "threads": threads,
            "bind": [f"{settings.console_host}:{settings.console_port}"]}


class ConsoleServer(BaseApplication):
    """gunicorn's arbiter over one gthread worker serving build_app(settings)."""

    def __init__(self, settings: Settings, options: dict):
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            if name in self.cfg.settings:  # an older gunicorn lacks the newest ones
                self.cfg.set(name, value)

    def load(self) -> Flask:
        return build_app(self._settings)


def serve(settings: Settings, threads: int = DEFAULT_THREADS) -> None:
    log.info("console under gunicorn on %s:%s (%d threads)", settings.console_host,
             settings.console_port, threads)
    ConsoleServer(settings, gunicorn_options(settings, threads)).run()
