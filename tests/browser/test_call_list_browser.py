"""The supervisor's call list in Debian's chromium against the real stack, on a
demo call that speaks.

Real Asterisk 22 (the lab), `hotline bridge` and `hotline console` as subprocesses
on their own SQLite database and private redis-server. The demo's own SIPp
scenarios place the call: a resident (demo_caller_speech.xml) and an agent's phone
(demo_agent_phone_speech.xml) each streaming the demo's Mandarin phrases
(hotline/demo_speech.py). The recording must carry both sides (sox: the agent's
greeting window and the resident's request window are both loud); the supervisor
opens today's list, plays it (the console serves it; sox checks what it served),
scores it from the list, and the agent's scored count rises.

Run under the lab lock. Screenshots go to test-artifacts/call-list/.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import models
from bench.support import free_port
from tests.support.redis_server import RedisServer
from call_queue.qa import CRITERIA
from hotline.demo import AGENT_PHONE_SCENARIO, CALLER_SCENARIO
from hotline.demo_speech import build_speech
from models.calls import Call
from models.console import User
from models.session import make_engine, session_factory
from tests.integration.fault_tools import Members, control_connection
from tests.labtools import wait_until
from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.live_stack import healthy, start_process, stop_process

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "call-list"
EXTENSION = "8036"  # the lab's PJSIP phone 80NN is a SIPp UAS on port 5100+NN
INTERFACE = f"PJSIP/{EXTENSION}"
CALLER = "13800130136"
PASSWORD = "call list test password"
# A window is loud when its RMS amplitude passes this (espeak at -3 dB: ~0.1);
# a silent side through the codec measures below 0.001.
SPEECH_RMS = 0.02


def sox_rms(path: Path, start_s: float, end_s: float) -> float:
    """sox's RMS amplitude of `path` between two moments."""
    done = subprocess.run(["sox", str(path), "-n", "trim", f"{start_s:.2f}",
                           f"={end_s:.2f}", "stat"], capture_output=True, text=True, check=True)
    match = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", done.stderr)
    assert match, done.stderr
    return float(match.group(1))


@pytest.fixture
def members(lab):
    control = control_connection(lab)
    tracker = Members(control, lab.queue)
    tracker.pause_foreign()
    yield tracker
    tracker.restore()
    control.close()


@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    with session_factory(url)() as session:
        session.add_all([
            User(username="calls-agent", role="agent", phone_interface=INTERFACE,
                 display_name="王芳", language="zh",
                 password_hash=generate_password_hash(PASSWORD)),
            User(username="calls-supervisor", role="supervisor", display_name="陈主管",
                 language="zh", password_hash=generate_password_hash(PASSWORD))])
        session.commit()
    return url


@pytest.fixture
def stack(lab, database, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    redis_server = RedisServer(tmp_path / "redis")
    redis_url = redis_server.url
    port = free_port()
    env = dict(os.environ, HOTLINE_DATABASE_URL=database, HOTLINE_REDIS_URL=redis_url,
               HOTLINE_STATE_DIR=str(tmp_path / "state"), HOTLINE_CONSOLE_HOST="127.0.0.1",
               HOTLINE_CONSOLE_PORT=str(port), HOTLINE_SECRET_KEY_FILE=str(tmp_path / "key"),
               HOTLINE_AMI_SECRET=lab.bridge_ami_secret,
               HOTLINE_RECORDINGS_DIR=str(lab.recordings_dir))
    bridge, _ = start_process("bridge", ["bridge"], env, ARTIFACTS)
    console, _ = start_process("console", ["console"], env, ARTIFACTS)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(base_url), 30, "console health")
        wait_until(lambda: b"AMI connected" in (ARTIFACTS / "bridge.log").read_bytes(), 30,
                   "bridge AMI session")
        yield base_url
    finally:
        stop_process(console)
        stop_process(bridge)
        redis_server.stop()


