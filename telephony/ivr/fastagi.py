"""A threaded FastAGI server hosting pyst2's `asterisk.agi.AGI` over TCP.

pyst2 cannot do this by itself, for three reasons handled here in one adapter:
- its `asterisk.fastagi` module is Python 2 code (`import SocketServer`): the
  server here is the standard library's `socketserver.ThreadingTCPServer`;
- `AGI.__init__` calls `signal.signal(SIGHUP, ...)`, which raises outside the
  main thread: `SocketAGI` sets the same attributes without it;
- the unsolicited `HANGUP` line Asterisk sends when the caller hangs up (unless
  AGISIGHUP=no) makes pyst2's result parser fail (`int('')`): the reply reader
  here drops it and marks the hangup, so the next command raises AGIHangup as
  pyst2 does for its own SIGHUP. `result=-1` stays pyst2's AGIAppError on a
  live channel (a missing sound file answers so too) and is AGIHangup once the
  HANGUP line came; `511` (dead channel) is AGIHangup.
pyst2 writes a trace (ENV LINE, COMMAND, RESULT_LINE) to the `stderr` it is
given; that goes to a logger (`telephony.ivr.fastagi.trace`, DEBUG).

Asterisk waits for each reply without a time limit, so a stuck handler would
hold the call: every read has a time limit (fastagi_read_timeout_s) and a
watchdog closes the connection after ivr_max_session_s. Closing it lets the
dialplan continue (to an agent, with an apology: see extensions.conf.tmpl).
Peers, line length, environment length and the worker pool are bounded as
telephony/ivr/fastagi_limits.py explains.
"""
from __future__ import annotations

import io
import logging
import socket
import socketserver
import threading
from typing import Callable, Protocol

from asterisk.agi import (
    AGI, AGIAppError, AGIHangup, AGIResultHangup, AGISIGPIPEHangup, AGIUnknownError,
)

from telephony.errors import FastAgiLimitError
from telephony.ivr.fastagi_limits import FastAgiLimits, LineReader, QuietWarning, WorkerPool, cut

log = logging.getLogger(__name__)
trace_log = logging.getLogger(__name__ + ".trace")


class AgiScript(Protocol):
    def __call__(self, agi: "SocketAGI") -> None: ...


class LoggerStream(io.TextIOBase):
    """A text stream that logs each complete line (pyst2's trace) at DEBUG."""

    def __init__(self, logger: logging.Logger, prefix: str = ""):
        self._logger = logger
        self._prefix = prefix
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            if line.strip():
                self._logger.debug("%s%s", self._prefix, line)
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            self._logger.debug("%s%s", self._prefix, self._pending)
        self._pending = ""


class _ReplyReader:
    """Asterisk's replies, minus the unsolicited HANGUP lines.

    A HANGUP line may come before the reply to the command in flight (or
    between replies): it is consumed and reported through `on_hangup`, and the
    real reply is read next. End of stream means Asterisk closed the call.
    """

    def __init__(self, rfile, on_hangup: Callable[[], None]):
        self._rfile = rfile
        self._on_hangup = on_hangup
        self._unread: list[str] = []

    def unread(self, line: str) -> None:
        self._unread.append(line)

    def readline(self) -> str:
        if self._unread:
            return self._unread.pop()
        while True:
            line = self._rfile.readline()
            if line == "":
                raise AGISIGPIPEHangup("Asterisk closed the FastAGI connection")
            if line.strip() == "HANGUP":
                self._on_hangup()
                continue
            return line


class SocketAGI(AGI):
    """pyst2's AGI over a pair of text-mode socket files, safe in any thread."""

    def __init__(self, rfile, wfile, trace=None, max_env_lines: int = 200):
        # Deliberately not AGI.__init__: it calls signal.signal (main thread only)
        # and writes sys.argv, which means nothing for a network script.
        self.stdin = _ReplyReader(rfile, self._mark_hangup)
        self.stdout = wfile
        self.stderr = trace if trace is not None else LoggerStream(trace_log)
        self._got_sighup = False
        self._max_env_lines = max_env_lines
        self.env: dict[str, str] = {}
        self._get_agi_env()

    def _get_agi_env(self) -> None:
        """pyst2's environment reader, but one that stops: an endless environment
        raises FastAgiLimitError after max_env_lines."""
        for _ in range(self._max_env_lines + 1):
            line = self.stdin.readline().strip()
            self.stderr.write(f"ENV LINE: {line}\n")
            if line == "":
                return
            key, _, data = line.partition(":")
            if key.strip():
                self.env[key.strip()] = data.strip()
        raise FastAgiLimitError(f"more than {self._max_env_lines} environment lines")

    def _mark_hangup(self) -> None:
        self._got_sighup = True

    @property
    def hung_up(self) -> bool:
        return self._got_sighup

    @property
    def script_name(self) -> str:
        """The path of agi://host:port/<script>?..., without query or slashes."""
        script = self.env.get("agi_network_script", "")
        return script.split("?", 1)[0].strip("/")

    def get_result(self, stdin=None):
        line = self.stdin.readline()
        if line.startswith("511"):  # command not permitted on a dead channel
            self._got_sighup = True
            raise AGIResultHangup(line.strip())
        if not line[:1].isdigit():
            # pyst2 would fail on int('') with a ValueError
            raise AGIUnknownError(f"not an AGI reply: {line.strip()[:80]!r}")
        self.stdin.unread(line)
        try:
            return super().get_result()
        except AGIHangup:
            raise
        except AGIAppError as error:
            # result=-1: the caller hung up, or the command failed on a live
            # channel (STREAM FILE of a missing file answers the same way).
            if self._got_sighup:
                raise AGIResultHangup(str(error)) from error
            raise

    def get_data_timed(self, prompt: str, timeout_ms: int, max_digits: int) -> tuple[str, bool]:
        """GET DATA: (the digits, whether input ended by timeout rather than # or max)."""
        result = self.execute("GET DATA", prompt, timeout_ms, max_digits)
        value, data = result.get("result", ("", ""))
        # "200 result= (timeout)" does not match pyst2's key=value pattern: no digits.
        timed_out = data == "timeout" or value == ""
        return value, timed_out


