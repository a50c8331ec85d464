"""The FastAGI server and the pyst2 adapter, against a fake Asterisk speaking the
FastAGI protocol over TCP (env lines, blank line, `200 result=` replies, HANGUP)."""
from __future__ import annotations

import logging
import signal
import socket
import threading
import time

import pytest
from asterisk.agi import AGIAppError, AGIHangup

from telephony.ivr.fastagi import FastAgiServer, LoggerStream, SocketAGI
from telephony.ivr.fastagi_limits import FastAgiLimits

ENV = {"agi_network": "yes", "agi_network_script": "probe", "agi_request":
       "agi://127.0.0.1/probe", "agi_channel": "Local/4001@from-trunk-0001;2",
       "agi_uniqueid": "1700000000.7", "agi_callerid": "13800000000", "agi_language": "zh"}


class FakeAsterisk:
    """One FastAGI connection from 'Asterisk': replies come from `replies` in order."""

    def __init__(self, port: int, replies: list[str], env: dict | None = None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.rfile = self.sock.makefile("r", encoding="utf-8", newline="\n")
        self.replies = list(replies)
        self.commands: list[str] = []
        for key, value in (env or ENV).items():
            self.sock.sendall(f"{key}: {value}\n".encode())
        self.sock.sendall(b"\n")

    def serve(self, timeout_s: float = 5) -> bool:
        """Answer commands until the server closes; True if it closed in time."""
        self.sock.settimeout(timeout_s)
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    return True
                self.commands.append(line.rstrip("\n"))
                if self.replies:
                    self.sock.sendall(self.replies.pop(0).encode())
        except (socket.timeout, TimeoutError):
            return False
        finally:
            self.rfile.close()
            self.sock.close()


@pytest.fixture
def server_with():
    servers = []

    def start(script, read_timeout_s=5.0, max_session_s=30.0, name="probe", limits=None):
        server = FastAgiServer(("127.0.0.1", 0), {name: script},
                               read_timeout_s=read_timeout_s, max_session_s=max_session_s,
                               limits=limits)
        server.start()
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


class Outcome:
    def __init__(self):
        self.done = threading.Event()
        self.values: dict = {}
        self.error: BaseException | None = None


def recording(body):
    """A script that runs `body(agi, outcome)` and keeps what it returned or raised."""
    outcome = Outcome()

    def script(agi):
        try:
            body(agi, outcome)
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            outcome.error = error
            raise
        finally:
            outcome.done.set()
    return script, outcome


def test_env_is_read_and_script_runs_off_the_main_thread(server_with, monkeypatch):
    # pyst2's AGI.__init__ calls signal.signal, which raises off the main thread:
    # make any call fail loudly so the adapter is seen not to make one.
    def no_signals(*_args):
        raise AssertionError("signal.signal called")
    monkeypatch.setattr(signal, "signal", no_signals)

    def body(agi, outcome):
        outcome.values["env"] = dict(agi.env)
        outcome.values["thread"] = threading.current_thread() is threading.main_thread()
        outcome.values["var"] = agi.get_variable("CHANNEL(linkedid)")
        agi.set_variable("HOTLINE_IVR_NEXT", "agent")
    script, outcome = recording(body)
    server = server_with(script)
    asterisk = FakeAsterisk(server.port, ["200 result=1 (1700000000.6)\n", "200 result=1\n"])
    assert asterisk.serve()
    assert outcome.done.wait(2) and outcome.error is None
    assert outcome.values["env"]["agi_uniqueid"] == "1700000000.7"
    assert outcome.values["thread"] is False
    assert outcome.values["var"] == "1700000000.6"
    assert asterisk.commands == ['GET VARIABLE "CHANNEL(linkedid)"',
                                 'SET VARIABLE "HOTLINE_IVR_NEXT" "agent"']


def test_hangup_line_before_a_reply_is_dropped_and_the_next_command_raises(server_with):
    def body(agi, outcome):
        outcome.values["first"] = agi.execute("NOOP")["result"][0]
        outcome.values["hung_up"] = agi.hung_up
        agi.execute("NOOP")
    script, outcome = recording(body)
    server = server_with(script)
    asterisk = FakeAsterisk(server.port, ["HANGUP\n200 result=0\n", "200 result=0\n"])
    assert asterisk.serve()
    assert outcome.values == {"first": "0", "hung_up": True}
    assert isinstance(outcome.error, AGIHangup)
    assert asterisk.commands == ["NOOP"]  # the second was never sent to a dead channel


@pytest.mark.parametrize("reply", ["511 Command Not Permitted on a dead channel or intercept routine\n",
                                   "HANGUP\n200 result=-1\n"])
def test_dead_channel_replies_raise_agi_hangup(server_with, reply):
    script, outcome = recording(lambda agi, _: agi.stream_file("hotline/ivr-greeting"))
    server = server_with(script)
    assert FakeAsterisk(server.port, [reply]).serve()
    assert isinstance(outcome.error, AGIHangup)


def test_failure_on_a_live_channel_is_an_app_error_not_a_hangup(server_with):
    # STREAM FILE of a missing file: "200 result=-1 endpos=0", the channel lives on
    script, outcome = recording(lambda agi, _: agi.stream_file("hotline/nothing"))
    server = server_with(script)
    assert FakeAsterisk(server.port, ["200 result=-1 endpos=0\n"]).serve()
    assert isinstance(outcome.error, AGIAppError) and not isinstance(outcome.error, AGIHangup)


def test_closed_connection_raises_agi_hangup(server_with):
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script)
    asterisk = FakeAsterisk(server.port, [])
    assert asterisk.rfile.readline() == "NOOP\n"
    asterisk.rfile.close()
    asterisk.sock.close()
    assert outcome.done.wait(3)
    assert isinstance(outcome.error, AGIHangup)


