"""bench/scale's moving parts: two Asterisk hosts from the lab's root on their own
loopback addresses, Kamailio in front, a bridge per host, console workers behind
nginx on PostgreSQL and a private Redis, SIPp phones and callers, and agents'
Socket.IO clients through nginx. The measuring and printing is in bench/scale.py.

Every address is in 127.0.0.0/8: hosts on 127.0.0.2 and .3, Kamailio on .10, the
SIPp residents on .20, the agents' browsers spread over .11-.19 and .21-.39.
"""
from __future__ import annotations

import dataclasses
import secrets
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import socketio

from bench import load_lab as parts
from hotline import lab_config
from hotline.asterisk_site import AgentPhone, AsteriskSite
from tests.support.asterisk_host import (AsteriskHost, start_asterisk_host, without_announcements,
                                         without_greeting, without_office_hours)
from tests.support.production_stack import bound_session, bound_tls_socket, log_in

PROXY = "127.0.0.10"
RESIDENTS = "127.0.0.20"
BROWSER_SOURCES = [f"127.0.0.{n}" for n in (*range(11, 20), *range(21, 40))]
PHONE_PORT = 5100  # each host's SIPp agent phones answer on its own address, this port
BENCH_DATABASE = "hotline_bench_scale"
# An agent takes the next call 5 s after one ends (the hotline's is 30 s): more rings
# to time the pops by, from the same 50 agents.
WRAPUP_S = 5


@dataclasses.dataclass(frozen=True)
class HostSpec:
    name: str  # systemname, HOTLINE_ASTERISK_HOST, and the folders' suffix in the root
    address: str
    extensions: tuple[int, ...]
    rtp: tuple[int, int]  # the host's own RTP range: two hosts on one machine share ports
    phone_media_port: int

    @property
    def interfaces(self) -> set[str]:
        return {f"PJSIP/{extension}" for extension in self.extensions}

    def queue_log(self, root: Path) -> Path:
        return root / f"var/log/asterisk-{self.name}/queue_log"


HOSTS = (HostSpec("a", "127.0.0.2", tuple(range(8001, 8026)), (32000, 37998), 47000),
         HostSpec("b", "127.0.0.3", tuple(range(8026, 8051)), (38000, 43998), 48000))


def host_site(spec: HostSpec) -> AsteriskSite:
    """A real server's configuration for the host, its phones at static contacts where
    the host's SIPp UAS answers (as the lab's are): no registration to script."""
    phones = tuple(AgentPhone(str(extension), f"sip:{extension}@{spec.address}:{PHONE_PORT}")
                   for extension in spec.extensions)
    return AsteriskSite(sip_bind=f"{spec.address}:5060", trunk_match=(PROXY,),
                        ami_bind=spec.address, bridge_addresses=("127.0.0.1",), phones=phones,
                        lab=False)


def host_settings(settings, spec: HostSpec, folder: Path, secret: str):
    """The settings the host's configuration is rendered with and its bridge reads."""
    secret_file = folder / f"ami-secret-{spec.name}"
    secret_file.write_text(secret)
    secret_file.chmod(0o600)
    extra = ({"softphone_accounts_file": folder / f"softphones-{spec.name}.csv"}
             if hasattr(settings, "softphone_accounts_file") else {})
    if hasattr(settings, "queue_maxlen"):
        # No cap on callers waiting: the bench measures how many calls the hosts carry,
        # not the hotline's 20-caller queue (a caller past it is answered and told so).
        extra["queue_maxlen"] = 0
    return dataclasses.replace(
        settings, ami_host=spec.address, ami_secret_file=secret_file,
        queue_log_path=spec.queue_log(settings.lab_root), asterisk_host=spec.name,
        outbound_dial="PJSIP/${EXTEN}@trunk", wrapup_s=WRAPUP_S, **extra)


def start_host(settings, spec: HostSpec, folder: Path) -> tuple[AsteriskHost, object]:
    """Render and boot one host; (the running host, its settings)."""
    secret = secrets.token_urlsafe(18)
    own = host_settings(settings, spec, folder, secret)
    conf = folder / f"conf-{spec.name}"
    conf.mkdir(parents=True, exist_ok=True)
    for name, text in lab_config.render_all(own, host_site(spec)).items():
        if name == "rtp.conf":
            text = text.replace("rtpstart = 20000", f"rtpstart = {spec.rtp[0]}").replace(
                "rtpend = 30000", f"rtpend = {spec.rtp[1]}")
        if name == "extensions.conf":
            text = without_greeting(without_office_hours(text))
        if name == "queues.conf":
            text = without_announcements(text)
        (conf / name).write_text(text)
    host = start_asterisk_host(settings.lab_root, spec.name, conf,
                               (spec.address, settings.ami_port, settings.ami_user, secret),
                               folder / f"asterisk-{spec.name}.log")
    return host, own


