"""Fixtures for the console's unit tests: a private Redis, the app, logged-in clients.

Redis is a real redis-server on a unix socket (one per test session, flushed per
test), so rate limits, live state and Socket.IO's message queue run for real.
"""
from __future__ import annotations

import pytest
import redis as redis_lib
from werkzeug.security import generate_password_hash

import models
from models.console import User
from models.session import make_engine, session_factory as make_session_factory

# Test modules import these from tests.support.console_client (the names stay here
# for modules not moved yet).
from tests.support.console_client import PASSWORD, csrf_token_from, log_in  # noqa: F401
from tests.support.recording_ami import bridge_commands
from tests.support.settings import make_settings


@pytest.fixture(scope="session")
def console_redis_server(redis_server) -> str:
    """The session's private Redis (tests/conftest.py `redis_server`), as a URL."""
    return redis_server.url


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
    return make_settings(
        database_url=url, redis_url=console_redis_server,
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


@pytest.fixture
def ami(console_settings):
    """The bridge's command executor, for real, on the test Redis; its AMI records
    what it is sent (RecordingAmi.sent) and answers Success."""
    with bridge_commands(console_settings) as recorder:
        yield recorder