def test_garbage_reply_is_an_agi_error_not_a_value_error(server_with):
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script)
    assert FakeAsterisk(server.port, ["what?\n"]).serve()
    assert outcome.error is not None and not isinstance(outcome.error, ValueError)


@pytest.mark.parametrize("reply, expected", [
    ("200 result=3*2*1502\n", ("3*2*1502", False)),
    ("200 result=3*2 (timeout)\n", ("3*2", True)),
    ("200 result= (timeout)\n", ("", True)),
])
def test_get_data_tells_digits_and_timeout(server_with, reply, expected):
    script, outcome = recording(lambda agi, out: out.values.update(
        got=agi.get_data_timed("hotline/ivr-enter-room", 8000, 24)))
    server = server_with(script)
    asterisk = FakeAsterisk(server.port, [reply])
    assert asterisk.serve()
    assert outcome.values["got"] == expected
    assert asterisk.commands == ["GET DATA hotline/ivr-enter-room 8000 24"]


def test_a_silent_asterisk_is_given_up_after_the_read_timeout(server_with):
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script, read_timeout_s=0.3)
    asterisk = FakeAsterisk(server.port, [])  # never replies
    started = time.monotonic()
    assert asterisk.serve(timeout_s=5)
    assert time.monotonic() - started < 3
    assert isinstance(outcome.error, OSError)


def test_a_stuck_script_is_cut_off_by_the_watchdog(server_with):
    release = threading.Event()
    script, outcome = recording(lambda agi, _: release.wait(10))
    server = server_with(script, max_session_s=0.5)
    asterisk = FakeAsterisk(server.port, [])
    started = time.monotonic()
    try:
        assert asterisk.serve(timeout_s=5)  # the server closed the call
        assert time.monotonic() - started < 3
    finally:
        release.set()


def test_unknown_script_closes_without_commands(server_with):
    script, outcome = recording(lambda agi, _: None)
    server = server_with(script, name="fee_balance")
    asterisk = FakeAsterisk(server.port, [], env={**ENV, "agi_network_script": "nope"})
    assert asterisk.serve()
    assert asterisk.commands == [] and not outcome.done.is_set()


