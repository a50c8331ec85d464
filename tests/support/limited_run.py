"""Running a command in a child under a memory ceiling and a time limit, and
measuring what it took: peak RSS (the child's own, from wait4) and wall time.

The ceiling (RLIMIT_AS) and the timeout make a test of a runaway input fail fast
instead of eating a machine that others share.
"""
from __future__ import annotations

import dataclasses
import os
import resource
import signal
import subprocess
import tempfile
import threading
import time


@dataclasses.dataclass(frozen=True)
class LimitedRun:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float
    timed_out: bool


def run_limited(command: list[str], *, memory_mb: int, timeout_s: float,
                env: dict | None = None) -> LimitedRun:
    ceiling = memory_mb * 1024 * 1024

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env,
                                   preexec_fn=limit_memory, start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            # wait4, not RUSAGE_CHILDREN: the figure of this child alone.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return LimitedRun(process.returncode, out.read().decode("utf-8", "replace"),
                          err.read().decode("utf-8", "replace"),
                          usage.ru_maxrss / 1024, seconds, timed_out.is_set())
