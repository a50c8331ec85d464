"""A demo child that dies stops the whole demo (issue 19.1).

Tried on a fresh machine: with the bridge unable to start, the runner's log-out
step raised in its `finally`, `stop_all` never ran, and the console and the four
SIPp phones were left running. Here `demo.run` itself runs, its children
stand-in processes: the bridge dies (at once, or after the demo is up), and
every other child must be stopped and the runner must say which one died.
"""
from __future__ import annotations

import signal
import sys
import time
import types

import pytest

from hotline import demo
from hotline.errors import HotlineError
from tests.support.settings import make_settings

SLEEPER = "import time; time.sleep(60)"


class _Started(list):
    """(name, Popen) of each child started; .cli: the lab CLI commands run."""

    cli: list[str]
    line: list[tuple]  # ("on" | "off", DemoLine) in the order the lab's line was switched
    envs: dict


def _dies_after(seconds: float) -> str:
    return f"import sys, time; time.sleep({seconds}); sys.exit(3)"


@pytest.fixture
def started(monkeypatch, tmp_path):
    """demo.run with stand-in children; yields the list of what it started."""
    children = _Started()
    children.line, children.envs = [], {}
    monkeypatch.setattr(demo, "switch_on",
                        lambda settings, line: children.line.append(("on", line)))
    monkeypatch.setattr(demo, "switch_off",
                        lambda settings, line: children.line.append(("off", line)))
    real_start = demo.DemoProcesses.start

    def start(self, name, argv, cwd=None, env=None):
        child = real_start(self, name, argv, cwd, env)
        children.append((name, child))
        children.envs[name] = env
        return child

    monkeypatch.setattr(demo.DemoProcesses, "start", start)
    monkeypatch.setattr(demo, "count_households", lambda settings: 1)
    monkeypatch.setattr(demo, "ensure_demo_users", lambda settings: {"agent01": "pw"})
    monkeypatch.setattr(demo, "build_speech",
                        lambda state_dir: types.SimpleNamespace(folder=tmp_path))
    monkeypatch.setattr(demo, "log_agents_in", lambda settings: None)
    monkeypatch.setattr(demo, "write_callers_csv", lambda settings, path: 0)

    def phones(processes, speech_dir):
        for extension in ("8001", "8002", "8003", "8004"):
            processes.start(f"phone-{extension}", [sys.executable, "-c", SLEEPER])

    def callers(processes, settings, csv, per_minute, speech_dir):
        processes.start("callers", [sys.executable, "-c", SLEEPER])

    monkeypatch.setattr(demo, "start_agent_phones", phones)
    monkeypatch.setattr(demo, "start_callers", callers)
    monkeypatch.setattr(demo, "asterisk_cli", lambda settings, command: cli.append(command) or "")
    cli: list[str] = []
    children.cli = cli
    previous = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    yield children
    for number, handler in previous.items():
        signal.signal(number, handler)
    for _, child in children:
        child.kill()


def _run(monkeypatch, tmp_path, bridge_code: str) -> None:
    programs = {"bridge": bridge_code, "console": SLEEPER, "workflow": SLEEPER,
                "stats": SLEEPER}
    monkeypatch.setattr(demo, "_hotline",
                        lambda *args: [sys.executable, "-c", programs[args[0]]])
    demo.run(make_settings(state_dir=tmp_path / "state"), households=1, calls_per_minute=1)


def test_a_bridge_that_cannot_start_stops_every_child(started, monkeypatch, tmp_path):
    log_outs = []
    monkeypatch.setattr(demo, "log_agents_out", log_outs.append)
    with pytest.raises(HotlineError, match="bridge exited with status 3"):
        _run(monkeypatch, tmp_path, _dies_after(0))
    names = [name for name, _ in started]
    assert names == ["bridge", "console", "sweep", "line-import", "phone-8001", "phone-8002",
                     "phone-8003", "phone-8004"]
    assert [child.poll() is not None for _, child in started] == [True] * 8
    assert log_outs == []  # no bridge to log out through: not waited for
    # The agents were in the line's queue (the twin that greets and announces).
    assert started.cli == [f"queue remove member PJSIP/{n} from hotline-line"
                           for n in ("8001", "8002", "8003", "8004")] + \
        ["core show channels concise"]
    # Never switched on (the bridge died first), switched off all the same.
    assert [what for what, _ in started.line] == ["off"]