def test_script_name_drops_query_and_slashes():
    class Lines:
        def __init__(self, lines):
            self.lines = list(lines)

        def readline(self):
            return self.lines.pop(0) if self.lines else ""
    agi = SocketAGI(Lines(["agi_network_script: /fee_balance?x=1\n", "\n"]), None,
                    trace=LoggerStream(logging.getLogger("test")))
    assert agi.script_name == "fee_balance"


def test_pyst2_trace_goes_to_the_logger(server_with, caplog):
    caplog.set_level(logging.DEBUG, logger="telephony.ivr.fastagi.trace")
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script)
    assert FakeAsterisk(server.port, ["200 result=0\n"]).serve()
    traced = [r.getMessage() for r in caplog.records if r.name == "telephony.ivr.fastagi.trace"]
    assert any("ENV LINE: agi_uniqueid: 1700000000.7" in m for m in traced)
    assert any("COMMAND: NOOP" in m for m in traced)
    assert any("RESULT_LINE: 200 result=0" in m for m in traced)


def test_many_calls_at_once_are_served_in_parallel(server_with):
    gate = threading.Barrier(5, timeout=5)

    def body(agi, _outcome):
        gate.wait()  # only passes if 5 sessions run at the same time
        agi.execute("NOOP")
    script, _ = recording(body)
    server = server_with(script)
    callers = [FakeAsterisk(server.port, ["200 result=0\n"]) for _ in range(5)]
    results = []
    threads = [threading.Thread(target=lambda c=c: results.append(c.serve())) for c in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [True] * 5
    assert all(c.commands == ["NOOP"] for c in callers)


class ScriptedAsterisk(FakeAsterisk):
    """Replies 200 result=0 to everything but GET DATA, which gets `keyed` in order."""

    def __init__(self, port: int, keyed: list[str], env: dict):
        super().__init__(port, [], env)
        self.keyed = list(keyed)

    def serve(self, timeout_s: float = 5) -> bool:
        self.sock.settimeout(timeout_s)
        try:
            while line := self.rfile.readline():
                self.commands.append(line.rstrip("\n"))
                if line.startswith("GET DATA") and self.keyed:
                    reply = f"200 result={self.keyed.pop(0)}\n"
                elif line.startswith("GET DATA"):
                    reply = "200 result= (timeout)\n"
                else:
                    reply = "200 result=0\n"
                self.sock.sendall(reply.encode())
            return True
        finally:
            self.rfile.close()
            self.sock.close()


def test_fee_balance_over_the_wire(server_with):
    from tests.unit.ivr_fakes import demo_backend
    from telephony.ivr.flow import FeeBalanceScript

    backend = demo_backend()
    server = server_with(FeeBalanceScript(backend, 3000), name="fee_balance")
    asterisk = ScriptedAsterisk(server.port, ["3*2*1502", "5678", "0"],
                                {**ENV, "agi_network_script": "fee_balance",
                                 "agi_callerid": "13800000000"})
    assert asterisk.serve()
    commands = asterisk.commands
    assert commands[0] == "ANSWER"
    assert 'SET VARIABLE "CHANNEL(language)" "zh"' in commands
    assert "STREAM FILE hotline/ivr-greeting \"\" 0" in commands
    assert "GET DATA hotline/ivr-enter-room 3000 24" in commands
    assert 'SAY NUMBER "1234" "012"' in commands
    assert 'SET VARIABLE "__HOTLINE_HOUSEHOLD_ID" "7"' in commands
    assert commands[-1] == 'SET VARIABLE "HOTLINE_IVR_NEXT" "agent"'
    assert backend.sessions[1].outcome == "to_agent"


@pytest.mark.parametrize("variable, value", [("HOTLINE_FASTAGI_READ_TIMEOUT_S", "soon"),
                                             ("HOTLINE_IVR_MAX_SESSION_S", "0"),
                                             ("HOTLINE_IVR_DB_TIMEOUT_S", "-1"),
                                             ("HOTLINE_IVR_INPUT_TIMEOUT_S", "999"),
                                             ("HOTLINE_SOUNDS_DIR", " ")])
def test_bad_ivr_setting_is_named(monkeypatch, variable, value):
    from hotline.errors import SettingsError
    from hotline.settings import load_settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.variable == variable


def test_start_fastagi_server_binds_the_settings_address_and_serves(monkeypatch, tmp_path):
    from hotline.settings import load_settings
    from telephony.ivr.fastagi import start_fastagi_server

    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("HOTLINE_FASTAGI_BIND", "127.0.0.1:4573")
    settings = load_settings()
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = start_fastagi_server(settings, scripts={"probe": script}, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1" and server.port != 4573
        assert server.read_timeout_s == settings.fastagi_read_timeout_s
        assert FakeAsterisk(server.port, ["200 result=0\n"]).serve()
        assert outcome.done.wait(2) and outcome.error is None
    finally:
        server.stop()


def test_default_scripts_serve_fee_balance(monkeypatch, tmp_path):
    from hotline.settings import load_settings
    from telephony.ivr.fastagi import default_scripts

    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    scripts = default_scripts(load_settings())
    try:
        assert list(scripts) == ["fee_balance"]
    finally:
        scripts["fee_balance"].close()


# --- limits: each against the real server socket ----------------------------------

def closed_by_server(sock: socket.socket, timeout_s: float = 3) -> bool:
    """True if the server closes the connection (EOF or reset) within timeout_s."""
    sock.settimeout(timeout_s)
    try:
        while sock.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except (socket.timeout, TimeoutError):
        return False
    finally:
        sock.close()


def flood(sock: socket.socket, chunks) -> dict:
    """Send chunks until the server closes; what happened, for the test."""
    sent = {"bytes": 0, "cut": False}
    try:
        for chunk in chunks:
            sock.sendall(chunk)
            sent["bytes"] += len(chunk)
    except OSError:  # reset or broken pipe: the server closed it
        sent["cut"] = True
    return sent


def test_a_10_mb_line_closes_the_connection_before_it_is_read(server_with):
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script, limits=FastAgiLimits(max_line_bytes=8192))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    line = b"agi_request: " + b"x" * (10 * 1024 * 1024) + b"\n"
    sent = flood(sock, (line[i:i + 65536] for i in range(0, len(line), 65536)))
    sock.close()
    # The server stopped after 8 KiB: the rest of the 10 MB could not be delivered.
    assert sent["cut"] and sent["bytes"] < len(line)
    assert not outcome.done.is_set()
    assert FakeAsterisk(server.port, ["200 result=0\n"]).serve()  # still serving
    assert outcome.done.wait(2) and outcome.error is None


def test_a_line_at_the_limit_is_accepted(server_with):
    def body(agi, outcome):
        outcome.values["long"] = agi.env["agi_long"]
    script, outcome = recording(body)
    server = server_with(script, limits=FastAgiLimits(max_line_bytes=300))
    value = "y" * (300 - len("agi_long: "))
    assert FakeAsterisk(server.port, [], env={**ENV, "agi_long": value}).serve()
    assert outcome.done.wait(2) and outcome.values["long"] == value


def test_an_endless_environment_is_cut_after_the_limit(server_with):
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script, limits=FastAgiLimits(max_env_lines=200))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    lines = (f"agi_arg_{n}: {n}\n".encode() for n in range(10_000_000))
    worker = threading.Thread(target=lambda: results.append(flood(sock, lines)))
    results: list[dict] = []
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "the server never closed an endless environment"
    sock.close()
    assert results[0]["cut"] and not outcome.done.is_set()


