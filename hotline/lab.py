"""The lab: a real Asterisk 22 (Debian sid, in a chroot) and a Redis server.

`up` builds the sid root once (debootstrap, cached outside the repo), installs
the rendered configuration, starts Asterisk and Redis, and returns when AMI says
FullyBooted and Redis answers PING. What `up` started is written to a state
file, so `down` stops only that, and `up` on a running lab changes nothing.

Redis requires the password in settings.redis_url (`requirepass`, from a 0600
config file: never on the command line, where every local process reads it).
Files under the state folder are 0600 and its folders 0700; the configuration
goes into the Asterisk root with its final mode before any content is written.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from hotline import softphone
from hotline.atomic_files import write_text
from hotline.errors import LabError
from hotline.lab_config import listed_modules, render_all
from hotline.settings import Settings
from telephony import hold_music
from telephony.ami.probe import AmiProbeError, wait_fully_booted

log = logging.getLogger(__name__)

DEBOOTSTRAP_PACKAGES = "asterisk,asterisk-modules,asterisk-core-sounds-en-gsm"
SIP_PORT = 5060
# Asterisk writes recordings and queue_log, which the bridge and the console
# read: group asterisk may read them, nobody else.
ASTERISK_UMASK = 0o027


@dataclasses.dataclass
class LabState:
    asterisk_pid: int | None = None
    redis_pid: int | None = None
    mounts: list[str] = dataclasses.field(default_factory=list)


def _state_file(settings: Settings) -> Path:
    return settings.state_dir / "lab" / "lab.json"


def _read_state(settings: Settings) -> LabState | None:
    path = _state_file(settings)
    if not path.exists():
        return None
    return LabState(**json.loads(path.read_text()))


def _write_state(settings: Settings, state: LabState) -> None:
    path = _state_file(settings)
    _private_dir(path.parent)
    write_text(path, json.dumps(dataclasses.asdict(state)), 0o600)


def _private_dir(path: Path) -> None:
    """`path` as a folder only its owner can enter (one made before 0700 is tightened)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); its state letter is Z.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _redis_port(settings: Settings) -> int:
    port = redis.Redis.from_url(settings.redis_url).connection_pool.connection_kwargs.get("port")
    return int(port or 6379)


def _port_taken(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _check_can_start(settings: Settings) -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (chroot and bind mounts): run it as root")
    if not (settings.lab_root / "usr/sbin/asterisk").exists() and not shutil.which("debootstrap"):
        raise LabError("debootstrap is not installed and the Asterisk root "
                       f"{settings.lab_root} is not built: apt-get install debootstrap")
    wanted = [(settings.ami_port, socket.SOCK_STREAM, "tcp", "AMI"),
              (SIP_PORT, socket.SOCK_DGRAM, "udp", "SIP"),
              (_redis_port(settings), socket.SOCK_STREAM, "tcp", "Redis")]
    for port, kind, proto, what in wanted:
        if _port_taken(port, kind):
            raise LabError(f"port {port}/{proto} ({what}) is already taken by another process")


def build_root(settings: Settings) -> float:
    """Build the sid root with Asterisk once; return seconds spent (0 if cached)."""
    root = settings.lab_root
    if (root / "usr/sbin/asterisk").exists():
        return 0.0
    started = time.monotonic()
    building = root.with_name(root.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    log.info("building the Asterisk root at %s (debootstrap, about a minute)", root)
    result = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={DEBOOTSTRAP_PACKAGES}", "sid",
         str(building)], capture_output=True, text=True,
        umask=0o022)  # a system tree: the CLI's private umask must not reach it
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise LabError(f"debootstrap failed: {' '.join(tail)}")
    building.rename(root)  # atomic: a half-built root is never taken for a cache
    return time.monotonic() - started


def _mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/mounts") as mounts:
        return any(line.split()[1] == target for line in mounts)


def _mount_binds(settings: Settings, state: LabState) -> None:
    for name in ("dev", "proc"):
        target = settings.lab_root / name
        if not _mounted(target):
            subprocess.run(["mount", "--bind", f"/{name}", str(target)], check=True)
            state.mounts.append(str(target))


def _unmount(state: LabState) -> None:
    for target in reversed(state.mounts):
        subprocess.run(["umount", "-l", target], check=False)
    state.mounts.clear()


