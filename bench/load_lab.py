"""bench/load's moving parts: a private Redis, the bench database, child processes
(bridge, console, SIPp phones and callers), agents' Socket.IO clients, and
CPU/memory read from /proc. The measuring and printing is in bench/load.py.
"""
from __future__ import annotations

import dataclasses
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis
import requests
import socketio
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import models
from households.demo import make_demo_data
from households.terms import HouseholdTerms
from models.console import User
from models.households import Person, Phone
from models.session import make_engine, session_factory

REPO = Path(__file__).resolve().parent.parent
SIPP_DIR = Path(__file__).resolve().parent / "sipp"
PASSWORD = "bench load password"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Children:
    """Child processes with a log file each, stopped together (SIGTERM, then SIGKILL)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log_file = open(self.log_dir / f"{name}.log", "ab")
        child = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, cwd=REPO)
        log_file.close()
        self.running.append((name, child))
        return child

    def stop(self, child: subprocess.Popen, timeout_s: float = 10) -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def stop_all(self) -> None:
        for _, child in reversed(self.running):
            if child.poll() is None:
                child.terminate()
        for _, child in self.running:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def start_redis(children: Children, folder: Path) -> str:
    """A private redis-server: the bench's pops never reach another console."""
    path = folder / "redis.sock"
    children.start("redis", ["redis-server", "--port", "0", "--unixsocket", str(path),
                             "--save", "", "--appendonly", "no"])
    client = redis.Redis(unix_socket_path=str(path))
    for _ in range(200):
        try:
            client.ping()
            return f"unix://{path}?db=0"
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("bench: redis-server did not start")


def prepare_database(url: str, agents: int, households: int,
                     terms: HouseholdTerms) -> list[tuple[str, str]]:
    """Schema, demo households and one agent user per phone; returns callers (number, name)."""
    models.Base.metadata.create_all(make_engine(url))
    with session_factory(url)() as session:
        if session.scalar(select(User.id).limit(1)) is None:
            make_demo_data(session, households, as_of=terms.today(),
                           local_area_code=terms.local_area_code)
            for index in range(1, agents + 1):
                session.add(User(username=f"agent{index:02d}", role="agent",
                                 phone_interface=f"PJSIP/80{index:02d}",
                                 display_name=f"坐席{index:02d}",
                                 password_hash=generate_password_hash(PASSWORD)))
            session.commit()
        rows = session.execute(select(Phone.raw, Person.name)
                               .join(Person, Phone.person_id == Person.id).limit(2000)).all()
    callers = [(raw, name) for raw, name in rows if raw.isdigit()]
    return callers or [("13900000000", "居民")]


