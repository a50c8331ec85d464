"""A real `hotline console` process on a seeded SQLite database and a private
redis-server, for browser tests that need pages with data but no call: users of
every role, the seed of tests.support.console_pages, and a live call in the
agent's Redis state so the desk shows its household card."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

import models
from bench.support import free_port
from tests.support.redis_server import RedisServer
from models.session import make_engine, session_factory
from tests.labtools import wait_until
from tests.support.console_pages import Seeded, seed_console
from tests.support.live_stack import healthy, stop_process

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "layout test password"
AGENT_INTERFACE = "PJSIP/8001"
USERS = {"agent": ("alice", AGENT_INTERFACE, "Alice 李"), "supervisor": ("sam", "PJSIP/8099", "Sam 王"),
         "admin": ("ada", None, "Ada 赵")}


@dataclasses.dataclass
class ConsoleStack:
    base_url: str
    database_url: str
    redis_url: str
    seeded: Seeded
    log_path: Path


def _make_users(url: str, language: str) -> None:
    from models.console import User

    with session_factory(url)() as session:
        for role, (username, phone, name) in USERS.items():
            session.add(User(username=username, role=role, phone_interface=phone,
                             display_name=name, language=language,
                             password_hash=generate_password_hash(PASSWORD)))
        session.commit()


def put_live_call(database_url: str, redis_url: str, callid: str) -> None:
    """The agent talking to a caller whose number belongs to one household."""
    import redis as redis_lib

    from agent_console.live import AgentLiveStore
    from households.screen_pop import screen_pop_for_number
    from tests.support.demo import household_terms
    from models.households import Phone

    with session_factory(database_url)() as session:
        shared = dict(session.execute(select(Phone.normalized, func.count(Phone.id))
                                      .group_by(Phone.normalized)).all())
        number = next(p.raw for p in session.scalars(select(Phone).order_by(Phone.id))
                      if p.raw.isdigit() and len(p.raw) == 11 and shared[p.normalized] == 1)
        pop = screen_pop_for_number(session, number, callid, terms=household_terms())
    now = time.time()
    call = {"callid": callid, "interface": AGENT_INTERFACE, "caller_number": number,
            "caller_name": "", "ringing_at": now - 80, "answered_at": now - 72,
            "agent_channel": AGENT_INTERFACE + "-00000001", "pop": pop}
    state = {"label": "ready", "reason": "", "since": now - 900, "paused": False,
             "status": "in_use", "present": True, "in_call": True}
    client = redis_lib.Redis.from_url(redis_url)
    AgentLiveStore(client).put(AGENT_INTERFACE, call=call, state=state)
    client.close()


def start_console_stack(folder: Path, artifacts: Path, language: str = "zh"):
    """Yield a ConsoleStack; stops the console and Redis afterwards (a generator)."""
    import redis as redis_lib

    url = f"sqlite:///{folder / 'layout.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    _make_users(url, language)
    redis = RedisServer(folder / "redis")
    redis_url = redis.url
    client = redis_lib.Redis.from_url(redis_url)
    seeded = seed_console(session_factory(url), {r: u for r, (u, _p, _n) in USERS.items()},
                          client)
    client.close()
    put_live_call(url, redis_url, "1700000100.7")
    port = free_port()
    env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_REDIS_URL=redis_url,
               HOTLINE_STATE_DIR=str(folder / "state"), HOTLINE_CONSOLE_HOST="127.0.0.1",
               HOTLINE_CONSOLE_PORT=str(port), HOTLINE_SECRET_KEY_FILE=str(folder / "key"))
    artifacts.mkdir(parents=True, exist_ok=True)
    log_path = artifacts / "console.log"
    with log_path.open("wb") as log_file:
        console = subprocess.Popen([sys.executable, "-c", "from hotline.cli import main; main()",
                                    "console"], env=env, cwd=REPO, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(base_url), 30, f"console health ({log_path})")
        yield ConsoleStack(base_url, url, redis_url, seeded, log_path)
    finally:
        stop_process(console)
        redis.stop()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/console")