def install_config(settings: Settings) -> None:
    root = settings.lab_root
    for name, text in render_all(settings).items():
        # manager.conf holds the AMI secrets, pjsip.conf the softphones' passwords:
        # only Asterisk (their owner) reads them.
        write_text(root / "etc/asterisk" / name, text,
                   0o600 if name in ("manager.conf", "pjsip.conf") else 0o644)
    softphone.install_lab_certificate(settings.state_dir, root)
    hosts = root / "etc/hosts"
    if not hosts.exists():
        # debootstrap writes none: Asterisk then asks DNS for this host's own name
        # several times a second (and waits for the answer on its SIP threads).
        write_text(hosts, f"127.0.0.1 localhost\n127.0.1.1 {socket.gethostname()}\n", 0o644)
    for folder in ("run/asterisk", "var/spool/asterisk/monitor", "var/log/asterisk",
                   "var/lib/asterisk", "usr/share/asterisk/sounds/zh"):
        if not (root / folder).is_dir():
            (root / folder).mkdir(parents=True)
            (root / folder).chmod(0o755)  # Asterisk reads them; the umask would say 0700
    hold_music.build(root)  # musiconhold.conf's files, made with sox
    subprocess.run(["chroot", str(root), "chown", "-R", "asterisk:asterisk", "/run/asterisk",
                    "/var/spool/asterisk", "/var/log/asterisk", "/var/lib/asterisk",
                    "/etc/asterisk"], check=True)


def _start_asterisk(settings: Settings, log_dir: Path) -> int:
    log_file = open(log_dir / "asterisk.log", "ab")
    process = subprocess.Popen(
        ["chroot", str(settings.lab_root), "asterisk", "-f", "-U", "asterisk", "-G", "asterisk"],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        start_new_session=True, umask=ASTERISK_UMASK)
    return process.pid


def _redis_conf_path(settings: Settings) -> Path:
    return settings.state_dir / "lab" / "redis.conf"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def redis_conf(settings: Settings) -> str:
    """The lab Redis's configuration; `requirepass` is the password of redis_url."""
    log_dir = settings.state_dir / "lab"
    lines = ["bind 127.0.0.1", f"port {_redis_port(settings)}",
             f"dir {_quoted(str(log_dir / 'redis'))}", 'save ""', "appendonly no",
             f"logfile {_quoted(str(log_dir / 'redis.log'))}"]
    if settings.redis_password:
        lines.append(f"requirepass {_quoted(settings.redis_password)}")
    return "\n".join(lines) + "\n"


