"""Fixtures shared by every test: databases (SQLite and PostgreSQL) and the lab.

PostgreSQL comes from HOTLINE_TEST_POSTGRES_URL, which the test command sets after
starting Debian's server (scripts/start-postgres.sh). A test that asks for it
without the variable fails: a skip would hide a missing service.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

import models
from models.session import make_engine
from tests.support.postgres import drop_private_database, postgres_url

# The lab's AMI session, queue members and in-process bridge, for every test folder.
pytest_plugins = ["tests.support.lab_fixtures"]

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
SHARED_AMI_DIR = Path(__file__).resolve().parent / "fixtures" / "ami"


def pytest_sessionfinish(session, exitstatus):
    drop_private_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty schema on each database in turn (data-layer tests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        url = postgres_url()
    engine = make_engine(url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    yield url
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path) -> str:
    """A database with no tables at all on each database in turn (migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    url = postgres_url()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    yield url
    engine.dispose()


@pytest.fixture
def session_factory(db_url) -> sessionmaker:
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


@pytest.fixture
def sqlite_session_factory(sqlite_url) -> sessionmaker:
    return sessionmaker(make_engine(sqlite_url), expire_on_commit=False)


@pytest.fixture(scope="session")
def shared_ami_dir() -> Path:
    return SHARED_AMI_DIR


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One private redis-server (unix socket) for the session; flush what you use."""
    from tests.support.redis_server import RedisServer, RedisServerError

    try:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
    except RedisServerError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture
def private_redis_server(tmp_path):
    """A redis-server of this test alone (a console subprocess, a fault to inject)."""
    from tests.support.redis_server import RedisServer, RedisServerError

    try:
        server = RedisServer(tmp_path / "redis")
    except RedisServerError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture
def make_settings():
    """make_settings(**overrides) -> a real Settings (tests.support.settings): no stand-ins."""
    from tests.support.settings import make_settings

    return make_settings


@pytest.fixture
def settings(make_settings):
    """The test run's Settings as load_settings() reads them, no overrides."""
    return make_settings()


class Lab:
    """The running lab, as tests see it."""

    def __init__(self, settings):
        self.settings = settings
        self.ami_host = settings.ami_host
        self.ami_port = settings.ami_port
        # A test's own AMI sessions log in as the lab's test-only user (DBPut for
        # the simulated phones, Command); a bridge under test uses `settings`,
        # whose user has only the rights the bridge needs.
        self.ami_user = settings.test_ami_user
        self.ami_secret = settings.test_ami_secret
        self.bridge_ami_user = settings.ami_user
        self.bridge_ami_secret = settings.ami_secret
        self.redis_url = settings.redis_url
        self.queue_log_path = settings.queue_log_path
        self.recordings_dir = settings.recordings_dir
        self.root = settings.lab_root
        self.queue = settings.queue_name
        self.hotline_number = settings.hotline_number
        self.ivr_number = settings.ivr_number

    def cli(self, command: str) -> str:
        from hotline.lab import asterisk_cli

        return asterisk_cli(self.settings, command)


@pytest.fixture(scope="session")
def lab():
    """A real Asterisk 22 and Redis, up for the whole session.

    A lab that was already up (a developer's, or the demo's) is used as it is and
    left running; one this fixture started is brought down at the end.
    """
    from hotline import lab as lab_module
    from hotline.settings import get_settings

    settings = get_settings()
    info = lab_module.up(settings)
    yield Lab(settings)
    if info["changed"]:
        lab_module.down(settings)
