"""Another Asterisk 22 host from the lab's Debian-sid root, on its own loopback
address, with a configuration of the test's choosing (../shared/scale-lab.md):
its own /etc, run, spool, log, lib and cache folders inside the root, and a
systemname so its Uniqueids differ from the lab's.

The lab must be up (its root built, /dev and /proc bound into it).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from telephony.ami.probe import wait_fully_booted

FOLDERS = ("run/asterisk", "var/spool/asterisk", "var/spool/asterisk/monitor",
           "var/log/asterisk", "var/log/asterisk/cdr-csv", "var/log/asterisk/cdr-custom",
           "var/lib/asterisk", "var/cache/asterisk")


@dataclasses.dataclass
class AsteriskHost:
    root: Path
    name: str
    process: subprocess.Popen

    def path(self, folder: str) -> Path:
        """A folder of this host inside the root, e.g. 'var/log/asterisk'."""
        return self.root / _own(folder, self.name)

    @property
    def queue_log(self) -> Path:
        return self.path("var/log/asterisk") / "queue_log"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _own(folder: str, name: str) -> str:
    """'var/log/asterisk/cdr-csv' -> 'var/log/asterisk-NAME/cdr-csv'."""
    head, _, tail = folder.partition("asterisk")
    return f"{head}asterisk-{name}{tail}"


def _asterisk_conf(name: str) -> str:
    return (f"[directories]\nastcachedir => /var/cache/asterisk-{name}\n"
            f"astetcdir => /etc/asterisk-{name}\n"
            "astmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules\n"
            f"astvarlibdir => /var/lib/asterisk-{name}\nastdbdir => /var/lib/asterisk-{name}\n"
            f"astkeydir => /var/lib/asterisk-{name}\nastdatadir => /usr/share/asterisk\n"
            "astagidir => /usr/share/asterisk/agi-bin\n"
            f"astspooldir => /var/spool/asterisk-{name}\nastrundir => /var/run/asterisk-{name}\n"
            f"astlogdir => /var/log/asterisk-{name}\nastsbindir => /usr/sbin\n"
            f"[options]\nsystemname = {name}\n")


def start_asterisk_host(root: Path, name: str, config_dir: Path, ami: tuple[str, int, str, str],
                        log_path: Path) -> AsteriskHost:
    """Start host `name` on the rendered files in `config_dir` over Debian's
    defaults; return when its AMI (host, port, user, secret) says FullyBooted."""
    etc = root / f"etc/asterisk-{name}"
    shutil.rmtree(etc, ignore_errors=True)
    shutil.copytree(root / "etc/asterisk", etc)
    for rendered in config_dir.glob("*.conf"):
        shutil.copy2(rendered, etc / rendered.name)
    (etc / "asterisk.conf").write_text(_asterisk_conf(name))
    inside = [f"/etc/asterisk-{name}"]
    for folder in FOLDERS:
        target = root / _own(folder, name)
        if folder.endswith("asterisk"):  # a host's top folder: start it empty
            shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True, exist_ok=True)
        inside.append("/" + _own(folder, name))
    subprocess.run(["chroot", str(root), "chown", "-R", "asterisk:asterisk", *inside], check=True)
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            ["chroot", str(root), "asterisk", "-C", f"/etc/asterisk-{name}/asterisk.conf",
             "-f", "-U", "asterisk", "-G", "asterisk"],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
    host = AsteriskHost(root, name, process)
    try:
        wait_fully_booted(*ami, timeout_s=30)
    except BaseException:
        host.stop()
        raise
    return host


def hotline_command(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """`hotline ARGS` as its own process with `env`."""
    return subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def host_environment(lab, folder: Path, address: str, name: str, secret: str) -> dict:
    """The HOTLINE_* settings of a bridge (and `asterisk-config`) for host `name` at `address`."""
    return dict(os.environ, HOTLINE_STATE_DIR=str(folder / "state"), HOTLINE_AMI_SECRET=secret,
                HOTLINE_AMI_HOST=address, HOTLINE_OUTBOUND_DIAL="PJSIP/${EXTEN}@trunk",
                HOTLINE_QUEUE_LOG=str(lab.settings.lab_root / f"var/log/asterisk-{name}/queue_log"))


def without_office_hours(extensions: str) -> str:
    """The dialplan with the office-hours AGI taken out, every call queued whatever the
    hour: AGI() answers the caller's channel (200 OK before the queue, which a SIPp
    resident waiting for ring-back refuses), and a test may run at night."""
    lines = [line for line in extensions.splitlines(keepends=True)
             if "/office_hours)" not in line]
    if len(lines) == len(extensions.splitlines()):
        raise AssertionError("no office-hours AGI line in the rendered dialplan")
    return "".join(lines)


def without_greeting(extensions: str) -> str:
    """The dialplan without the greeting's emergency-key menu: Read() answers the
    caller's channel, as the office-hours AGI does."""
    lines = [line for line in extensions.splitlines(keepends=True)
             if "Gosub(hotline-greeting,s,1)" not in line]
    if len(lines) == len(extensions.splitlines()):
        raise AssertionError("no greeting Gosub in the rendered dialplan")
    return "".join(lines)


