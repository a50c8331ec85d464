"""The whole hotline as subprocesses for a browser test against the lab.

The real bridge (`hotline bridge`) and console (`hotline console`) on the test's
own SQLite database and private redis-server, logged in to the lab's Asterisk
with the bridge's AMI user; their logs go to the test's artifacts folder.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import requests

from bench.support import free_port
from tests.labtools import wait_until

REPO = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class LiveStack:
    base_url: str
    redis_client: object
    bridge_log: Path
    console_log: Path


def start_process(name: str, args: list[str], env: dict, artifacts: Path):
    artifacts.mkdir(parents=True, exist_ok=True)
    log_path = artifacts / f"{name}.log"
    log_file = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-c", "from hotline.cli import main; main()",
                                *args], env=env, cwd=REPO, stdout=log_file,
                               stderr=subprocess.STDOUT)
    return process, log_path


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def healthy(base_url: str) -> bool:
    try:
        return requests.get(base_url + "/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def run_live_stack(lab, database_url: str, redis_server, state_dir: Path,
                   artifacts: Path) -> Iterator[LiveStack]:
    """Bridge and console up and connected; stopped when the generator closes."""
    port = free_port()
    env = dict(os.environ, HOTLINE_DATABASE_URL=database_url,
               HOTLINE_REDIS_URL=redis_server.url, HOTLINE_STATE_DIR=str(state_dir),
               HOTLINE_CONSOLE_HOST="127.0.0.1", HOTLINE_CONSOLE_PORT=str(port),
               HOTLINE_SECRET_KEY_FILE=str(state_dir / "key"),
               # the lab's own secret file lives in the repo's state folder
               HOTLINE_AMI_SECRET=lab.bridge_ami_secret)
    bridge, bridge_log = start_process("bridge", ["bridge"], env, artifacts)
    console, console_log = start_process("console", ["console"], env, artifacts)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(base_url), 30, f"console health ({console_log})")
        wait_until(lambda: b"AMI connected" in bridge_log.read_bytes(), 30,
                   f"bridge AMI session ({bridge_log})")
        yield LiveStack(base_url, redis_server.client(), bridge_log, console_log)
    finally:
        stop_process(console)
        stop_process(bridge)


@dataclasses.dataclass(frozen=True)
class DeskAgent:
    """An agent of a live-stack browser test: who logs in, at which phone."""
    username: str
    interface: str
    display_name: str
    language: str = "zh"


def agents_database(path: Path, agents: tuple[DeskAgent, ...], password: str) -> str:
    """A SQLite database (its URL) with the schema, twelve demo households and these
    agents, each logging in with `password`: what run_live_stack's tests start from."""
    from werkzeug.security import generate_password_hash

    import models
    from models.console import User
    from models.session import make_engine, session_factory
    from tests.support.demo import demo_data

    url = f"sqlite:///{path}"
    models.Base.metadata.create_all(make_engine(url))
    with session_factory(url)() as session:
        demo_data(session, 12)
        for agent in agents:
            session.add(User(username=agent.username, role="agent",
                             phone_interface=agent.interface,
                             display_name=agent.display_name, language=agent.language,
                             password_hash=generate_password_hash(password)))
        session.commit()
    return url
