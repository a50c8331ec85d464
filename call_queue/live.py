"""Live queue and agent state in Redis, pushed to the `/wallboard` namespace.

`LiveStateSink(settings)` runs inside the bridge (loaded from
`telephony.bridge.EXTRA_SINKS`). Each event changes the board (see
`call_queue.live_state`); only when the stored board really changed is it
written to Redis and pushed to browsers, through Flask-SocketIO's Redis message
queue (the bridge has no Flask app). Redis pub/sub stores nothing, so browsers
read the stored board on (re)connect: `read_wallboard(redis)`.

The board is rebuildable: QueueSnapshotTaken (Asterisk's QueueStatus after a
reconnect) replaces callers and agents, and between BridgeConnected /
BridgeDisconnected and BridgeResynced the board says it is not current.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable, Optional

import redis as redis_lib

from call_queue import live_state
from telephony import events as ev

log = logging.getLogger(__name__)

BOARD_KEY = "hotline:live:board"
NAMESPACE = "/wallboard"
PUSH_EVENT = "board"
MESSAGE_QUEUE_CHANNEL = "flask-socketio"  # Flask-SocketIO's default channel


def _default_emitter(redis_url: str) -> Callable[[dict], None]:
    """Publish on Flask-SocketIO's Redis channel, as `SocketIO(message_queue=...)` would,
    but also for unix:// Redis URLs (which Flask-SocketIO would hand to Kombu)."""
    from socketio import RedisManager

    manager = RedisManager(redis_url, channel=MESSAGE_QUEUE_CHANNEL, write_only=True)

    def emit(payload: dict) -> None:
        manager.emit(PUSH_EVENT, payload, namespace=NAMESPACE)

    return emit


class LiveStateSink:
    """Bridge sink: keeps the board in Redis and pushes it when it changes."""

    def __init__(self, settings, redis_client: Optional[redis_lib.Redis] = None,
                 emit: Optional[Callable[[dict], None]] = None,
                 clock: Callable[[], float] = time.time, spy_recorder=None,
                 span_recorder=None):
        self.settings = settings
        self.redis = redis_client or redis_lib.Redis.from_url(settings.redis_url)
        self.emit = emit or _default_emitter(settings.redis_url)
        self.clock = clock
        self.spy_recorder = spy_recorder if spy_recorder is not None else _spy_recorder(settings)
        self.span_recorder = (span_recorder if span_recorder is not None
                              else _span_recorder(settings))
        self._lock = threading.Lock()
        self.board = self._load_board()
        self._stored = _serialize(self.board)
        self.pushes = 0

    def _load_board(self) -> live_state.Board:
        """Start from what Redis holds (today's counters survive a bridge restart).

        Redis down at start must not keep the sink out of the bridge: the board
        starts empty and loading is tried once more at the first event.
        """
        board = live_state.empty_board(self.clock(),
                                       getattr(self.settings, "office_timezone", "UTC"))
        try:
            raw = self.redis.get(BOARD_KEY)
        except redis_lib.RedisError as error:
            log.warning("cannot read the live board from Redis (%s); will retry", error)
            self._loaded = False
            return board
        self._loaded = True
        if raw:
            try:
                board.update(json.loads(raw))
            except ValueError:
                log.warning("live board in Redis is not JSON; starting empty")
        # Until the bridge says it resynced, what we hold is not known to be current.
        board["current"] = False
        board["note"] = "waiting for the bridge"
        return board

    def handle(self, event: ev.CallEvent) -> None:
        if self.spy_recorder is not None and isinstance(event, (ev.SpyStarted, ev.SpyStopped)):
            self.spy_recorder.record(event)
        with self._lock:
            if not self._loaded:
                self.board = self._load_board()
                # From the first event on, what this sink holds is the newest state.
                self._loaded = True
            before = _agent_states(self.board)
            if not live_state.apply(self.board, event, self.settings):
                return
            self.board["updated_at"] = event.at
            serialized = _serialize(self.board, without_time=True)
            if serialized == self._stored:
                return  # nothing a viewer could see changed: no write, no push
            self._stored = serialized
            self.redis.set(BOARD_KEY, _serialize(self.board))
            payload = live_state.render(self.board, self.clock())
            after = _agent_states(self.board)
        self.emit(payload)
        self.pushes += 1
        if self.span_recorder:
            self._record_spans(before, after, event.at)

    def _record_spans(self, before: dict, after: dict, at: float) -> None:
        """After the push: the database never delays the board."""
        for interface in before.keys() | after.keys():
            old, new = before.get(interface), after.get(interface)
            if old is not None and new is not None and old["since"] == new["since"]:
                continue
            try:
                self.span_recorder.changed(interface, old, new, at)
            except Exception:  # noqa: BLE001 - the board must go on without the spans
                log.exception("could not store the state span of %s", interface)


def _serialize(board: live_state.Board, without_time: bool = False) -> str:
    if without_time:
        board = {key: value for key, value in board.items() if key != "updated_at"}
    return json.dumps(board, sort_keys=True, ensure_ascii=False)


def _agent_states(board: live_state.Board) -> dict:
    return {interface: {"state": agent["state"], "since": agent["state_since"],
                        "wrapup_until": agent["wrapup_until"]}
            for interface, agent in board["agents"].items()}


def read_wallboard(redis_client: redis_lib.Redis, now: Optional[float] = None) -> dict:
    """The board as browsers see it, for a snapshot on (re)connect."""
    now = time.time() if now is None else now
    raw = redis_client.get(BOARD_KEY)
    board = live_state.empty_board(now)
    if raw:
        board.update(json.loads(raw))
    else:
        board["note"] = "no live state yet: is the bridge running?"
    return live_state.render(board, now)


def _span_recorder(settings):
    from call_queue.agent_time import AgentSpanRecorder

    return AgentSpanRecorder(settings.database_url)


def _spy_recorder(settings):
    from call_queue.supervision import SpyRecorder

    return SpyRecorder(settings.database_url)
