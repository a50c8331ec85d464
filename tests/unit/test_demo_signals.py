"""The demo runner stops its children on SIGTERM as on Ctrl-C.

Found while checking `./setup.sh demo` on a fresh machine: a runner killed with
SIGTERM died at once and left the bridge, the console and SIPp (each in a
session of its own) running.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = """
import time
from hotline.demo import stop_on_sigterm
stop_on_sigterm()
try:
    print("ready", flush=True)
    time.sleep(30)
except KeyboardInterrupt:
    print("stopping cleanly", flush=True)
"""


def test_sigterm_reaches_the_runner_as_an_interrupt():
    runner = subprocess.Popen([sys.executable, "-c", RUNNER], cwd=REPO, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert runner.stdout.readline().strip() == "ready"
        runner.send_signal(signal.SIGTERM)
        output, _ = runner.communicate(timeout=10)
    finally:
        runner.kill()
    assert "stopping cleanly" in output
    assert runner.returncode == 0