def test_an_environment_of_200_lines_is_accepted(server_with):
    def body(agi, outcome):
        outcome.values["count"] = len(agi.env)
    script, outcome = recording(body)
    server = server_with(script, limits=FastAgiLimits(max_env_lines=200))
    env = {**ENV, **{f"agi_arg_{n}": str(n) for n in range(200 - len(ENV))}}
    assert FakeAsterisk(server.port, [], env=env).serve()
    assert outcome.done.wait(2) and outcome.values["count"] == 200


def test_a_peer_that_is_not_asterisk_is_closed_on_accept(server_with):
    import ipaddress

    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    limits = FastAgiLimits(allowed_peers=(ipaddress.ip_network("127.0.0.1/32"),))
    server = server_with(script, limits=limits)
    stranger = socket.create_connection(("127.0.0.1", server.port), timeout=5,
                                        source_address=("127.0.0.2", 0))
    flood(stranger, [f"{key}: {value}\n".encode() for key, value in ENV.items()] + [b"\n"])
    assert closed_by_server(stranger)
    assert not outcome.done.wait(0.3)
    assert server.foreign_peers.total == 1
    assert FakeAsterisk(server.port, ["200 result=0\n"]).serve()  # 127.0.0.1 is served
    assert outcome.done.wait(2)


