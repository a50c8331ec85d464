"""Tools of tests/integration/test_faults.py: services it starts, stops and kills.

A private PostgreSQL cluster (the private redis-server is tests/support/redis_server.py) (stopping Debian's main
cluster would break every other test using it meanwhile), `hotline bridge` and
`hotline console` as child processes, the lab's Asterisk killed and started
again as `hotline lab up` starts it, and the checks run after each fault.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import models
from bench.load_lab import PASSWORD
from call_queue.live import BOARD_KEY
from hotline import lab as lab_module
from models.calls import Call
from models.console import User
from models.session import make_engine, session_factory
from telephony.ami.probe import AmiProbeError, wait_fully_booted
from tests import labtools
from tests.support.lab_calls import (  # noqa: F401 - test_faults uses them as tools.*
    Members, control_connection, hang_up_calls_from, queue_members, set_lab_phone,
)

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """A throwaway PostgreSQL 15 cluster on loopback, for stopping without harm to others."""

    def __init__(self, _tmp_hint: Path):
        # Under /tmp, not pytest's 0700 folder: the server runs as user postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="hotline-faults-pg-"))
        shutil.chown(self.folder, "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.folder / "data"),
                           "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        self.start()
        engine = make_engine(self.url)
        models.Base.metadata.create_all(engine)
        engine.dispose()

    def _as_postgres(self, argv: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w",
                           "-l", str(self.folder / "log"), "-o",
                           f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1",
                           "start"])

    def stop(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w",
                           "-m", "fast", "stop"])

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)


class BridgeProcess:
    """`hotline bridge` as a child process; its log tells how often it resynced."""

    def __init__(self, env: dict, log_path: Path):
        self.log_path = log_path
        self._offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "bridge"], env=env, cwd=REPO,
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: self.resyncs() >= 1 or not self.alive(), 20, "the bridge's resync")
        assert self.alive(), f"the bridge exited; see {log_path}"

    def resyncs(self) -> int:
        with open(self.log_path, "rb") as log_file:
            log_file.seek(self._offset)
            return log_file.read().count(b"telephony.resync: resync: {")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Stack:
    """The console (child process) on a private database and Redis; bridges on demand."""

    def __init__(self, lab, folder: Path, redis_server: RedisServer, agents: dict[str, str]):
        self.folder = folder
        self.redis = redis.Redis.from_url(redis_server.url)
        self.database_url = f"sqlite:///{folder / 'faults.sqlite3'}"
        models.Base.metadata.create_all(make_engine(self.database_url))
        with session_factory(self.database_url)() as session:
            for interface, username in agents.items():
                session.add(User(username=username, role="agent", phone_interface=interface,
                                 password_hash=generate_password_hash(PASSWORD)))
            session.commit()
        port = free_port()
        self.console_url = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, HOTLINE_DATABASE_URL=self.database_url,
                        HOTLINE_REDIS_URL=redis_server.url, HOTLINE_STATE_DIR=str(folder),
                        HOTLINE_AMI_SECRET_FILE=str(lab.settings.ami_secret_file),
                        HOTLINE_CONSOLE_HOST="127.0.0.1", HOTLINE_CONSOLE_PORT=str(port),
                        HOTLINE_FASTAGI_BIND=f"127.0.0.1:{free_port()}")
        with open(folder / "console.log", "ab") as log_file:
            self.console = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "console"], env=self.env, cwd=REPO,
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: _answers(self.console_url + "/healthz"), 30, "the console")

    def bridge(self, database_url: str | None = None) -> BridgeProcess:
        env = dict(self.env, HOTLINE_DATABASE_URL=database_url or self.database_url)
        return BridgeProcess(env, self.folder / "bridge.log")

    def close(self) -> None:
        self.console.terminate()
        self.console.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


# ---- Asterisk
def queue_entries(control, queue: str) -> set[str]:
    status = control.send_action({"Action": "QueueStatus", "Queue": queue}, timeout=10)
    return {entry.get("Uniqueid") for entry in status.events
            if entry.get("Event") == "QueueEntry"}


def persistent_members_back(control, queue: str, interfaces) -> bool:
    return set(interfaces) <= set(queue_members(control, queue))


def originate(control, lab, caller_number: str, caller_name: str, patience_s: int) -> str:
    """A resident's call into the hotline (Local channel); returns its queue callid."""
    callid = labtools.new_callid()
    response = control.send_action({
        "Action": "Originate", "Channel": f"Local/{lab.hotline_number}@from-trunk/n",
        "Context": "lab-caller", "Exten": str(patience_s), "Priority": "1",
        "CallerID": f'"{caller_name}" <{caller_number}>', "ChannelId": labtools.new_callid(),
        "OtherChannelId": callid, "Async": "true", "Timeout": str(patience_s * 1000)})
    assert response.ok, response.text
    return callid


