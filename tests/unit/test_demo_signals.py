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


def test_a_failed_log_out_still_stops_every_child(tmp_path, monkeypatch):
    """Tried: with the bridge unable to start, the log-out step raised in the runner's
    `finally`, stop_all never ran, and the console and the SIPp phones stayed up."""
    from hotline import demo

    def bridge_gone(settings):
        raise ConnectionError("the bridge is not running")

    monkeypatch.setattr(demo, "log_agents_out", bridge_gone)
    processes = demo.DemoProcesses(tmp_path)
    bridge = processes.start("bridge", [sys.executable, "-c", "import time; time.sleep(60)"])
    phone = processes.start("phone-8001", [sys.executable, "-c", "import time; time.sleep(60)"])
    callers = processes.start("callers", [sys.executable, "-c", "import time; time.sleep(60)"])
    demo.shut_down(processes, settings=None)
    assert bridge.poll() is not None
    assert phone.poll() is not None and callers.poll() is not None
