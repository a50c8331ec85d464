"""Issue 14's "done when" for the supervisor, in Debian's chromium against the real stack.

Real Asterisk 22 (the lab), `hotline bridge` and `hotline console` as subprocesses
on their own SQLite database and private redis-server, the longest-wait norm set
low (HOTLINE_NORM_LONGEST_WAIT_S=5). A demo resident (SIPp, streaming the demo's
Mandarin speech) calls while no agent of ours is in the queue: the wait passes the
norm, the wallboard turns the figure red and lists the alert, and the console
notifies the supervisor. Then the agent's demo phone (SIPp with speech) joins and
answers; the supervisor listens in from the wallboard (ChanSpy, stored as a spy
session); after the call the supervisor opens today's call list, plays its
recording (sox: not silent, and what the console served is the same speech),
scores it, and the agent's scored count rises.

Run under the lab lock. Screenshots go to test-artifacts/wallboard/.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import models
from bench.support import free_port
from call_queue.qa import CRITERIA
from hotline.demo import AGENT_PHONE_SCENARIO, CALLER_SCENARIO
from hotline.demo_speech import build_speech
from models.calls import Call
from models.console import User
from models.notifications import Notification, NotificationDelivery
from models.session import make_engine, session_factory
from models.supervision import SpySession
from tests.labtools import wait_until
from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.live_stack import healthy, start_process, stop_process
from tests.support.lab_calls import local, set_lab_phone
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.lab, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "wallboard"
EXTENSION = "8037"  # the lab's PJSIP phone 80NN is a SIPp UAS on port 5100+NN
INTERFACE = f"PJSIP/{EXTENSION}"
SUPERVISOR_PHONE = "8086"  # a Local lab phone: rings once, then answers the ChanSpy call
CALLER = "13800130137"
PASSWORD = "wallboard test password"
WAIT_NORM_S = 5
SPEECH_RMS = 0.02  # espeak at -3 dB measures ~0.1; a silent side below 0.001


def sox_rms(path: Path, start_s: float, end_s: float) -> float:
    done = subprocess.run(["sox", str(path), "-n", "trim", f"{start_s:.2f}",
                           f"={end_s:.2f}", "stat"], capture_output=True, text=True, check=True)
    match = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", done.stderr)
    assert match, done.stderr
    return float(match.group(1))


def sipp(scenario: Path, args: list[str], cwd: Path, name: str) -> subprocess.Popen:
    assert shutil.which("sipp"), "sipp is not installed (Debian package sip-tester)"
    log_file = open(ARTIFACTS / f"{name}.log", "wb")
    return subprocess.Popen([shutil.which("sipp"), "-sf", str(scenario), "-nostdin",
                             "-i", "127.0.0.1", "-mi", "127.0.0.1", "-m", "1", *args],
                            cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


@pytest.fixture
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'wallboard.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    with session_factory(url)() as session:
        session.add_all([
            User(username="wb-agent", role="agent", phone_interface=INTERFACE,
                 display_name="王芳", language="zh",
                 password_hash=generate_password_hash(PASSWORD)),
            User(username="wb-supervisor", role="supervisor", display_name="陈主管",
                 phone_interface=local(SUPERVISOR_PHONE), language="zh",
                 password_hash=generate_password_hash(PASSWORD))])
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
               HOTLINE_RECORDINGS_DIR=str(lab.recordings_dir),
               HOTLINE_NORM_LONGEST_WAIT_S=str(WAIT_NORM_S))
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


@pytest.fixture
def browser():
    with launched_chromium() as browser:
        yield browser


def _shoot(page, name: str) -> None:
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # the chart redraws at its new size
        overflow = page.evaluate("document.documentElement.scrollWidth"
                                 " - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width}x{height}"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def _notified(database: str, kind: str) -> list[int]:
    with session_factory(database)() as session:
        return list(session.scalars(select(NotificationDelivery.user_id).join(Notification)
                                    .where(Notification.kind == kind)))


def test_supervisor_desk_alert_listen_play_and_score(lab, stack, database, members, control,
                                                      browser, tmp_path):
    speech = build_speech(tmp_path / "state")
    set_lab_phone(control, SUPERVISOR_PHONE, ring="1", talk="60")
    phone = sipp(AGENT_PHONE_SCENARIO, ["-p", str(5100 + int(EXTENSION[-2:])), "-mp", "16310"],
                 speech.folder, "agent-phone")
    caller = None
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(stack + "/login")
        page.fill("#username", "wb-supervisor")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("nav.mainnav")
        open_supervisor_menu(page)
        page.click("nav.mainnav a[href='/supervisor/wallboard']")
        page.wait_for_selector("#board-status.current")
        # The browser runs in UTC; the board's clock is the office's (Asia/Shanghai).
        office_hour = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%H")
        wait_until(lambda: page.inner_text("#wb-clock")[:2] in
                   (office_hour, dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%H")),
                   5, "the wallboard's clock in the office's time zone")

        # 1. A caller waits with no agent of ours in the queue: past the 5 s norm.
        (speech.folder / "caller.csv").write_text(f"SEQUENTIAL\n{CALLER};张三;\n",
                                                  encoding="utf-8")
        caller = sipp(CALLER_SCENARIO, ["127.0.0.1:5060", "-p", "5096", "-mp", "17410",
                                        "-s", lab.hotline_number, "-inf", "caller.csv"],
                      speech.folder, "caller")
        wait_figure = page.locator(".queue[data-queue='hotline'] .figure[data-measure='longest_wait']")
        page.wait_for_selector("#callers tbody tr", timeout=15_000)
        assert "level-missed" not in wait_figure.get_attribute("class")
        alert = page.locator("#norm-alerts li[data-measure='longest_wait']")
        alert.wait_for(timeout=15_000)
        assert "level-missed" in wait_figure.get_attribute("class")
        assert "服务热线" in alert.text_content() and "等待" in alert.text_content()
        assert "hotline" not in page.locator("#wallboard").inner_text()  # display names only
        supervisor_id = _user_id(database, "wb-supervisor")
        wait_until(lambda: supervisor_id in _notified(database, "norm_longest_wait"), 10,
                   "the supervisor's notification")
        _shoot(page, "01-wait-alert")
        page.click("#wall-toggle")
        assert page.evaluate("document.body.classList.contains('wall')")
        assert not page.locator("header.topbar").is_visible()
        big = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                            "'.figure .value')).fontSize)")
        # 2.6vw (the size at which 10.0 % still fits its tile): 50 px on the office's
        # 1920-px wall display, about 5 cm high on a 2 m wide screen.
        width = page.evaluate("window.innerWidth")
        assert big >= 0.025 * width, (big, width)
        _shoot(page, "02-wall-display")
        page.click("#wall-toggle")
        assert not page.evaluate("document.body.classList.contains('wall')")

        # 2. Our agent joins; the call is answered; the supervisor listens in.
        members.add(INTERFACE, "王芳")
        listen = page.locator(f"#agents tr[data-interface='{INTERFACE}'] button.spy-listen")
        listen.wait_for(timeout=20_000)
        assert "通话中" in page.locator(f"#agents tr[data-interface='{INTERFACE}'] td.state")\
            .text_content()
        listen.click()
        page.wait_for_function("document.getElementById('spy-result').textContent.includes('王芳')",
                               timeout=10_000)
        with session_factory(database)() as session:
            spied = wait_until(lambda: session.scalar(
                select(SpySession).execution_options(populate_existing=True)), 20,
                "ChanSpy started and stored")
        assert spied.mode == "listen" and spied.spyee_channel.startswith(INTERFACE)
        _shoot(page, "03-talking")
        assert caller.wait(timeout=90) == 0, (ARTIFACTS / "caller.log").read_text(errors="replace")
    finally:
        if caller is not None and caller.poll() is None:
            caller.terminate()
            caller.wait(timeout=10)
        phone.terminate()
        phone.wait(timeout=10)
    page.wait_for_function(
        f"document.querySelector(\"#agents tr[data-interface='{INTERFACE}'] td.calls-today\")"
        ".textContent === '1'", timeout=15_000)

    # 3. The recording speaks, the call list plays it, the score counts.
    with session_factory(database)() as session:
        call = wait_until(lambda: session.scalar(
            select(Call).where(Call.caller_number_raw == CALLER, Call.recording_size_bytes > 44)
            .execution_options(populate_existing=True)), 30, "the call's recording measured")
    assert call.outcome == "answered" and call.agent_interface == INTERFACE
    assert call.wait_s >= WAIT_NORM_S
    recording = Path(lab.recordings_dir) / call.recording_path
    windows = speech.windows
    caller_rms = sox_rms(recording, windows.caller_request.start_s + 0.5,
                         windows.caller_request.end_s - 0.3)
    assert caller_rms > SPEECH_RMS, caller_rms
    open_supervisor_menu(page)
    page.click("nav.mainnav a[href='/supervisor/calls']")
    page.wait_for_selector(f"tr[data-callid='{call.callid}']")
    count = page.locator(f"#qa-norm li[data-interface='{INTERFACE}'] .qa-count")
    assert count.text_content() == "0"
    row = page.locator(f"tr[data-callid='{call.callid}']")
    row.locator("button.play").click()
    page.wait_for_function("document.getElementById('player-audio').currentTime > 1",
                           timeout=15_000)
    served = page.request.get(stack + f"/supervisor/recordings/{call.callid}")
    assert served.ok
    copy = tmp_path / "served.wav"
    copy.write_bytes(served.body())
    assert sox_rms(copy, windows.caller_request.start_s + 0.5,
                   windows.caller_request.end_s - 0.3) == pytest.approx(caller_rms)
    row.locator("a.qa-link").click()
    page.wait_for_selector("#qa-form")
    for key, _label, points in CRITERIA:
        page.fill(f"#qa-{key}", str(points))
    page.click("#qa-form button[type=submit]")
    page.wait_for_url("**/supervisor/calls**")
    page.wait_for_selector(f"tr[data-callid='{call.callid}'] a.qa-link")
    assert count.text_content() == "1"
    open_supervisor_menu(page)
    page.click("nav.mainnav a[href='/supervisor/wallboard']")
    page.wait_for_selector(f"#agents tr[data-interface='{INTERFACE}']", state="attached",
                           timeout=10_000)
    assert page.locator(f"#agents tr[data-interface='{INTERFACE}'] td.qa").text_content() == "1"
    page.wait_for_function("Chart.getChart('intraday-chart') && Chart.getChart('intraday-chart')"
                           ".data.datasets[1].data.reduce((a, b) => a + b, 0) >= 1",
                           timeout=10_000)
    _shoot(page, "04-after-the-call")


def _user_id(database: str, username: str) -> int:
    with session_factory(database)() as session:
        return session.scalar(select(User.id).where(User.username == username))