def sipp(scenario: Path, args: list[str], cwd: Path, name: str) -> subprocess.Popen:
    """One of the demo's SIPp scenarios, run where its speech files are."""
    assert shutil.which("sipp"), "sipp is not installed (Debian package sip-tester)"
    log_file = open(ARTIFACTS / f"{name}.log", "wb")
    return subprocess.Popen([shutil.which("sipp"), "-sf", str(scenario), "-nostdin",
                             "-i", "127.0.0.1", "-mi", "127.0.0.1", "-m", "1", *args],
                            cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


@pytest.fixture
def spoken_call(lab, stack, database, members, tmp_path):
    """A demo call with speech on both sides, answered by our agent, ended and recorded."""
    speech = build_speech(tmp_path / "state")
    phone = sipp(AGENT_PHONE_SCENARIO, ["-p", str(5100 + int(EXTENSION[-2:])), "-mp", "16300"],
                 speech.folder, "agent-phone")
    try:
        members.add(INTERFACE, "calls-8036")
        (speech.folder / "caller.csv").write_text(f"SEQUENTIAL\n{CALLER};张三;\n",
                                                  encoding="utf-8")
        caller = sipp(CALLER_SCENARIO, ["127.0.0.1:5060", "-p", "5095", "-mp", "17400",
                                        "-s", lab.hotline_number, "-inf", "caller.csv"],
                      speech.folder, "caller")
        assert caller.wait(timeout=80) == 0, (ARTIFACTS / "caller.log").read_text(errors="replace")
    finally:
        phone.terminate()
        phone.wait(timeout=10)
    with session_factory(database)() as session:
        call = wait_until(lambda: session.scalar(
            select(Call).where(Call.caller_number_raw == CALLER,
                               Call.recording_size_bytes > 44)
            .execution_options(populate_existing=True)), 30, "the call's recording measured")
    return call, speech


@pytest.fixture
def browser():
    with launched_chromium() as browser:
        yield browser


def _shoot(page, name: str) -> None:
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth"
                                 " - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width}x{height}"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_supervisor_plays_and_scores_a_spoken_demo_call(lab, stack, spoken_call, browser,
                                                       tmp_path):
    call, speech = spoken_call
    windows = speech.windows
    assert call.outcome == "answered" and call.agent_interface == INTERFACE
    recording = Path(lab.recordings_dir) / call.recording_path
    # Both sides speak: the agent greets first, the resident asks while the agent is silent.
    agent_rms = sox_rms(recording, windows.agent_greeting.start_s + 0.3,
                        windows.agent_greeting.end_s - 0.3)
    caller_rms = sox_rms(recording, windows.caller_request.start_s + 0.5,
                         windows.caller_request.end_s - 0.3)
    assert agent_rms > SPEECH_RMS and caller_rms > SPEECH_RMS, (agent_rms, caller_rms)

    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(stack + "/login")
    page.fill("#username", "calls-supervisor")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("nav.mainnav")
    open_supervisor_menu(page)
    page.click("nav.mainnav a[href='/supervisor/calls']")
    page.wait_for_selector(f"tr[data-callid='{call.callid}']")
    count = page.locator(f"#qa-norm li[data-interface='{INTERFACE}'] .qa-count")
    assert count.text_content() == "0"
    row = page.locator(f"tr[data-callid='{call.callid}']")
    assert "王芳" in row.text_content() and "接通" in row.text_content()
    _shoot(page, "01-list")

    row.locator("button.play").click()
    page.select_option("#player-speed", "1.5")
    page.wait_for_function("document.getElementById('player-audio').currentTime > 1",
                           timeout=15_000)
    assert page.evaluate("document.getElementById('player-audio').playbackRate") == 1.5
    _shoot(page, "02-playing")
    # What the console served is the speech, not a 44-byte header.
    served = page.request.get(stack + f"/supervisor/recordings/{call.callid}")
    assert served.ok and served.headers["accept-ranges"] == "bytes"
    copy = tmp_path / "served.wav"
    copy.write_bytes(served.body())
    assert sox_rms(copy, windows.caller_request.start_s + 0.5,
                   windows.caller_request.end_s - 0.3) == pytest.approx(caller_rms)

    row.locator("a.qa-link").click()
    page.wait_for_selector("#qa-form")
    for key, _label, points in CRITERIA:
        page.fill(f"#qa-{key}", str(points - 1 if points > 5 else points))
    page.click("#qa-form button[type=submit]")
    page.wait_for_url("**/supervisor/calls**")
    page.wait_for_selector(f"tr[data-callid='{call.callid}'] a.qa-link")
    assert count.text_content() == "1"
    total = sum(points - 1 if points > 5 else points for _k, _l, points in CRITERIA)
    assert page.locator(f"tr[data-callid='{call.callid}'] a.qa-link").text_content().split()[0] \
        == str(total)
    _shoot(page, "03-scored")
