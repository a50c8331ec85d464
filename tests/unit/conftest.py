"""Fixtures for the console's unit tests: a private Redis, the app, logged-in clients.

Redis is a real redis-server on a unix socket (one per test session, flushed per
test), so rate limits, live state and Socket.IO's message queue run for real.
"""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import time

import pytest
import redis as redis_lib
from werkzeug.security import generate_password_hash

import models
from hotline.settings import load_settings
from models.console import User
from models.session import make_engine, session_factory as make_session_factory

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                     r'|name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="session")
def console_redis_server(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    socket_path = tmp_path_factory.mktemp("redis") / "redis.sock"
    process = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(socket_path), "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis_lib.Redis(unix_socket_path=str(socket_path))
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis_lib.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("private redis-server did not start")
            time.sleep(0.05)
    yield f"unix://{socket_path}?db=0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def console_redis(console_redis_server):
    client = redis_lib.Redis.from_url(console_redis_server)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def console_settings(tmp_path, console_redis_server, console_redis):
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    return dataclasses.replace(
        load_settings(), database_url=url, redis_url=console_redis_server,
        state_dir=tmp_path, secret_key_file=tmp_path / "secret-key", wrapup_s=30)


@pytest.fixture
def console_sessions(console_settings):
    return make_session_factory(console_settings.database_url)


@pytest.fixture
def app(console_settings):
    from agent_console import create_app

    return create_app(console_settings, testing=True)


@pytest.fixture
def make_user(console_sessions):
    def make(username: str, role: str = "agent", phone: str | None = None,
             language: str = "en") -> User:
        with console_sessions() as session:
            user = User(username=username, role=role, phone_interface=phone,
                        display_name=username.title(), language=language,
                        password_hash=generate_password_hash(PASSWORD))
            session.add(user)
            session.commit()
            return user
    return make


def csrf_token_from(client, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def log_in(client, username: str, password: str = PASSWORD):
    token = csrf_token_from(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


@pytest.fixture
def agent(make_user):
    return make_user("alice", "agent", "PJSIP/8001")


@pytest.fixture
def other_agent(make_user):
    return make_user("bob", "agent", "PJSIP/8002")


@pytest.fixture
def supervisor(make_user):
    return make_user("sam", "supervisor", "PJSIP/8099")


@pytest.fixture
def agent_client(app, agent):
    client = app.test_client()
    response = log_in(client, agent.username)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def other_agent_client(app, other_agent):
    client = app.test_client()
    assert log_in(client, other_agent.username).status_code == 302
    return client


@pytest.fixture
def supervisor_client(app, supervisor):
    client = app.test_client()
    assert log_in(client, supervisor.username).status_code == 302
    return client
