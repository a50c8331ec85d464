"""The production serving path on real engines, for tests: Debian's nginx with TLS
(a certificate made by `hotline.deploy`) in front of N `hotline console
--production` workers (gunicorn) on loopback ports, on one SQLite database and a
private redis-server. Every address is in 127.0.0.0/8.

Clients choose their source address (127.0.0.N) with `bound_session` and
`bound_tls_socket`: nginx hashes the client address to a worker, and its access
log names the worker that served each request (`upstream_of`).
"""
from __future__ import annotations

import dataclasses
import os
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

import requests
from werkzeug.security import generate_password_hash

import models
from bench.nginx_front import SourceAdapter, verified_tls_socket
from bench.support import free_port
from hotline import deploy
from models.session import make_engine, session_factory
from tests.labtools import wait_until
from tests.support.redis_server import RedisServer

REPO = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
PASSWORD = "production lab password"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                     r'|name="csrf-token" content="([^"]+)"')


@dataclasses.dataclass
class ProductionLab:
    base_url: str
    nginx_port: int
    worker_ports: list[int]
    certificate: Path
    access_log: Path
    database_url: str
    redis: RedisServer
    logs: Path
    processes: list[subprocess.Popen] = dataclasses.field(default_factory=list)

    def worker_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.worker_ports[index]}"

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.redis.stop()


def bound_session(lab: ProductionLab, source: str) -> requests.Session:
    """A requests session from `source`, trusting the lab's certificate."""
    session = requests.Session()
    session.mount("https://", SourceAdapter(source))
    session.mount("http://", SourceAdapter(source))
    session.verify = str(lab.certificate)
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the lab's certificate
    return session


def bound_tls_socket(lab: ProductionLab, source: str) -> ssl.SSLSocket:
    """A verified TLS connection to nginx from `source` (for websocket-client)."""
    return verified_tls_socket(lab.certificate, lab.nginx_port, source)


