"""`hotline demo run` plays the line in the real lab (issue 16): its SIPp residents are
greeted (hotline/greeting-emergency), wait in the twin queue <queue>-line with its
position and wait announcements, reach the demo agents and are hung up by them; when
the demo stops, the lab's AstDB switches are gone and its agents out of the queue.

The demo runs as `./setup.sh demo` runs it (a child process, its own state folder
and database, the lab's secrets), for about 100 s, under the lab lock:
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/integration/test_demo_line_lab.py`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from telephony.queue_log import read_queue_log
from bench.support import free_port
from tests.support.line_lab import VerboseLog

pytestmark = [pytest.mark.lab]

REPO = Path(__file__).resolve().parents[2]
RUN_S = 100


def _demo_env(lab, state: Path) -> dict[str, str]:
    settings = lab.settings
    return dict(os.environ, HOTLINE_STATE_DIR=str(state),
                HOTLINE_AMI_SECRET_FILE=str(settings.ami_secret_file),
                HOTLINE_TEST_AMI_SECRET_FILE=str(settings.test_ami_secret_file),
                HOTLINE_REDIS_PASSWORD_FILE=str(settings.redis_password_file),
                HOTLINE_CONSOLE_HOST="127.0.0.1", HOTLINE_CONSOLE_PORT=str(free_port()))


def test_the_demo_greets_queues_and_answers_then_leaves_the_lab_silent(lab, tmp_path):
    env = _demo_env(lab, tmp_path / "state")
    hotline = [sys.executable, "-m", "hotline.cli"]
    subprocess.run(hotline + ["db", "upgrade"], env=env, cwd=REPO, check=True,
                   capture_output=True)
    line_queue = f"{lab.queue}-line"
    started = time.time()
    with VerboseLog(lab, "demo-line-test") as played_log:
        demo = subprocess.Popen(hotline + ["demo", "run", "--households", "60",
                                           "--calls-per-minute", "12"],
                                env=env, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(RUN_S)
            assert demo.poll() is None, demo.communicate()[0][-2000:]
            assert "Value: on" in lab.cli("database get hotline line")
        finally:
            demo.send_signal(signal.SIGTERM)
            output = demo.communicate(timeout=60)[0]
        played = [file for _, file, _ in played_log.played()]
    assert demo.returncode == 0, output[-2000:]
    assert "The line plays the day line" in output
    entries = [e for e in read_queue_log(lab.queue_log_path) if e.time >= started]
    mine = [e for e in entries if e.queue == line_queue]
    verbs = [e.verb for e in mine]
    assert verbs.count("CONNECT") >= 3, verbs
    # The agent ends each call (demo_agent_phone_line.xml): the caller cannot tell.
    assert verbs.count("COMPLETEAGENT") >= 2, verbs
    assert played.count("hotline/greeting-emergency") >= verbs.count("ENTERQUEUE")
    # Day line: no office-hours check, so none reached the night line.
    assert "hotline/night-to-duty" not in played and "hotline/night-voicemail" not in played
    # Left as found: no switch, no demo agent in the line's queue.
    assert "Database entry not found" in lab.cli("database get hotline line")
    assert "Database entry not found" in lab.cli("database get hotline office_hours")
    members = lab.cli(f"queue show {line_queue}")
    assert not any(f"PJSIP/80{n:02d}" in members for n in range(1, 5)), members
