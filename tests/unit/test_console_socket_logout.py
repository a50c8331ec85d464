"""Logging out or losing a role ends that user's sockets, on whichever console worker holds them.

Two real `hotline console` processes share the private Redis (Socket.IO's message
queue) and a SQLite database; the browsers are python-socketio clients logged in
with requests. A socket opened on worker A is ended by a log-out sent to worker B,
and a supervisor's wallboard socket by `hotline users set-role` (no server at all).
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import threading

import pytest
import requests
import socketio
from werkzeug.security import generate_password_hash

import models
from bench.support import private_console, stop_processes
from hotline.settings import load_settings
from models.console import User
from models.session import make_engine, session_factory

PASSWORD = "socket test password"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                     r'|name="csrf-token" content="([^"]+)"')


@pytest.fixture
def two_consoles(tmp_path, console_redis_server, console_redis):
    database_url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    models.Base.metadata.create_all(make_engine(database_url))
    with session_factory(database_url)() as session:
        for username, role, phone in [("alice", "agent", "PJSIP/8001"),
                                      ("bob", "agent", "PJSIP/8002"),
                                      ("sam", "supervisor", None)]:
            session.add(User(username=username, role=role, phone_interface=phone,
                             language="en", password_hash=generate_password_hash(PASSWORD)))
        session.commit()
    base = dataclasses.replace(load_settings(), state_dir=tmp_path)
    consoles = []
    try:
        for name in ("a", "b"):  # one state folder: the same session key
            settings, url, process = private_console(base, database_url, console_redis_server,
                                                     tmp_path, f"console-{name}.log")
            consoles.append((url, process))
        env = dict(os.environ, HOTLINE_DATABASE_URL=database_url,
                   HOTLINE_REDIS_URL=console_redis_server, HOTLINE_STATE_DIR=str(tmp_path))
        yield [url for url, _ in consoles], env
    finally:
        stop_processes(*(process for _, process in consoles))


def logged_in(base_url: str, username: str) -> requests.Session:
    http = requests.Session()
    answer = http.post(base_url + "/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": csrf(http, base_url + "/login")})
    assert answer.status_code == 302, answer.status_code
    return http


def csrf(http: requests.Session, url: str) -> str:
    match = CSRF_RE.search(http.get(url).text)
    return match.group(1) or match.group(2)


class Browser:
    """A python-socketio client on one namespace; `ended` is set when the server ends it."""

    def __init__(self, http: requests.Session, base_url: str, namespace: str):
        self.ended = threading.Event()
        self.connected = threading.Event()
        self.client = socketio.Client(http_session=http, reconnection=False)
        self.client.on("connect", self.connected.set, namespace=namespace)
        self.client.on("disconnect", lambda *reason: self.ended.set(), namespace=namespace)
        # Flask-Login's strong session protection ties the session to the user agent.
        self.client.connect(base_url, namespaces=[namespace], transports=["websocket"],
                            headers={"User-Agent": http.headers["User-Agent"]},
                            wait_timeout=10)
        assert self.connected.wait(10)

    def close(self) -> None:
        self.client.disconnect()


def log_out(http: requests.Session, base_url: str) -> None:
    answer = http.post(base_url + "/logout", allow_redirects=False,
                       data={"csrf_token": csrf(http, base_url + "/console")})
    assert answer.status_code == 302


def test_log_out_on_another_worker_ends_the_users_sockets_only(two_consoles):
    (worker_a, worker_b), _env = two_consoles
    alice_http, bob_http = logged_in(worker_a, "alice"), logged_in(worker_a, "bob")
    alice, bob = Browser(alice_http, worker_a, "/agent"), Browser(bob_http, worker_a, "/agent")
    try:
        log_out(alice_http, worker_b)  # the cookie is the same on both workers
        assert alice.ended.wait(10), "alice's socket outlived her log-out"
        assert not bob.ended.wait(1), "bob's socket was ended by alice's log-out"
        assert bob.client.connected
    finally:
        alice.close()
        bob.close()


def test_losing_the_supervisor_role_ends_the_wallboard_socket(two_consoles):
    (worker_a, _worker_b), env = two_consoles
    sam_http = logged_in(worker_a, "sam")
    board = Browser(sam_http, worker_a, "/wallboard")
    try:
        result = subprocess.run(
            [sys.executable, "-c", "from hotline.cli import main; main()", "users", "set-role",
             "sam", "agent"], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "1 open connection(s) ended" in result.stdout
        assert board.ended.wait(10), "the wallboard kept streaming to a former supervisor"
    finally:
        board.close()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Browser(sam_http, worker_a, "/wallboard")  # the same session, now an agent's