def csrf_token(session: requests.Session, url: str) -> str:
    match = CSRF_RE.search(session.get(url, timeout=10).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def log_in(lab: ProductionLab, session: requests.Session, username: str,
           password: str = PASSWORD, headers: dict | None = None) -> requests.Response:
    """Log in as a browser does over https: CSRF token, and the Referer Flask-WTF checks."""
    login_url = lab.base_url + "/login"
    token = csrf_token(session, login_url)
    return session.post(login_url, data={"username": username, "password": password,
                                         "csrf_token": token},
                        headers={"Referer": login_url, **(headers or {})},
                        allow_redirects=False, timeout=10)


def upstream_of(lab: ProductionLab, source: str, path: str) -> list[str]:
    """The workers (host:port) nginx sent `source`'s requests for `path` to, in order."""
    pattern = re.compile(rf'^{re.escape(source)} \[[^]]+\] "\S+ {re.escape(path)}[ ?].*'
                         r'upstream=(\S+)')
    lines = lab.access_log.read_text().splitlines() if lab.access_log.exists() else []
    return [match.group(1) for match in map(pattern.match, lines) if match]


def _make_users(url: str, users: dict[str, str]) -> None:
    from models.console import User

    with session_factory(url)() as session:
        for username, role in users.items():
            session.add(User(username=username, role=role, display_name=username,
                             language="en", password_hash=generate_password_hash(PASSWORD)))
        session.commit()


def _start_worker(folder: Path, port: int, env: dict, logs: Path,
                  threads: int = 16) -> subprocess.Popen:
    worker_env = dict(env, HOTLINE_CONSOLE_HOST="127.0.0.1", HOTLINE_CONSOLE_PORT=str(port),
                      HOTLINE_TRUSTED_PROXY_HOPS="1")
    with (logs / f"console-{port}.log").open("wb") as log_file:
        return subprocess.Popen([sys.executable, "-m", "hotline.cli", "console", "--production",
                                 "--threads", str(threads)], env=worker_env, cwd=REPO,
                                stdout=log_file, stderr=subprocess.STDOUT)


def _start_nginx(prefix: Path, site: deploy.NginxSite) -> subprocess.Popen:
    site_file = prefix / "hotline.conf"
    site_file.write_text(deploy.render_nginx_site(site))
    config = prefix / "nginx.conf"
    config.write_text(deploy.render_standalone_nginx(prefix, site_file))
    deploy.check_nginx_config(config, prefix, NGINX)
    return subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(config),
                             "-e", str(prefix / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _answers(url: str, verify) -> bool:
    with requests.Session() as session:
        session.trust_env = False
        try:
            return session.get(url + "/healthz", timeout=2, verify=verify).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            # gunicorn's arbiter listens before its worker serves: a connection may
            # wait in the backlog past the timeout while the worker boots.
            return False


def _log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _wait_for_worker(lab: ProductionLab, index: int) -> None:
    """Until the worker answers /healthz; a worker that exits fails at once, and
    either failure shows the end of the worker's log."""
    port, process = lab.worker_ports[index], lab.processes[index]
    log_path = lab.logs / f"console-{port}.log"

    def answered_or_exited() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"console worker {port} exited ({process.returncode}):\n"
                                 + _log_tail(log_path))
        return _answers(lab.worker_url(index), True)

    try:
        wait_until(answered_or_exited, 60, f"console worker {port}")
    except AssertionError as failure:
        if "exited" in str(failure):
            raise
        raise AssertionError(f"{failure}:\n{_log_tail(log_path)}") from None


def start_production_lab(folder: Path, users: dict[str, str], workers: int = 2,
                         database_url: str | None = None, threads: int = 16) -> ProductionLab:
    """Start everything; the caller stops it with lab.stop(). The database: a new
    SQLite file, or `database_url` (bench/scale: PostgreSQL). Each open WebSocket
    holds one of a worker's `threads` (gunicorn's threaded worker)."""
    logs = folder / "logs"
    logs.mkdir(parents=True)
    url = database_url or f"sqlite:///{folder / 'hotline.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    _make_users(url, users)
    redis = RedisServer(folder / "redis")
    tls = deploy.make_self_signed_certificate(folder / "state" / "tls")
    env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_REDIS_URL=redis.url,
               HOTLINE_STATE_DIR=str(folder / "state"),
               HOTLINE_SECRET_KEY_FILE=str(folder / "state" / "secret-key"))
    ports = [free_port() for _ in range(workers)]
    nginx_port = free_port()
    prefix = folder / "nginx"
    prefix.mkdir()
    lab = ProductionLab(f"https://127.0.0.1:{nginx_port}", nginx_port, ports, tls.certificate,
                        prefix / "access.log", url, redis, logs)
    try:
        for port in ports:
            lab.processes.append(_start_worker(folder, port, env, logs, threads))
        for index in range(workers):
            _wait_for_worker(lab, index)
        site = deploy.NginxSite(server_name="127.0.0.1", listen=f"127.0.0.1:{nginx_port}",
                                certificate=tls.certificate, certificate_key=tls.key,
                                console_ports=tuple(ports), http_listen=None,
                                access_log=str(lab.access_log))
        lab.processes.append(_start_nginx(prefix, site))
        wait_until(lambda: _answers(lab.base_url, str(tls.certificate)), 20,
                   f"nginx on {lab.base_url} ({prefix / 'error.log'})")
    except BaseException:
        lab.stop()
        raise
    return lab


def sources_per_worker(lab: ProductionLab, candidates: int = 40) -> dict[str, str]:
    """One client address (127.0.0.N) that nginx hashes to each worker: worker -> address."""
    found: dict[str, str] = {}
    for n in range(1, candidates + 1):
        source = f"127.0.0.{n}"
        with bound_session(lab, source) as session:
            session.get(lab.base_url + "/healthz", timeout=5).raise_for_status()
        time.sleep(0.05)  # nginx writes the log line after the response
        served = upstream_of(lab, source, "/healthz")
        if served:
            found.setdefault(served[-1], source)
        if len(found) == len(lab.worker_ports):
            return found
    raise AssertionError(f"{candidates} addresses reached only {sorted(found)}")