def _start_redis(settings: Settings, log_dir: Path) -> int:
    redis_binary = shutil.which("redis-server")
    if not redis_binary:
        raise LabError("redis-server is not installed: apt-get install redis-server")
    _private_dir(log_dir / "redis")
    write_text(_redis_conf_path(settings), redis_conf(settings), 0o600)
    process = subprocess.Popen(
        [redis_binary, str(_redis_conf_path(settings))],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    return process.pid


def _wait_redis(settings: Settings, timeout_s: float = 15.0) -> None:
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return
        except redis.AuthenticationError as error:
            raise LabError(f"Redis refused the password of {settings.redis_password_file} "
                           f"({error})") from None
        except redis.RedisError:
            time.sleep(0.1)
    raise LabError(f"Redis did not answer PING within {timeout_s:.0f} s")


def _apply_redis_password(settings: Settings) -> list[str]:
    """Bring the running Redis to the password of redis_url, without a restart (the
    live state stays, and clients connected with the password carry on)."""
    write_text(_redis_conf_path(settings), redis_conf(settings), 0o600)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
    wanted = settings.redis_password or ""
    try:
        if client.config_get("requirepass").get("requirepass", "") == wanted:
            return []
        client.config_set("requirepass", wanted)
    except redis.AuthenticationError as error:
        raise LabError(f"the running Redis has another password than "
                       f"{settings.redis_password_file} ({error}): 'hotline lab down', "
                       "then 'hotline lab up'") from None
    except redis.RedisError as error:
        raise LabError(f"the lab's Redis did not take its password: {error}") from None
    finally:
        client.close()
    return ["redis requirepass"]


def is_up(settings: Settings) -> bool:
    state = _read_state(settings)
    return bool(state and _alive(state.asterisk_pid) and _alive(state.redis_pid))


def up(settings: Settings) -> dict:
    """Bring the lab up; return what it did and how long it took."""
    if is_up(settings):
        # A running lab is brought to the configuration rendered now (say, after a
        # benchmark that changed it was killed before it could put it back).
        _private_dir(settings.state_dir)
        _private_dir(settings.state_dir / "lab")
        _write_state(settings, _read_state(settings))  # one from before 0600: made 0600
        reloaded = reload(settings) + _apply_redis_password(settings)
        return {"changed": False, "reloaded": reloaded, **endpoints(settings)}
    leftover = _read_state(settings)
    if leftover:  # a lab that half-died: clear it before starting afresh
        _stop(settings, leftover)
    started = time.monotonic()
    _check_can_start(settings)
    build_s = build_root(settings)
    log_dir = settings.state_dir / "lab"
    _private_dir(settings.state_dir)
    _private_dir(log_dir)
    state = LabState()
    try:
        _mount_binds(settings, state)
        install_config(settings)
        state.redis_pid = _start_redis(settings, log_dir)
        state.asterisk_pid = _start_asterisk(settings, log_dir)
        _write_state(settings, state)
        _wait_redis(settings)
        boot_s = wait_fully_booted(settings.ami_host, settings.ami_port, settings.ami_user,
                                   settings.ami_secret, timeout_s=60)
    except (LabError, AmiProbeError, OSError, subprocess.CalledProcessError) as error:
        _stop(settings, state)
        raise LabError(f"lab did not come up: {error} (see {log_dir}/asterisk.log)") from error
    return {"changed": True, "build_s": round(build_s, 1), "boot_s": round(boot_s, 1),
            "total_s": round(time.monotonic() - started, 1), **endpoints(settings)}


def _terminate(pid: int | None, timeout_s: float) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _stop(settings: Settings, state: LabState) -> None:
    if _alive(state.asterisk_pid):
        subprocess.run(["chroot", str(settings.lab_root), "asterisk", "-rx", "core stop now"],
                       capture_output=True, timeout=10, check=False)
        _terminate(state.asterisk_pid, timeout_s=5)
    _terminate(state.redis_pid, timeout_s=5)
    _unmount(state)
    _state_file(settings).unlink(missing_ok=True)


def down(settings: Settings) -> bool:
    """Stop what `up` started; False when there was nothing to stop."""
    state = _read_state(settings)
    if state is None:
        return False
    _stop(settings, state)
    return True


def cdr_path(settings: Settings) -> Path:
    """Where the lab's Asterisk writes its call detail records (cdr.conf: cdr_csv)."""
    return settings.lab_root / "var/log/asterisk/cdr-csv/Master.csv"


def endpoints(settings: Settings) -> dict:
    return {
        "ami": f"{settings.ami_host}:{settings.ami_port}",
        "sip": f"127.0.0.1:{SIP_PORT}/udp",
        "redis": settings.redis_url_redacted,
        "fastagi": f"{settings.fastagi_host}:{settings.fastagi_port}",
        "queue_log": str(settings.queue_log_path),
        "cdr": str(cdr_path(settings)),
        "recordings": str(settings.recordings_dir),
    }


def status(settings: Settings) -> dict:
    state = _read_state(settings)
    return {
        "asterisk_state": "running" if state and _alive(state.asterisk_pid) else "stopped",
        "redis_state": "running" if state and _alive(state.redis_pid) else "stopped",
        **endpoints(settings),
    }


def reload(settings: Settings) -> list[str]:
    """Install the configuration rendered now and have the running Asterisk re-read it.

    Returns the names of the files whose text changed (nothing to do when empty).
    """
    if not is_up(settings):
        raise LabError("the lab is not up: 'hotline lab up' first")
    folder = settings.lab_root / "etc/asterisk"
    rendered = render_all(settings)
    changed = [name for name, text in rendered.items()
               if not (folder / name).exists() or (folder / name).read_text() != text]
    if changed:
        install_config(settings)
        loaded = _load_missing_modules(settings, listed_modules(rendered["modules.conf"]))
        asterisk_cli(settings, "core reload")
        if set(loaded) & set(softphone.MODULES):
            _reorder_identifiers(settings)
    return changed


def _load_missing_modules(settings: Settings, listed: list[str]) -> list[str]:
    """Load the modules modules.conf lists into a lab started before they were
    listed (the softphone's, cdr_csv...): other helpers' tests share it, no restart."""
    shown = asterisk_cli(settings, "module show")
    missing = [name for name in listed if name not in shown]
    for name in missing:
        asterisk_cli(settings, f"module load {name}")
    return missing


def _reorder_identifiers(settings: Settings) -> None:
    """pjsip.conf's endpoint_identifier_order is applied when an identifier module
    registers: after the reload has read it, register them again (username first)."""
    for name in ("res_pjsip_endpoint_identifier_ip.so", "res_pjsip_endpoint_identifier_user.so"):
        asterisk_cli(settings, f"module unload {name}")
    for name in ("res_pjsip_endpoint_identifier_user.so", "res_pjsip_endpoint_identifier_ip.so"):
        asterisk_cli(settings, f"module load {name}")


def asterisk_cli(settings: Settings, command: str, timeout_s: float = 10) -> str:
    """Run an Asterisk CLI command in the lab (`asterisk -rx`) and return its output."""
    result = subprocess.run(["chroot", str(settings.lab_root), "asterisk", "-rx", command],
                            capture_output=True, text=True, timeout=timeout_s)
    return result.stdout
