"""Signed console -> bridge commands: HMAC-SHA256 with a key only the two hold.

Redis's password keeps other local processes out of Redis; the signature is the
second wall: a request pushed on the command list by anything that lacks the
command key (HOTLINE_COMMAND_KEY or the generated 0600 file) is refused, and so
is a signed one replayed (same request id) or older than MAX_AGE_S.

The signature covers the canonical JSON of every field of the request but the
signature itself (sorted keys, no spaces, ASCII), so the bridge recomputes it
from the parsed request: no field can be added, dropped or changed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import Callable

MAX_AGE_S = 30.0
SIGNATURE = "signature"


def canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def sign(key: bytes, body: dict) -> str:
    return hmac.new(key, canonical(body), hashlib.sha256).hexdigest()


def signed(key: bytes, body: dict) -> dict:
    """`body` with its signature, ready to be pushed."""
    return {**body, SIGNATURE: sign(key, body)}


class RequestVerifier:
    """The bridge's check of each request: `refusal(request)` is None when it may run."""

    def __init__(self, key: bytes, bridge: str, max_age_s: float = MAX_AGE_S,
                 clock: Callable[[], float] = time.time):
        if not key:
            raise ValueError("the command key must not be empty")
        self._key = key
        self._bridge = bridge
        self._max_age_s = max_age_s
        self._clock = clock
        # Request id -> when it was issued. A replay must come within the age
        # limit to pass that check, so ids older than it can be forgotten.
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def refusal(self, request: dict) -> str | None:
        """Why `request` must not run (unsigned, forged, stale, replayed), or None."""
        signature = request.get(SIGNATURE)
        if not isinstance(signature, str):
            return "unsigned"
        body = {name: value for name, value in request.items() if name != SIGNATURE}
        if not hmac.compare_digest(signature, sign(self._key, body)):
            return "bad signature"
        if body.get("bridge") != self._bridge:
            return f"signed for bridge {body.get('bridge')!r}"
        issued = body.get("issued")
        now = self._clock()
        if not isinstance(issued, (int, float)) or abs(now - issued) > self._max_age_s:
            return f"stale (issued {issued!r}, now {now:.0f})"
        with self._lock:
            self._forget_before(now - self._max_age_s)
            if body["id"] in self._seen:
                return "replayed"
            self._seen[body["id"]] = issued
        return None

    def _forget_before(self, oldest: float) -> None:
        for request_id in [rid for rid, issued in self._seen.items() if issued < oldest]:
            del self._seen[request_id]