def without_announcements(queues: str) -> str:
    """No position or hold-time announcements: playing one answers the caller's channel
    (200 OK), which a SIPp resident cannot tell from an agent answering."""
    for option in ("announce-position", "announce-holdtime"):
        if f"{option} = yes" not in queues:
            raise AssertionError(f"no '{option} = yes' in the rendered queues.conf")
        queues = queues.replace(f"{option} = yes", f"{option} = no")
    return queues.replace("announce-frequency = 60", "announce-frequency = 0")


def queue_straight_away(conf: Path) -> None:
    """A rendered host whose callers ring straight into the queue, unanswered until an
    agent answers, whatever the hour: what SIPp residents waiting for ring-back need
    (the greeting, the office-hours check and the announcements have lab tests of
    their own on the lab host)."""
    dialplan, queues = conf / "extensions.conf", conf / "queues.conf"
    dialplan.write_text(without_greeting(without_office_hours(dialplan.read_text())))
    queues.write_text(without_announcements(queues.read_text()))


def start_rendered_host(lab, folder: Path, name: str, address: str, trunk: str, secret: str,
                        extensions: str = "8001-8003", queue_every_call: bool = False,
                        ) -> tuple[AsteriskHost, dict]:
    """Render the configuration with `hotline asterisk-config render` for a server at
    `address` taking calls from `trunk`, and boot host `name` on it; (host, its env).
    `queue_every_call`: callers ring straight into the queue (`queue_straight_away`)."""
    env = host_environment(lab, folder, address, name, secret)
    result = hotline_command(["asterisk-config", "render", "--out", str(folder / "conf"),
                              "--sip-bind", f"{address}:5060", "--trunk", trunk,
                              "--ami-bind", address, "--bridge-address", "127.0.0.1",
                              "--extensions", extensions], env)
    assert result.returncode == 0, result.stderr
    if queue_every_call:
        queue_straight_away(folder / "conf")
    host = start_asterisk_host(lab.settings.lab_root, name, folder / "conf",
                               (address, 5038, lab.settings.ami_user, secret),
                               folder / f"asterisk-{name}.log")
    return host, env


class WatchedConnection:
    """A bridge's AMI connection that keeps the actions sent through it: which host's
    bridge ran a console command."""

    def __init__(self, connection):
        self.connection = connection
        self.sent: list[dict] = []

    def send_action(self, fields: dict, timeout: float = 5.0):
        self.sent.append(dict(fields))
        return self.connection.send_action(fields, timeout=timeout)


@contextlib.contextmanager
def host_commands(bridge, redis_url: str, host: str, queue: str, command_key: bytes):
    """One host's command executor, as `hotline bridge` runs it (named after the host, on
    the bridge's own AMI connection): yields the WatchedConnection; stopped afterwards."""
    from telephony.commands import CommandExecutor

    watched = WatchedConnection(bridge.connection)
    executor = CommandExecutor(redis_url, watched, bridge=host, default_queue=queue,
                               command_key=command_key)
    executor.start()
    try:
        yield watched
    finally:
        executor.stop()
