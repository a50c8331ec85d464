"""Failed log-ins slow down further attempts, per username and per client address, in Redis.

Never a lock-out: after FREE_FAILURES failures the next attempt must wait
FIRST_DELAY_S, doubling with each further failure up to a cap. The username's cap
is short (anyone can type a supervisor's name: they could only make that
supervisor wait a minute), the address's cap long (one address guessing many
names). Attempts made while waiting are refused unchecked and not counted, so
hammering does not lengthen the wait. Counters are forgotten FORGET_AFTER_S after
the last failure; a successful log-in clears the username's counter only (else a
guesser could clear its address's counter with an account of its own).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import redis

FIRST_DELAY_S = 2.0
FORGET_AFTER_S = 3600
KEY_PREFIX = "hotline:console:login-fail:"


@dataclasses.dataclass(frozen=True)
class BackOff:
    free_failures: int
    max_delay_s: float

    def delay_s(self, failures: int) -> float:
        """How long after the last of `failures` failures the next attempt waits."""
        if failures < self.free_failures:
            return 0.0
        doublings = min(failures - self.free_failures, 32)
        return min(FIRST_DELAY_S * 2 ** doublings, self.max_delay_s)


USERNAME_BACK_OFF = BackOff(free_failures=5, max_delay_s=60)
# An office behind one NAT address shares this one: more free failures.
ADDRESS_BACK_OFF = BackOff(free_failures=20, max_delay_s=900)


class LoginLimiter:
    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time):
        self._redis = client
        self._clock = clock

    @staticmethod
    def _keys(username: str, ip: str) -> list[tuple[str, BackOff]]:
        return [(f"{KEY_PREFIX}user:{username.lower()}", USERNAME_BACK_OFF),
                (f"{KEY_PREFIX}addr:{ip}", ADDRESS_BACK_OFF)]

    def wait_s(self, username: str, ip: str) -> float:
        """Seconds before this username may be tried from this address (0: now)."""
        now = self._clock()
        waits = [0.0]
        for key, back_off in self._keys(username, ip):
            failures, last = self._redis.hmget(key, "failures", "last")
            if failures is None or last is None:
                continue
            waits.append(float(last) + back_off.delay_s(int(failures)) - now)
        return max(waits)

    def failed(self, username: str, ip: str) -> None:
        now = self._clock()
        pipe = self._redis.pipeline()
        for key, _back_off in self._keys(username, ip):
            pipe.hincrby(key, "failures", 1)
            pipe.hset(key, "last", repr(now))
            pipe.expire(key, FORGET_AFTER_S)
        pipe.execute()

    def succeeded(self, username: str, ip: str) -> None:
        user_key, _back_off = self._keys(username, ip)[0]
        self._redis.delete(user_key)