def test_a_phone_dying_mid_demo_with_a_failing_log_out_stops_every_child(
        started, monkeypatch, tmp_path):
    calls = []

    def log_out_fails(settings):
        calls.append(settings)
        raise ConnectionError("Redis went away")

    def phones(processes, speech_dir):
        for extension in ("8001", "8002", "8003", "8004"):
            code = _dies_after(3.5) if extension == "8003" else SLEEPER
            processes.start(f"phone-{extension}", [sys.executable, "-c", code])

    monkeypatch.setattr(demo, "log_agents_out", log_out_fails)
    monkeypatch.setattr(demo, "start_agent_phones", phones)
    began = time.monotonic()
    with pytest.raises(HotlineError, match="phone-8003 exited with status 3"):
        _run(monkeypatch, tmp_path, SLEEPER)
    assert len(calls) == 1  # the log-out was tried, raised, and the children still stopped
    assert [name for name, _ in started][-1] == "callers"  # the demo was up
    assert [child.poll() is not None for _, child in started] == [True] * 9
    assert [what for what, _ in started.line] == ["on", "off"]  # on while it ran, then off
    assert time.monotonic() - began < 15


def test_stop_all_kills_a_child_that_ignores_sigterm(tmp_path):
    processes = demo.DemoProcesses(tmp_path)
    stubborn = processes.start("console", [sys.executable, "-c",
                                           "import signal, time; "
                                           "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                           "print('ready', flush=True); time.sleep(60)"])
    wait_for = time.monotonic() + 10
    while "ready" not in (tmp_path / "console.log").read_text() and time.monotonic() < wait_for:
        time.sleep(0.05)
    processes.stop_all()
    assert stubborn.wait(timeout=5) == -signal.SIGKILL


def test_the_demo_serves_the_console_with_gunicorn(monkeypatch, tmp_path, started):
    seen = []

    def record(*args):
        seen.append(args)
        return [sys.executable, "-c", _dies_after(0) if args[0] == "bridge" else SLEEPER]

    monkeypatch.setattr(demo, "_hotline", record)
    monkeypatch.setattr(demo, "log_agents_out", lambda settings: None)
    with pytest.raises(HotlineError):
        demo.run(make_settings(state_dir=tmp_path / "state"), households=1, calls_per_minute=1)
    assert ("console", "--production") in seen
    assert ("workflow", "sweep", "--every", "60") in seen  # deadlines told while the demo runs


LISTING = """PJSIP/8001-00000019!agents!s!1!Up!AppQueue!(Outgoing Line)!8001!!!3!171!9010!1796293910.73
PJSIP/trunk-00000014!hotline-queue!s!4!Up!Queue!hotline,rt,,,300!16658891124!!!3!202!9010!1796293879.68
PJSIP/8050-00000003!agents!s!1!Up!ChanSpy!!8050!!!3!10!77!1796293911.80
PJSIP/8004-0000001a!agents!s!1!Up!AppQueue!(Outgoing Line)!8004!!!3!164!925f!1796293917.74
"""


def test_the_demo_hangs_up_its_own_phones_calls_only(monkeypatch):
    commands = []

    def cli(settings, command):
        commands.append(command)
        return LISTING if command == "core show channels concise" else ""

    monkeypatch.setattr(demo, "asterisk_cli", cli)
    demo.hang_up_demo_calls(make_settings())
    assert commands == ["core show channels concise",
                        "channel request hangup PJSIP/8001-00000019",
                        "channel request hangup PJSIP/8004-0000001a"]
