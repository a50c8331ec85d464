"""The wallboard across processes, as in production: the console as its own process
(`hotline console`), a private redis-server, the live sink publishing on Socket.IO's
Redis queue, python-socketio clients over websocket. A supervisor sees the board
move; an agent's connection is refused."""
from __future__ import annotations

import dataclasses
import os
import time

import pytest
import requests
import socketio
from werkzeug.security import generate_password_hash

import models
from bench.stats_push import CSRF_RE, PASSWORD
from bench.support import free_port, start_console
from tests.support.redis_server import RedisServer
from call_queue.live import LiveStateSink
from hotline.settings import load_settings
from models.console import User
from models.session import engine_for, session_factory
from telephony import events as ev


@pytest.fixture
def console(tmp_path):
    redis_server = RedisServer(tmp_path / "redis")
    redis_url = redis_server.url
    database_url = f"sqlite:///{tmp_path / 'wallboard.sqlite3'}"
    models.Base.metadata.create_all(engine_for(database_url))
    with session_factory(database_url)() as session:
        for name, role in (("boss", "supervisor"), ("alice", "agent")):
            session.add(User(username=name, role=role, phone_interface=f"PJSIP/{name}",
                             password_hash=generate_password_hash(PASSWORD)))
        session.commit()
    port = free_port()
    env = dict(os.environ, HOTLINE_DATABASE_URL=database_url, HOTLINE_REDIS_URL=redis_url,
               HOTLINE_STATE_DIR=str(tmp_path), HOTLINE_CONSOLE_HOST="127.0.0.1",
               HOTLINE_CONSOLE_PORT=str(port))
    base_url = f"http://127.0.0.1:{port}"
    process = start_console(env, base_url, tmp_path / "console.log")
    settings = dataclasses.replace(load_settings(), database_url=database_url,
                                   redis_url=redis_url, state_dir=tmp_path)
    yield base_url, settings
    process.terminate()
    process.wait(timeout=10)
    redis_server.stop()


def connect(base_url: str, username: str) -> tuple[socketio.Client, list]:
    http = requests.Session()
    token = CSRF_RE.search(http.get(base_url + "/login").text).group(1)
    assert http.post(base_url + "/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    boards: list = []
    client = socketio.Client(http_session=http, reconnection=False)
    client.on("board", boards.append, namespace="/wallboard")
    client.connect(base_url, namespaces=["/wallboard"], transports=["websocket"],
                   headers={"User-Agent": http.headers["User-Agent"]}, wait_timeout=5)
    return client, boards


def wait_until(predicate, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("not within the time")


def test_supervisor_sees_pushes_through_redis_and_agent_is_refused(console):
    base_url, settings = console
    sink = LiveStateSink(settings)  # the bridge's sink: publishes through Redis
    sink.handle(ev.BridgeResynced(at=time.time()))
    supervisor, boards = connect(base_url, "boss")
    wait_until(lambda: boards and boards[-1]["current"])  # the snapshot on connect
    sink.handle(ev.CallQueued(at=time.time(), callid="srv1", linkedid="srv1", queue="hotline",
                              channel="PJSIP/trunk-1", caller_number="13800138000",
                              caller_name="张三", dialled_number="4000", position=1))
    wait_until(lambda: boards[-1]["queues"] and boards[-1]["queues"][0]["callers_waiting"] == 1)
    assert boards[-1]["queues"][0]["waiting"][0]["caller_name"] == "张三"
    supervisor.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(base_url, "alice")
