"""`hotline demo run`: the whole hotline on the embedded default, with demo calls.

Starts the bridge and the console as child processes (as production runs them,
meeting only in Redis and the database), demo agents' phones (a SIPp UAS per
phone), logs the agents into the queue through the console's own command path,
and places residents' calls from the demo households with SIPp at a steady
rate. Ctrl-C stops everything it started; the lab stays up (`hotline lab down`).
"""
from __future__ import annotations

import csv
import dataclasses
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from hotline.demo_line import DemoLine, demo_line, switch_off, switch_on
from hotline.demo_speech import build_speech
from hotline.errors import HotlineError
from hotline.lab import asterisk_cli
from hotline.settings import Settings

log = logging.getLogger(__name__)

SIPP_DIR = Path(__file__).resolve().parent / "sipp"
# Both sides speak (hotline/demo_speech.py): SIPp streams the phrases after the answer.
# The line answers the caller itself (the greeting), so the resident cannot tell when an
# agent takes the call: the agent ends it (hotline/demo_line.py).
AGENT_PHONE_SCENARIO = SIPP_DIR / "demo_agent_phone_line.xml"
CALLER_SCENARIO = SIPP_DIR / "demo_caller_line.xml"
DEMO_AGENTS = [("agent01", "8001", "王芳"), ("agent02", "8002", "李娜"),
               ("agent03", "8003", "张伟"), ("agent04", "8004", "刘洋")]
DEMO_SUPERVISOR = ("supervisor", "8050", "陈主管")
# Department users (issue 15.1): no phone, their own worklist page.
DEMO_DEPARTMENT_USERS = [("eng01", "赵师傅", ("engineering",)),
                         ("sec01", "钱队长", ("security",))]
# The cashier (issue 16.6): a phone to call back the fee line's call-back requests.
DEMO_CASHIER = ("cash01", "8040", "孙会计")


class DemoProcesses:
    """Child processes of the demo, stopped together."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen:
        """`env`: variables set over the runner's environment for this child."""
        log_file = open(self.log_dir / f"{name}.log", "ab")
        # Their own session: Ctrl-C reaches only the demo runner, which then stops
        # the callers, logs the agents out through the bridge, and stops the rest.
        child = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True, cwd=cwd,
                                 env=dict(os.environ, **env) if env else None)
        self.children.append((name, child))
        return child

    def alive(self, name: str) -> bool:
        return any(child.poll() is None for own, child in self.children if own == name)

    def check_alive(self) -> None:
        for name, child in self.children:
            if child.poll() is not None:
                raise HotlineError(f"demo: {name} exited with status {child.returncode}; "
                                   f"see {self.log_dir / (name + '.log')}")

    def stop_all(self) -> None:
        for _, child in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for _, child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()


def _hotline(*args: str) -> list[str]:
    return [sys.executable, "-m", "hotline.cli", *args]


