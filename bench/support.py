"""Pieces the benchmarks share: private services, the console process, percentiles."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
import requests

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """A private redis-server on a unix socket; (process, URL)."""
    path = folder / "redis.sock"
    process = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(path),
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=str(path))
    for _ in range(200):
        try:
            client.ping()
            return process, f"unix://{path}?db=0"
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("redis-server did not start")


def start_console(env: dict, base_url: str, log_path: Path,
                  production: bool = False, threads: int = 200) -> subprocess.Popen:
    """`hotline console` as its own process (the development server, or with
    production gunicorn's threaded worker, each open WebSocket holding one of
    `threads`); returns once /healthz answers."""
    server = ["--production", "--threads", str(threads)] if production else []
    # A file, not a pipe: a pipe nobody reads would block the server.
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-c", "from hotline.cli import main; main()", "console", *server],
            env=env, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                return process
        except (requests.ConnectionError, requests.Timeout):
            # gunicorn's arbiter listens before its worker serves: the first
            # request may wait in the backlog past the timeout while it boots.
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit("console did not start: " + log_path.read_text()[-2000:])


def private_console(base_settings, database_url: str, redis_url: str, folder: Path,
                    log_name: str = "console.log", production: bool = False,
                    trusted_proxy_hops: int = 0):
    """`hotline console` on a free port over a private database and Redis
    (behind a proxy such as nginx: `trusted_proxy_hops=1`).

    Returns (settings for in-process parts, its base URL, the console process).
    """
    import dataclasses
    import os

    port = free_port()
    settings = dataclasses.replace(
        base_settings, database_url=database_url, redis_url=redis_url, state_dir=folder,
        secret_key_file=folder / "secret-key", console_port=port,
        queue_log_path=folder / "queue_log")
    env = dict(os.environ, HOTLINE_DATABASE_URL=database_url, HOTLINE_REDIS_URL=redis_url,
               HOTLINE_STATE_DIR=str(folder), HOTLINE_CONSOLE_HOST="127.0.0.1",
               HOTLINE_CONSOLE_PORT=str(port),
               HOTLINE_TRUSTED_PROXY_HOPS=str(trusted_proxy_hops))
    base_url = f"http://127.0.0.1:{port}"
    return settings, base_url, start_console(env, base_url, folder / log_name, production)


def stop_processes(*processes) -> None:
    """Terminate each started child (None: never started) and reap it."""
    for process in processes:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.99 for p99) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
