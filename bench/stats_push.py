"""Wallboard push latency (part of bench/stats.py).

Real pieces except Asterisk: a private redis-server, the console as its own
process (`hotline console`), a supervisor logged in with python-socketio over
websocket on /wallboard, and the bridge's pipeline (`telephony.bridge.Bridge`:
normalizer, state machine, call writer, then `call_queue.live.LiveStateSink`
publishing on Socket.IO's Redis queue) fed AMI messages shaped like Asterisk 22's.
50 members, 100 calls in progress (50 talking, 50 waiting); then callers join
and abandon one at a time. Latency = Bridge.on_message() called -> the board
that shows the change received by the client.
"""
from __future__ import annotations

import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
import socketio
from werkzeug.security import generate_password_hash

import models
from call_queue.live import LiveStateSink
from models.console import User
from models.session import engine_for, session_factory
from telephony.bridge import Bridge
from bench.support import percentile, private_console, start_redis, stop_processes

MEMBERS = [f"PJSIP/8{index:03d}" for index in range(50)]
PASSWORD = "bench password 1"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Supervisor:
    """A logged-in browser stand-in on /wallboard, keeping every board it receives."""

    def __init__(self, base_url: str):
        self.boards: list[tuple[float, dict]] = []
        self.arrived = threading.Condition()
        http = requests.Session()
        token = CSRF_RE.search(http.get(base_url + "/login").text).group(1)
        answer = http.post(base_url + "/login", allow_redirects=False, data={
            "username": "boss", "password": PASSWORD, "csrf_token": token})
        if answer.status_code != 302:
            raise SystemExit(f"supervisor log-in failed: {answer.status_code}")
        self.client = socketio.Client(http_session=http, reconnection=False)
        self.client.on("board", self._on_board, namespace="/wallboard")
        self.client.connect(base_url, namespaces=["/wallboard"], transports=["websocket"],
                            headers={"User-Agent": http.headers["User-Agent"]}, wait_timeout=10)

    def _on_board(self, board: dict) -> None:
        received = time.time()
        with self.arrived:
            self.boards.append((received, board))
            self.arrived.notify_all()

    def wait(self, predicate, since: int, timeout_s: float = 10.0) -> float:
        """Arrival time of the first board after index `since` that satisfies predicate."""
        deadline = time.monotonic() + timeout_s
        with self.arrived:
            while True:
                for received, board in self.boards[since:]:
                    if predicate(board):
                        return received
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"the wallboard never showed the change "
                                     f"({len(self.boards)} boards received)")
                self.arrived.wait(left)


def _waiting(board: dict) -> set:
    return {caller["callid"] for queue in board["queues"] for caller in queue["waiting"]}


def ami(event: str, callid: str, **extra) -> dict:
    return {"Event": event, "Channel": f"PJSIP/trunk-{callid}", "CallerIDNum": "13800138000",
            "CallerIDName": "张三", "Uniqueid": callid, "Linkedid": callid, "Queue": "hotline",
            "Context": "from-trunk", "Exten": "4000", **extra}


def fill(bridge: Bridge) -> None:
    for interface in MEMBERS:
        bridge.on_message({"Event": "QueueMemberAdded", "Queue": "hotline",
                           "Interface": interface, "MemberName": interface, "Status": "1",
                           "Paused": "0", "InCall": "0"})
    for index, interface in enumerate(MEMBERS):
        callid = f"talk.{index}"
        bridge.on_message(ami("QueueCallerJoin", callid, Position="1"))
        bridge.on_message(ami("AgentCalled", callid, Interface=interface, MemberName=interface,
                              DestChannel=f"{interface}-{index:08x}"))
        bridge.on_message(ami("AgentConnect", callid, Interface=interface, MemberName=interface,
                              DestChannel=f"{interface}-{index:08x}", HoldTime="3",
                              RingTime="2"))
    for index in range(50):
        bridge.on_message(ami("QueueCallerJoin", f"wait.{index}", Position=str(index + 1)))


def measure(bridge: Bridge, supervisor: Supervisor, samples: int, tag: str) -> list[float]:
    latencies = []
    for index in range(samples // 2):
        callid = f"{tag}.{index}"  # ids are never reused: the bridge drops repeats
        for message, shows in (
                (ami("QueueCallerJoin", callid, Position="51"),
                 lambda board: callid in _waiting(board)),
                (ami("QueueCallerAbandon", callid, Position="51", OriginalPosition="51",
                     HoldTime="30"),
                 lambda board: callid not in _waiting(board))):
            since = len(supervisor.boards)
            sent = time.time()
            bridge.on_message(message)
            latencies.append((supervisor.wait(shows, since) - sent) * 1000)
    return latencies


def run(base_settings, calls_in_progress: int = 100, samples: int = 300) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-wallboard-") as folder_name:
        folder = Path(folder_name)
        redis_process, redis_url = start_redis(folder)
        console = None
        try:
            database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
            models.Base.metadata.create_all(engine_for(database_url))
            with session_factory(database_url)() as session:
                session.add(User(username="boss", role="supervisor", phone_interface="PJSIP/8999",
                                 password_hash=generate_password_hash(PASSWORD)))
                session.commit()
            settings, base_url, console = private_console(
                base_settings, database_url, redis_url, folder)
            sink = LiveStateSink(settings)
            bridge = Bridge(settings, engine_for(database_url), sinks=[sink],
                            connection_factory=lambda *args: None)
            bridge.on_message({"Event": "FullyBooted"})
            fill(bridge)
            supervisor = Supervisor(base_url)
            supervisor.wait(lambda board: len(_waiting(board)) == 50, 0)
            measure(bridge, supervisor, 20, "warm")
            latencies = measure(bridge, supervisor, samples, "probe")
            board = supervisor.boards[-1][1]
            talking = sum(1 for agent in board["agents"] if agent["state"] == "talking")
            print(f"wallboard push: {len(latencies)} changes with {talking} calls talking + "
                  f"{len(_waiting(board))} waiting ({calls_in_progress} in progress), "
                  f"{os.cpu_count()} CPUs")
            p99 = percentile(latencies, .99)
            print(f"  AMI message at the bridge -> board at the client: "
                  f"p50 {percentile(latencies, .5):.2f} ms  p99 {p99:.2f} ms  "
                  f"max {max(latencies):.2f} ms  mean {statistics.fmean(latencies):.2f} ms")
            print(f"  target p99 < 200 ms: {'met' if p99 < 200 else 'NOT met'}")
            supervisor.client.disconnect()
            bridge.stop()
        finally:
            stop_processes(console, redis_process)