def bridge_env(base: dict, own, spec: HostSpec, database_url: str, redis_url: str,
               folder: Path) -> dict:
    root = own.lab_root
    return dict(base, HOTLINE_DATABASE_URL=database_url, HOTLINE_REDIS_URL=redis_url,
                HOTLINE_STATE_DIR=str(folder / f"bridge-{spec.name}"),
                HOTLINE_AMI_HOST=spec.address, HOTLINE_AMI_SECRET=own.ami_secret,
                HOTLINE_QUEUE_LOG=str(own.queue_log_path), HOTLINE_ASTERISK_HOST=spec.name,
                HOTLINE_RECORDINGS_DIR=str(root / f"var/spool/asterisk-{spec.name}/monitor"),
                HOTLINE_FASTAGI_BIND=f"127.0.0.1:{parts.free_tcp_port()}",
                HOTLINE_FASTAGI_ALLOWED_PEERS=f"127.0.0.1,{spec.address}",
                HOTLINE_WRAPUP_S=str(WRAPUP_S))


def fresh_database(server_url: str) -> str:
    """A new, empty database on the PostgreSQL of `server_url` (scripts/start-postgres.sh)."""
    url = urlsplit(server_url)
    with psycopg.connect(urlunsplit(url._replace(scheme="postgresql")), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return urlunsplit(url._replace(path=f"/{BENCH_DATABASE}"))


def start_phones(children: parts.Children, folder: Path, spec: HostSpec,
                 ring_ms: int) -> subprocess.Popen:
    """One SIPp UAS answering for every phone of the host."""
    scenario = parts.render_scenario(folder, "agent_uas.xml", {"RING_MS": ring_ms},
                                     f"agent_uas_{spec.name}.xml")
    return children.start(f"phones-{spec.name}", [
        parts.sipp_binary(), "-sf", str(scenario), "-i", spec.address, "-p", str(PHONE_PORT),
        "-mp", str(spec.phone_media_port), "-m", "100000000", "-nostdin",
        "-recv_timeout", "120000", "-trace_err",
        "-error_file", str(folder / f"phones-{spec.name}.err")])


def start_callers(children: parts.Children, folder: Path, mix: parts.CallerMix, rate: float,
                  concurrency: int, duration_s: float, talk_ms: int, number: str,
                  csv_path: Path) -> subprocess.Popen:
    """SIPp residents calling the hotline through Kamailio, from their own address."""
    scenario = parts.render_scenario(folder, "caller.xml", {"PATIENCE_MS": mix.patience_ms,
                                                            "TALK_MS": talk_ms},
                                     f"caller_{mix.name}.xml")
    calls_per_10s = max(1, round(rate * mix.share * 10))
    total = max(1, round(rate * mix.share * duration_s))
    return children.start(f"callers-{mix.name}", [
        parts.sipp_binary(), f"{PROXY}:5060", "-sf", str(scenario), "-i", RESIDENTS,
        "-p", str(mix.local_port), "-mp", str(mix.media_port), "-s", number,
        "-inf", str(csv_path), "-r", str(calls_per_10s), "-rp", "10000",
        "-l", str(concurrency), "-m", str(total), "-nostdin", "-recv_timeout", "60000",
        "-trace_err", "-trace_stat", "-fd", "5",
        "-stf", str(folder / f"callers-{mix.name}.csv"),
        "-error_file", str(folder / f"callers-{mix.name}.err")])


class BrowserAgent:
    """An agent's browser through nginx (TLS, its own source address, so nginx's
    sticky hash picks its worker): logged in, /agent socket, every pop timed."""

    def __init__(self, lab, source: str, username: str, interface: str):
        self.interface, self.source = interface, source
        self.pops: list[tuple[float, dict]] = []
        self._lock = threading.Lock()
        self.http = bound_session(lab, source)
        answer = log_in(lab, self.http, username, password=parts.PASSWORD)
        if answer.status_code != 302:
            raise SystemExit(f"bench: log-in of {username} through nginx failed "
                             f"({answer.status_code})")
        self.client = socketio.Client(http_session=self.http, reconnection=False,
                                      websocket_extra_options={
                                          "socket": bound_tls_socket(lab, source),
                                          "suppress_origin": True})
        self.client.on("screen_pop", self._on_pop, namespace="/agent")
        self.client.connect(lab.base_url, namespaces=["/agent"], transports=["websocket"],
                            headers={"Origin": lab.base_url,
                                     "User-Agent": self.http.headers["User-Agent"]},
                            wait_timeout=10)

    def _on_pop(self, payload: dict) -> None:
        received = time.time()
        with self._lock:
            self.pops.append((received, payload))

    def close(self) -> None:
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001 - a dead worker at the end is reported elsewhere
            pass
        self.http.close()