def write_callers_csv(path: Path, callers: list[tuple[str, str]]) -> None:
    """SIPp's injection file (RANDOM order); a few unknown numbers among the residents."""
    lines = ["RANDOM"] + [f"{number};{name};" for number, name in callers]
    lines += [f"1390013{n:04d};陌生来电;" for n in random.sample(range(10_000), 20)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def render_scenario(folder: Path, name: str, values: dict[str, int], out_name: str) -> Path:
    text = (SIPP_DIR / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(int(value)))
    target = folder / out_name
    target.write_text(text)
    return target


def sipp_binary() -> str:
    binary = shutil.which("sipp")
    if not binary:
        raise SystemExit("bench: sipp is not installed (Debian package sip-tester)")
    return binary


SHARED_PHONE_PORT = 5100  # 80NN's own ports are 5101-5150; no phone is 8000


def start_agent_phones(children: Children, folder: Path, ring_ms: int) -> subprocess.Popen:
    """One SIPp UAS answering for every agent phone: the lab is reloaded for the run
    with HOTLINE_LAB_SHARED_PHONE_PORT, so that each 80NN's contact is this port."""
    scenario = render_scenario(folder, "agent_uas.xml", {"RING_MS": ring_ms}, "agent_uas.xml")
    if not udp_port_free(SHARED_PHONE_PORT):
        raise SystemExit(f"bench: the shared agent phone port {SHARED_PHONE_PORT} is taken "
                         "(is `hotline demo run` or a test's SIPp running?)")
    return children.start("agent-phones", [
        sipp_binary(), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(SHARED_PHONE_PORT),
        "-mp", "20000", "-m", "100000000", "-nostdin", "-recv_timeout", "120000",
        "-trace_err", "-error_file", str(folder / "agent-phones.err")])


@dataclasses.dataclass
class CallerMix:
    name: str
    share: float
    patience_ms: int
    local_port: int
    media_port: int


def start_callers(children: Children, folder: Path, mix: CallerMix, rate: float,
                  concurrency: int, duration_s: float, talk_ms: int, number: str,
                  csv_path: Path) -> subprocess.Popen:
    scenario = render_scenario(folder, "caller.xml", {"PATIENCE_MS": mix.patience_ms,
                                                      "TALK_MS": talk_ms},
                               f"caller_{mix.name}.xml")
    calls_per_10s = max(1, round(rate * mix.share * 10))
    total = max(1, round(rate * mix.share * duration_s))
    return children.start(f"callers-{mix.name}", [
        sipp_binary(), "127.0.0.1:5060", "-sf", str(scenario), "-i", "127.0.0.1",
        "-p", str(mix.local_port), "-mp", str(mix.media_port), "-s", number,
        "-inf", str(csv_path), "-r", str(calls_per_10s), "-rp", "10000",
        # -l is a safety cap, not a share: how many calls are in progress follows
        # from rate × time in the system (Little's law), and an even split would
        # starve the patient callers, who stay five times longer.
        "-l", str(concurrency), "-m", str(total),
        "-nostdin", "-recv_timeout", "120000", "-trace_err",
        "-error_file", str(folder / f"callers-{mix.name}.err")])


def hotline_argv(*args: str, switch_interval_ms: float | None = None,
                 pop_sink_first: bool = False) -> list[str]:
    """`hotline ARGS...`, optionally as an experiment on the bridge: another GIL
    switch interval. (`pop_sink_first` is refused: since the screen-pops and the
    live board are one sink, call_queue.live, there is no order to change.)"""
    prelude = []
    if switch_interval_ms is not None:
        prelude.append(f"import sys; sys.setswitchinterval({switch_interval_ms / 1000!r})")
    if pop_sink_first:
        raise SystemExit("--pop-sink-first is gone: screen-pops and the live board are one "
                         "sink (call_queue.live), in one Redis pipeline")
    if not prelude:
        return [sys.executable, "-m", "hotline.cli", *args]
    return [sys.executable, "-c", "; ".join(prelude) + "; import sys; sys.argv[0] = 'hotline'; "
            "from hotline.cli import main; main()", *args]


def wait_http(url: str, child: subprocess.Popen, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"bench: {url} process exited with {child.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not answer within {timeout_s} s")


class AgentClient:
    """An agent's browser stand-in: logged in, /agent socket, every pop timed on arrival."""

    def __init__(self, base_url: str, username: str, interface: str):
        self.interface = interface
        self.pops: list[tuple[float, dict]] = []
        self.snapshots: list[dict] = []
        self._lock = threading.Lock()
        self.http = requests.Session()
        token = CSRF_RE.search(self.http.get(base_url + "/login").text).group(1)
        answer = self.http.post(base_url + "/login", allow_redirects=False, data={
            "username": username, "password": PASSWORD, "csrf_token": token})
        if answer.status_code != 302:
            raise SystemExit(f"bench: log-in of {username} failed ({answer.status_code})")
        self.base_url = base_url
        self.client = self._connect()

    def _connect(self) -> socketio.Client:
        client = socketio.Client(http_session=self.http, reconnection=False)
        client.on("screen_pop", self._on_pop, namespace="/agent")
        client.on("snapshot", self._on_snapshot, namespace="/agent")
        # Flask-Login's strong session protection ties the session to the user agent.
        client.connect(self.base_url, namespaces=["/agent"], transports=["websocket"],
                       headers={"User-Agent": self.http.headers["User-Agent"]},
                       wait_timeout=10)
        return client

    def reconnect(self) -> None:
        self.client.disconnect()
        self.client = self._connect()

    def _on_pop(self, payload: dict) -> None:
        received = time.time()
        with self._lock:
            self.pops.append((received, payload))

    def _on_snapshot(self, payload: dict) -> None:
        with self._lock:
            self.snapshots.append(payload)

    def close(self) -> None:
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001 - a dead console at the end is reported elsewhere
            pass


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class ProcessSampler:
    """CPU used and peak RSS of named processes between start() and stop()."""

    def __init__(self, pids: dict[str, list[int]], interval_s: float = 1.0):
        self.pids = pids
        self.interval_s = interval_s
        self.peak_rss: dict[str, float] = {name: 0.0 for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cpu(self) -> dict[str, float]:
        return {name: sum(proc_cpu_seconds(pid) for pid in pids)
                for name, pids in self.pids.items()}

    def start(self) -> None:
        self._cpu0, self._t0 = self._cpu(), time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            for name, pids in self.pids.items():
                rss = sum(proc_rss_mb(pid) for pid in pids)
                self.peak_rss[name] = max(self.peak_rss[name], rss)

    def stop(self) -> dict[str, tuple[float, float]]:
        """name -> (CPU as % of one core over the period, CPU seconds)."""
        self._stop.set()
        self._thread.join()
        wall = time.monotonic() - self._t0
        cpu1 = self._cpu()
        return {name: (100 * (cpu1[name] - self._cpu0[name]) / wall,
                       cpu1[name] - self._cpu0[name]) for name in self.pids}
