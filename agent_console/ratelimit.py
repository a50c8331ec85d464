"""Login attempts: at most MAX_FAILURES failures per user and address per window, in Redis."""
from __future__ import annotations

import redis

MAX_FAILURES = 5
WINDOW_S = 300
KEY_PREFIX = "hotline:console:login-fail:"


class LoginLimiter:
    def __init__(self, client: redis.Redis, max_failures: int = MAX_FAILURES,
                 window_s: int = WINDOW_S):
        self._redis = client
        self._max = max_failures
        self._window = window_s

    def _key(self, username: str, ip: str) -> str:
        return f"{KEY_PREFIX}{username.lower()}|{ip}"

    def blocked(self, username: str, ip: str) -> bool:
        count = self._redis.get(self._key(username, ip))
        return count is not None and int(count) >= self._max

    def failed(self, username: str, ip: str) -> None:
        key = self._key(username, ip)
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, self._window, nx=True)  # the window starts at the first failure
        pipe.execute()

    def succeeded(self, username: str, ip: str) -> None:
        self._redis.delete(self._key(username, ip))
