"""The WebRTC softphone against the lab (issue 17): call-setup time and Asterisk's
CPU per softphone call.

A real bridge and console (tests.support.live_stack) on a scratch SQLite database
and a private redis-server, an agent whose phone is the page (chromium with a fake
microphone, every packet on loopback), and SIPp residents calling the hotline one
after another. For each call:

- setup: Asterisk's DialBegin to the agent's WebRTC endpoint (AMI timestamp) to the
  page's ringing (JsSIP's newRTCSession, Date.now()), both on this machine's clock;
- answer: the click to JsSIP's `confirmed` (ICE and DTLS done);
- CPU: the Asterisk process's user+system time over TALK_S seconds of a call, less
  the same span measured idle just before, as % of one core.

    flock /tmp/hotline/lab.lock .venv/bin/python -m bench.softphone [--calls 5] [--talk 10]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from werkzeug.security import generate_password_hash  # noqa: E402

import models  # noqa: E402
from bench.support import free_port  # noqa: E402
from hotline import lab as lab_module  # noqa: E402
from hotline.settings import load_settings  # noqa: E402
from models.console import User  # noqa: E402
from models.session import make_engine, session_factory  # noqa: E402
from tests import labtools  # noqa: E402
from tests.support.demo import demo_data, one_household_number  # noqa: E402
from tests.support.lab_calls import Members, control_connection  # noqa: E402
from tests.support.live_stack import run_live_stack  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402
from tests.support.softphone_lab import login, softphone_chromium, staying_caller  # noqa: E402

EXTEN = "8044"
INTERFACE = f"PJSIP/webrtc-{EXTEN}"
PASSWORD = "softphone bench password"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass
class BenchLab:
    """What the test helpers read of the lab."""
    settings: object
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str
    bridge_ami_secret: str


@dataclasses.dataclass
class CallFigures:
    setup_ms: float
    answer_ms: float
    cpu_pct: float


def asterisk_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_pct_over(pid: int, seconds: float) -> float:
    before, started = asterisk_cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (asterisk_cpu_s(pid) - before) / (time.monotonic() - started)


def asterisk_pid(settings) -> int:
    state = lab_module._read_state(settings)
    # The chroot wrapper execs asterisk: the state's pid is Asterisk's own.
    return state.asterisk_pid


def one_call(page, manager_events, lab, caller_number: str, talk_s: float, pid: int,
             scratch: Path) -> CallFigures:
    idle = cpu_pct_over(pid, talk_s)
    seen = len(manager_events.events)
    caller = staying_caller(lab.settings.hotline_number, caller_number, "业主", scratch,
                            free_port())
    try:
        dial = manager_events.wait_for(
            lambda e: manager_events.events.index(e) >= seen and e.get("Event") == "DialBegin"
            and e.get("DestChannel", "").startswith(INTERFACE + "-"), 45)
        page.wait_for_selector('#softphone-status[data-status="ringing"]', timeout=20_000)
        events = page.evaluate("window.HOTLINE.softphone.events")
        ringing = [e["at"] for e in events if e["event"] == "ringing"][-1]
        setup_ms = ringing - float(dial["Timestamp"]) * 1000
        clicked = time.time() * 1000
        page.click("#softphone-answer")
        page.wait_for_selector('#softphone-status[data-status="in_call"]', timeout=20_000)
        events = page.evaluate("window.HOTLINE.softphone.events")
        confirmed = [e["at"] for e in events if e["event"] == "confirmed"][-1]
        busy = cpu_pct_over(pid, talk_s)
        page.click('#call-actions [data-control="hangup"]')
        page.wait_for_selector('#softphone-status[data-status="registered"]', timeout=20_000)
        caller.wait(20)
    finally:
        caller.stop()
    return CallFigures(setup_ms, confirmed - clicked, busy - idle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--talk", type=float, default=10.0, help="seconds of each call measured")
    args = parser.parse_args()
    settings = load_settings()
    if not lab_module.is_up(settings):
        sys.exit("the lab is not up: 'hotline lab up' first")
    lab = BenchLab(settings, settings.ami_host, settings.ami_port, settings.test_ami_user,
                   settings.test_ami_secret, settings.ami_secret)
    os.environ["HOTLINE_SOFTPHONE_ACCOUNTS_FILE"] = str(settings.softphone_accounts_file)
    with tempfile.TemporaryDirectory(prefix="bench-softphone-") as folder:
        scratch = Path(folder)
        url = f"sqlite:///{scratch / 'bench.sqlite3'}"
        models.Base.metadata.create_all(make_engine(url))
        with session_factory(url)() as session:
            demo_data(session, 12)
            session.add(User(username="bench-soft", role="agent", phone_interface=INTERFACE,
                             display_name="压测", language="zh",
                             password_hash=generate_password_hash(PASSWORD)))
            session.commit()
        caller_number, _ = one_household_number(url)
        redis_server = RedisServer(scratch / "redis")
        redis_server.start()
        stack_run = run_live_stack(lab, url, redis_server, scratch / "state", scratch / "logs")
        stack = next(stack_run)
        figures: list[CallFigures] = []
        try:
            with softphone_chromium(scratch / "profile") as context, \
                    labtools.pyst2_manager(lab) as (manager, events):
                page = context.pages[0] if context.pages else context.new_page()
                login(page, stack.base_url, "bench-soft", PASSWORD)
                page.wait_for_selector('#softphone-status[data-status="registered"]',
                                       timeout=20_000)
                control = control_connection(lab)
                members = Members(control, settings.queue_name)
                members.pause_foreign()  # others' ready members would take the calls
                members.add(INTERFACE, "bench-soft")
                pid = asterisk_pid(settings)
                try:
                    for number in range(args.calls):
                        figures.append(one_call(page, events, lab, caller_number, args.talk,
                                                pid, scratch))
                        print(f"call {number + 1}: setup {figures[-1].setup_ms:.0f} ms, "
                              f"answer {figures[-1].answer_ms:.0f} ms, "
                              f"Asterisk CPU +{figures[-1].cpu_pct:.2f} % of a core")
                finally:
                    members.restore()
                    control.close()
        finally:
            stack_run.close()
            redis_server.stop()
    if figures:
        setup = [f.setup_ms for f in figures]
        print(f"{len(figures)} calls: setup (DialBegin to ringing in the page) median "
              f"{statistics.median(setup):.0f} ms, max {max(setup):.0f} ms; answer to "
              f"confirmed median {statistics.median(f.answer_ms for f in figures):.0f} ms; "
              f"Asterisk CPU per softphone call median "
              f"{statistics.median(f.cpu_pct for f in figures):.2f} % of one core")


if __name__ == "__main__":
    main()