def kill_lab_asterisk(lab) -> None:
    state = lab_module._read_state(lab.settings)
    assert state and state.asterisk_pid, "the lab is not up"
    os.kill(state.asterisk_pid, signal.SIGKILL)
    # A killed process's leader turns zombie before its other threads have gone and
    # its sockets closed: a new Asterisk started then finds asterisk.ctl answering
    # ("already running") and exits. Gone means AMI's port refuses connections.
    wait_for(lambda: not lab_module._alive(state.asterisk_pid)
             and not _accepts(lab.ami_host, lab.ami_port), 10, "Asterisk gone")


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def start_lab_asterisk(lab, attempts: int = 3) -> None:
    """Start the lab's Asterisk again as `hotline lab up` does (Redis untouched)."""
    settings = lab.settings
    for _ in range(attempts):
        state = lab_module._read_state(settings)
        state.asterisk_pid = lab_module._start_asterisk(settings, settings.state_dir / "lab")
        lab_module._write_state(settings, state)
        time.sleep(2)
        if lab_module._alive(state.asterisk_pid):
            break
    try:
        wait_fully_booted(lab.ami_host, lab.ami_port, lab.ami_user, lab.ami_secret,
                          timeout_s=60)
    except AmiProbeError:
        lab_module.up(settings)  # never leave the shared lab down
        raise


# ---- what must hold after each fault
def row(engine, callid: str) -> dict:
    with engine.connect() as connection:
        found = connection.execute(
            select(Call.__table__).where(Call.callid == callid)).mappings().first()
    return dict(found) if found else {}


def wait_queue_log_end(lab, callid: str, timeout_s: float = 20) -> None:
    from telephony.queue_log import read_queue_log, summarize_calls

    def ended():
        call = summarize_calls(read_queue_log(lab.queue_log_path, tail_bytes=1 << 20)).get(callid)
        return call is not None and call.ended_at is not None

    wait_for(ended, timeout_s, f"queue_log ending {callid}")


def board_differences(redis_client, control, queue: str) -> list[str]:
    raw = redis_client.get(BOARD_KEY)
    if not raw:
        return ["no live board in Redis"]
    board = json.loads(raw)
    members = queue_members(control, queue)
    agents = {interface: agent for interface, agent in board["agents"].items()
              if queue in agent["queues"]}
    problems = []
    if set(members) != set(agents):
        problems.append(f"members {sorted(members)} != board {sorted(agents)}")
    for interface in set(members) & set(agents):
        if (members[interface].get("Paused") == "1") != agents[interface]["paused"]:
            problems.append(f"{interface} paused differs")
    waiting = set(board["queues"].get(queue, {}).get("waiting", {}))
    entries = queue_entries(control, queue)
    if waiting != entries:
        problems.append(f"waiting {sorted(waiting)} != QueueStatus {sorted(entries)}")
    if not board.get("current"):
        problems.append(f"board not current: {board.get('note')}")
    return problems


def wait_board_equals_queue_status(redis_client, control, queue: str,
                                   timeout_s: float = 10) -> None:
    last: list[str] = []

    def same() -> bool:
        last[:] = board_differences(redis_client, control, queue)
        return not last

    try:
        wait_for(same, timeout_s, "the live board to equal QueueStatus")
    except AssertionError:
        raise AssertionError(f"live board != QueueStatus after {timeout_s} s: {last}") from None