def _run_hotline(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(_hotline(*args), input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise HotlineError(f"demo: 'hotline {' '.join(args)}' failed: "
                           f"{(result.stderr or result.stdout).strip()[-300:]}")
    return result.stdout


def count_households(settings: Settings) -> int:
    from sqlalchemy import func, select

    from models.households import Household
    from models.session import session_factory

    with session_factory(settings.database_url)() as session:
        return session.scalar(select(func.count()).select_from(Household))


def ensure_demo_users(settings: Settings) -> dict[str, str]:
    """Create the demo users once; their passwords live in a 0600 file under var/."""
    credentials_file = settings.state_dir / "demo-credentials.txt"
    credentials = {}
    if credentials_file.exists():
        credentials = dict(line.split(" ", 1)
                           for line in credentials_file.read_text().splitlines())
    people = [(login, ["--role", "agent", "--phone", f"PJSIP/{ext}", "--name", name])
              for login, ext, name in DEMO_AGENTS]
    login, extension, name = DEMO_SUPERVISOR
    people.append((login, ["--role", "supervisor", "--phone", f"PJSIP/{extension}",
                           "--name", name]))
    for login, name, departments in DEMO_DEPARTMENT_USERS:
        people.append((login, ["--role", "department", "--name", name,
                               *(arg for department in departments
                                 for arg in ("--department", department))]))
    login, extension, name = DEMO_CASHIER
    people.append((login, ["--role", "cashier", "--phone", f"PJSIP/{extension}", "--name", name]))
    missing = [(login, args) for login, args in people if login not in credentials]
    if not missing:
        return credentials
    # Users added since the file was written (the department users, the cashier) are made now;
    # the others keep their passwords.
    for login, args in missing:
        password = secrets.token_urlsafe(9)
        _run_hotline("users", "add", login, *args, "--password-stdin",
                     stdin=password + "\n")
        credentials[login] = password
    credentials_file.touch(mode=0o600)
    credentials_file.chmod(0o600)  # touch keeps the mode of a file that was there
    credentials_file.write_text("".join(f"{k} {v}\n" for k, v in credentials.items()))
    return credentials


def write_callers_csv(settings: Settings, path: Path, limit: int = 500) -> int:
    """SIPp's injection file: numbers and names of demo residents (and a few strangers)."""
    from sqlalchemy import select

    from models.households import Person, Phone
    from models.session import session_factory

    with session_factory(settings.database_url)() as session:
        rows = session.execute(
            select(Phone.raw, Person.name).join(Person, Phone.person_id == Person.id)
            .limit(limit)).all()
    with path.open("w", encoding="utf-8", newline="") as csv_file:
        csv_file.write("RANDOM\n")
        writer = csv.writer(csv_file, delimiter=";", lineterminator=";\n")
        for number, name in rows:
            writer.writerow([number, name])
        writer.writerow(["13700000000", "陌生来电"])  # an unknown caller now and then
    return len(rows)


def start_agent_phones(processes: DemoProcesses, speech_dir: Path) -> None:
    sipp = shutil.which("sipp")
    if not sipp:
        raise HotlineError("demo: sipp is not installed (apt-get install sip-tester)")
    for _, extension, _ in DEMO_AGENTS:
        index = int(extension) % 100
        processes.start(f"phone-{extension}", [
            sipp, "-sf", str(AGENT_PHONE_SCENARIO), "-i", "127.0.0.1", "-mi", "127.0.0.1",
            "-p", str(5100 + index), "-mp", str(16000 + 4 * index), "-nostdin"], cwd=speech_dir)


def log_agents_in(settings: Settings) -> None:
    from telephony.commands import CommandClient

    client = CommandClient(settings.redis_url, command_key=settings.command_key)
    for login, extension, _ in DEMO_AGENTS:
        result = client.call("queue_add", timeout=10, queue=settings.queue_name,
                             interface=f"PJSIP/{extension}", member_name=login)
        log.info("queue log-in of %s: %s", login, result.get("message"))


def log_agents_out(settings: Settings) -> None:
    """Leave the lab's queue as the demo found it (members persist across restarts)."""
    from telephony.commands import CommandClient

    client = CommandClient(settings.redis_url, command_key=settings.command_key)
    for login, extension, _ in DEMO_AGENTS:
        client.call("queue_remove", timeout=5, queue=settings.queue_name,
                    interface=f"PJSIP/{extension}")


def start_callers(processes: DemoProcesses, settings: Settings, callers_csv: Path,
                  calls_per_minute: int, speech_dir: Path) -> None:
    processes.start("callers", [
        shutil.which("sipp"), "127.0.0.1:5060", "-sf", str(CALLER_SCENARIO),
        "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", "5095", "-mp", "17000",
        "-s", settings.hotline_number, "-inf", str(callers_csv), "-r", str(calls_per_minute),
        "-rp", "60000", "-l", "12", "-nostdin"], cwd=speech_dir)


def stop_on_sigterm() -> None:
    """SIGTERM (kill, a service manager, `timeout`) stops the demo as Ctrl-C does.

    Its children run in sessions of their own, so a runner that died of the
    default SIGTERM would leave the bridge, the console and SIPp running.
    """
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run(settings: Settings, households: int, calls_per_minute: int, hours: str = "day") -> None:
    """`hours`: day (the day line whatever the time), night (the night line) or
    calendar (as the office calendar says now): hotline/demo_line.py."""
    stop_on_sigterm()
    log_dir = settings.state_dir / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    line = demo_line(settings, hours, log_dir)
    # The runner's own steps (agents in and out of the queue) on the line's queue too.
    settings = dataclasses.replace(settings, queue_name=line.queue)
    if count_households(settings) == 0:
        print(f"making {households} demo households...")
        _run_hotline("demo-data", "--households", str(households))
    credentials = ensure_demo_users(settings)
    speech = build_speech(settings.state_dir)
    processes = DemoProcesses(log_dir)
    try:
        processes.start("bridge", _hotline("bridge"), env=line.child_env())
        processes.start("console", _hotline("console", "--production"),  # gunicorn
                        env=line.child_env())
        # Deadlines, escalations and late departments told once a minute, as the
        # hotline-sweep unit does in production.
        processes.start("sweep", _hotline("workflow", "sweep", "--every", "60"),
                        env=line.child_env())
        # Blocked calls and the announced waits into the statistics (issue 16).
        processes.start("line-import", _hotline("stats", "import-line", "--every", "10"))
        start_agent_phones(processes, speech.folder)
        time.sleep(2)
        processes.check_alive()
        switch_on(settings, line)
        log_agents_in(settings)
        callers_csv = log_dir / "callers.csv"
        write_callers_csv(settings, callers_csv)
        start_callers(processes, settings, callers_csv, calls_per_minute, speech.folder)
        _announce(settings, credentials, log_dir, line)
        while True:
            time.sleep(1)
            processes.check_alive()
    except KeyboardInterrupt:
        print("\nstopping the demo (the lab stays up: 'hotline lab down' stops it)")
    finally:
        shut_down(processes, settings, line)


def shut_down(processes: DemoProcesses, settings: Settings,
              line: DemoLine | None = None) -> None:
    """Stop what the demo started, whatever state it is in, and leave the lab's
    queue as the demo found it: its agents logged out, its calls hung up.

    Each step may fail (a dead bridge, Redis or Asterisk: often why the demo is
    stopping); the children are stopped all the same.
    """
    try:
        _stop_callers_first(processes)
        _step("log the agents out of the queue", _log_agents_out, processes, settings)
        _step("hang up the demo's calls", hang_up_demo_calls, settings)
    finally:
        if line is not None:
            _step("switch the lab's line off", switch_off, settings, line)
        _stop_uninterrupted(processes)


def _step(what: str, function, *args) -> None:
    try:
        function(*args)
    except Exception:  # noqa: BLE001 - nothing may keep the children running
        log.warning("demo: could not %s", what, exc_info=True)


def _log_agents_out(processes: DemoProcesses, settings: Settings) -> None:
    if processes.alive("bridge"):
        log_agents_out(settings)
        return
    # The bridge's command channel died with it: no use waiting for its answers.
    log.warning("demo: the bridge is not running; the agents leave the queue by the lab's CLI")
    for _, extension, _ in DEMO_AGENTS:
        asterisk_cli(settings, f"queue remove member PJSIP/{extension} from {settings.queue_name}")


def hang_up_demo_calls(settings: Settings) -> None:
    """Stopped SIPp phones send no BYE: without this their calls stay up in the lab
    (the caller's leg goes with the agent's; a caller still waiting leaves at the
    queue's own timeout)."""
    prefixes = tuple(f"PJSIP/{extension}-" for _, extension, _ in DEMO_AGENTS)
    for line in asterisk_cli(settings, "core show channels concise").splitlines():
        channel = line.split("!", 1)[0]
        if channel.startswith(prefixes):
            asterisk_cli(settings, f"channel request hangup {channel}")


def _stop_uninterrupted(processes: DemoProcesses) -> None:
    """stop_all, which a second Ctrl-C (or SIGTERM) must not cut short."""
    previous = {number: signal.signal(number, signal.SIG_IGN)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        processes.stop_all()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stop_callers_first(processes: DemoProcesses) -> None:
    for name, child in processes.children:
        if name == "callers" and child.poll() is None:
            child.terminate()


_HOURS_TOLD = {"day": "the day line (greeting, position and wait, reassurance), whatever "
                      "the time",
               "night": "the night line (duty phone from the rota, or voicemail)",
               "calendar": "the office calendar's hours: the day line when open, the night "
                           "line when closed"}


def _announce(settings: Settings, credentials: dict[str, str], log_dir: Path,
              line: DemoLine) -> None:
    print(f"\nHotline console: http://{settings.console_host}:{settings.console_port}")
    for login, password in credentials.items():
        print(f"  {login:<11} {password}")
    print(f"Demo residents call {settings.hotline_number} (SIPp); logs in {log_dir}. Ctrl-C stops.")
    print(f"The line plays {_HOURS_TOLD[line.hours]}; callers wait in queue {line.queue}.")