def test_beyond_the_pool_a_connection_is_refused_at_once_and_logged(server_with, caplog):
    release = threading.Event()
    started = threading.Semaphore(0)

    def body(agi, _outcome):
        started.release()
        release.wait(10)
    script, _ = recording(body)
    server = server_with(script, limits=FastAgiLimits(workers=3))
    callers = [FakeAsterisk(server.port, []) for _ in range(3)]
    try:
        for _ in callers:
            assert started.acquire(timeout=3)  # three calls in progress
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        began = time.monotonic()
        assert closed_by_server(extra, timeout_s=2)
        assert time.monotonic() - began < 1
        assert server.pool.refused.total == 1 and server.pool.busy() == (0, 3)
        assert any("refused" in r.getMessage() for r in caplog.records)
    finally:
        release.set()
        for caller in callers:
            caller.serve()


def test_idle_connections_fill_the_pool_but_cannot_keep_a_call_out(server_with):
    script, outcome = recording(lambda agi, _: agi.execute("NOOP"))
    server = server_with(script, limits=FastAgiLimits(workers=4), read_timeout_s=5)
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5)
            for _ in range(200)]
    try:
        deadline = time.monotonic() + 5
        while server.pool.busy() != (4, 0) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.pool.busy() == (4, 0)
        assert threading.active_count() < 40  # not a thread per connection
        assert FakeAsterisk(server.port, ["200 result=0\n"]).serve()
        assert outcome.done.wait(2) and outcome.error is None
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_connection_times_out_per_the_read_timeout(server_with):
    script, outcome = recording(lambda agi, _: None)
    server = server_with(script, read_timeout_s=0.5)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    began = time.monotonic()
    assert closed_by_server(sock, timeout_s=4)
    assert 0.4 < time.monotonic() - began < 3
    deadline = time.monotonic() + 2
    while server.pool.busy() != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.pool.busy() == (0, 0)


@pytest.mark.parametrize("variable, value", [("HOTLINE_FASTAGI_MAX_LINE_BYTES", "10"),
                                             ("HOTLINE_FASTAGI_MAX_ENV_LINES", "many"),
                                             ("HOTLINE_FASTAGI_WORKERS", "0"),
                                             ("HOTLINE_FASTAGI_ALLOWED_PEERS", "10.0.0.1; x"),
                                             ("HOTLINE_FASTAGI_ALLOWED_PEERS", " , ")])
def test_bad_fastagi_limit_is_named(monkeypatch, variable, value):
    from hotline.errors import SettingsError
    from hotline.settings import load_settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.variable == variable


def test_allowed_peers_default_to_the_ami_host(monkeypatch):
    from hotline.settings import load_settings

    monkeypatch.delenv("HOTLINE_FASTAGI_ALLOWED_PEERS", raising=False)
    monkeypatch.setenv("HOTLINE_AMI_HOST", "127.0.0.9")
    limits = FastAgiLimits.from_settings(load_settings())
    assert limits.allows("127.0.0.9") and not limits.allows("127.0.0.1")
    monkeypatch.setenv("HOTLINE_FASTAGI_ALLOWED_PEERS", "localhost, 127.0.1.0/24")
    limits = FastAgiLimits.from_settings(load_settings())
    assert limits.allows("127.0.0.1") and limits.allows("127.0.1.77")
    assert limits.allows("::ffff:127.0.0.1") and not limits.allows("127.0.2.1")
