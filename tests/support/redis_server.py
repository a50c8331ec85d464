"""The one place tests start redis-server: a private server, never the lab's.

`RedisServer(folder)` listens on a unix socket in `folder` (no port to collide
on); `RedisServer(folder, tcp=True)` on a loopback TCP port of its own, for
processes told a redis:// URL. stop() and start() again keep the address, so
fault tests can take Redis away and bring it back. The fixtures in
tests/conftest.py (`redis_server`, `private_redis_server`) are how tests get one.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

START_TIMEOUT_S = 10


class RedisServerError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own, without persistence; started on construction."""

    def __init__(self, folder: Path, tcp: bool = False):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisServerError("redis-server is not installed (Debian package redis-server)")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if tcp:
            self.port = _free_port()
            self.url = f"redis://127.0.0.1:{self.port}/0"
            self._listen = ["--bind", "127.0.0.1", "--port", str(self.port)]
        else:
            self.port = 0
            self.socket_path = self.folder / "redis.sock"
            self.url = f"unix://{self.socket_path}?db=0"
            self._listen = ["--port", "0", "--unixsocket", str(self.socket_path)]
        self._argv = [binary, *self._listen, "--save", "", "--appendonly", "no",
                      "--dir", str(self.folder)]
        self.process: subprocess.Popen | None = None
        self.stopped_at = 0.0
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        self.process = subprocess.Popen(self._argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        client = self.client()
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while not _pings(client):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RedisServerError(f"private redis-server did not start ({self.url})")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.stopped_at = time.monotonic()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