class FastAgiHandler(socketserver.StreamRequestHandler):
    server: "FastAgiServer"

    def handle(self) -> None:
        connection: socket.socket = self.request
        connection.settimeout(self.server.read_timeout_s)
        watchdog = threading.Timer(self.server.max_session_s, _cut, args=(connection,))
        watchdog.daemon = True
        watchdog.start()
        # Binary and read with a limit: a text-mode readline would buffer a 10 MB line.
        rfile = LineReader(connection.makefile("rb"), self.server.limits.max_line_bytes)
        wfile = connection.makefile("w", encoding="utf-8", newline="\n")
        try:
            self._run(rfile, wfile)
        finally:
            watchdog.cancel()
            for stream in (wfile, rfile):
                try:
                    stream.close()
                except OSError:
                    pass

    def _run(self, rfile, wfile) -> None:
        try:
            agi = SocketAGI(rfile, wfile, max_env_lines=self.server.limits.max_env_lines)
        except (AGIHangup, OSError, FastAgiLimitError) as error:
            self.server.bad_greetings("FastAGI from %s closed before its environment "
                                      "ended: %s", self.client_address, error)
            return
        if not self.server.pool.in_call(self.request):
            return  # closed to make room while its environment was coming in
        script = self.server.scripts.get(agi.script_name)
        if script is None:
            log.warning("FastAGI script %r is unknown (known: %s); the dialplan goes on",
                        agi.script_name, ", ".join(sorted(self.server.scripts)))
            return
        try:
            script(agi)
        except AGIHangup:
            log.info("FastAGI %s: the caller hung up", agi.script_name)
        except (OSError, TimeoutError, FastAgiLimitError) as error:
            log.warning("FastAGI %s: connection lost, timed out or over a limit: %s",
                        agi.script_name, error)
        except Exception:  # noqa: BLE001 - one bad call must not stop the server
            log.exception("FastAGI script %s failed", agi.script_name)


def _cut(connection: socket.socket) -> None:
    """The watchdog: end a session that ran too long; Asterisk continues the dialplan."""
    log.warning("FastAGI session ran past its time limit; closing it")
    cut(connection)


class FastAgiServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's 5 would let a burst of connections fill the kernel's accept
    # queue, and Asterisk's connect would then wait for a SYN retry (1 s, 3 s...).
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], scripts: dict[str, AgiScript],
                 read_timeout_s: float = 60.0, max_session_s: float = 300.0,
                 limits: FastAgiLimits | None = None):
        self.scripts = dict(scripts)
        self.read_timeout_s = read_timeout_s
        self.max_session_s = max_session_s
        self.limits = limits or FastAgiLimits()
        self.pool = WorkerPool(self.limits.workers)
        self.foreign_peers = QuietWarning()
        self.bad_greetings = QuietWarning()
        super().__init__(address, FastAgiHandler)

    def verify_request(self, request, client_address) -> bool:
        """On accept: only the configured Asterisk may speak FastAGI here."""
        if self.limits.allows(client_address[0]):
            return True
        self.foreign_peers("FastAGI: refused %s, not an allowed peer", client_address[0])
        return False

    def process_request(self, request, client_address) -> None:
        if not self.pool.admit(request, client_address[0]):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.pool.release(request)
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.pool.release(request)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> threading.Thread:
        """Serve in a daemon thread; stop with `stop()`."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="fastagi", daemon=True)
        thread.start()
        log.info("FastAGI listening on %s:%s (%s)", *self.server_address[:2],
                 ", ".join(sorted(self.scripts)))
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.pool.cut_all()  # server_close waits for every handler thread
        self.server_close()
        for script in self.scripts.values():
            close = getattr(script, "close", None)
            if close is not None:
                close()


def default_scripts(settings) -> dict[str, AgiScript]:
    from telephony.ivr.flow import FeeBalanceScript

    return {"fee_balance": FeeBalanceScript.from_settings(settings)}


def start_fastagi_server(settings, scripts: dict[str, AgiScript] | None = None,
                         port: int | None = None) -> FastAgiServer:
    """Bind at settings.fastagi_host/port (or `port`, 0 = any) and serve in a thread."""
    server = FastAgiServer(
        (settings.fastagi_host, settings.fastagi_port if port is None else port),
        scripts if scripts is not None else default_scripts(settings),
        read_timeout_s=settings.fastagi_read_timeout_s,
        max_session_s=settings.ivr_max_session_s,
        limits=FastAgiLimits.from_settings(settings),
    )
    server.start()
    return server
