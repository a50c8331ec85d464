"""The bridge's one sink of live state: the projection in Redis, pushed to every screen.

`LiveStateSink` applies each event to the projection (call_queue.projection)
and writes what changed to Redis (call_queue.live_schema) in two steps:

- `push_batch(events)`: each changed agent's record (what the console reads on
  (re)connect) and the Socket.IO messages to the agent's room in /agent
  (screen_pop, call_answered, ring_ended, call_ended, agent_state, snapshot),
  published through Socket.IO's Redis message queue, in one pipeline per batch
  (telephony.sink_thread hands a burst over PUSH_BATCH events at a time: fifty
  rings at once are five round trips, the first pops sent while the last are
  built), and nothing else rides in it.
- `flush()`: the board (stored, rendered and sent to /wallboard) only if the
  batches since the last flush changed it, then the spy sessions and agent
  state spans handed to the database (GuardedWrites: the database never delays
  the screens, nor keeps anything off them).

The bridge runs the sink on a thread of its own (telephony.sink_thread), which
calls `flush` once no more events are coming, so a burst of rings is never
held behind the board's JSON; `handle_batch` does both at once. Redis pub/sub
stores nothing, so browsers read the stored state on (re)connect:
`read_wallboard(redis)`, `agent_console.live.AgentLiveStore`. Screen-pop
content comes from `pops` (screen_pop.HouseholdPops: looked up from the moment
the call joins the queue, `on_arrival`).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable, Optional

import redis as redis_lib
from socketio import RedisManager

from call_queue import board_view, projection
from call_queue.host_boards import (
    HOSTS_KEY, PeerBoards, board_key, known_hosts, merged_or_single, read_boards,
    running_hosts)
from call_queue.guarded_writes import GuardedWrites
from call_queue.live_packets import queue_message
from call_queue.norms import Norms, evaluate
from call_queue.live_schema import (
    AGENT_KEY_PREFIX, AGENT_NAMESPACE, AGENT_TTL_S, BOARD_KEY, MESSAGE_QUEUE_CHANNEL,  # noqa: F401
    WALLBOARD_EVENT, WALLBOARD_NAMESPACE, room_for)
from models.calls import DEFAULT_HOST
from telephony import events as ev

log = logging.getLogger(__name__)

# Kept for readers that import them from here (BOARD_KEY: the default host's board).
NAMESPACE = WALLBOARD_NAMESPACE
PUSH_EVENT = WALLBOARD_EVENT
_CALL_MESSAGES = {ev.AgentRinging: ("screen_pop", "ringing"),
                  ev.CallAnswered: ("call_answered", "call"),
                  ev.CallEnded: ("call_ended", "wrapup"),
                  ev.TransferLegAnswered: ("call_answered", "call")}


class BatchedEmitter(RedisManager):
    """A write-only Socket.IO emitter whose messages the sink publishes itself,
    in the same Redis pipeline as the state they describe."""

    def __init__(self, redis_url: str, channel: str = MESSAGE_QUEUE_CHANNEL):
        super().__init__(redis_url, channel=channel, write_only=True)
        self._published: list[str] = []

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None,
             to=None, **kwargs) -> None:
        """The library's message, without its walk of the payload for bytes
        (call_queue.live_packets); a payload JSON cannot hold, a callback or a
        skipped sid go the library's way."""
        if callback is None and skip_sid is None and not kwargs:
            text = queue_message(self.json, self.host_id, event, data, namespace, to or room)
            if text is not None:
                self._published.append(text)
                return
        super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                     callback=callback, to=to, **kwargs)

    def _publish(self, data) -> None:
        self._published.append(self.json.dumps(data))

    def take_published(self) -> list[str]:
        published, self._published = self._published, []
        return published


class LiveStateSink:
    def __init__(self, settings, redis_client: Optional[redis_lib.Redis] = None,
                 emit: Optional[Callable[[dict], None]] = None, emitter=None,
                 clock: Callable[[], float] = time.time, spy_recorder=None,
                 span_recorder=None, pops=None, database: Optional[GuardedWrites] = None):
        """emit: where the board goes (default: the emitter, namespace /wallboard);
        emitter: a Socket.IO server or manager (default: BatchedEmitter on Redis);
        spy_recorder / span_recorder: None builds the database ones, False none."""
        self.settings = settings
        self.redis = redis_client or redis_lib.Redis.from_url(settings.redis_url)
        # Each Asterisk host's board is its own (call_queue.host_boards); shown merged.
        self.host = getattr(settings, "asterisk_host", DEFAULT_HOST)
        self.peers = PeerBoards(self.host)
        self.emitter = emitter or BatchedEmitter(settings.redis_url)
        self.emit = emit
        self.clock = clock
        self.pops = pops
        self.spy_recorder = spy_recorder if spy_recorder is not None else _spy_recorder(settings)
        self.span_recorder = (span_recorder if span_recorder is not None
                              else _span_recorder(settings))
        self.database = database or GuardedWrites("live-state")
        self._lock = threading.Lock()
        self._outbox: list[tuple[str, dict, str, Optional[str]]] = []
        self._written: dict[str, dict] = {}
        self._database_writes: list[tuple[Callable, tuple]] = []
        self._board_changed = False
        self.board = self._load_board()
        self._span_states = _agent_states(self.board)
        self.norms = _norms(settings)
        self.pushes = 0

    # ---- loading
    def _load_board(self) -> projection.Board:
        """Start from what Redis holds (today's counters survive a bridge restart).

        Redis down at start must not keep the sink out of the bridge: the board
        starts empty and loading is tried once more at the first event.
        """
        board = projection.empty_board(self.clock(), self.settings.office_timezone)
        try:
            raw = self.redis.get(board_key(self.host))
            stored = json.loads(raw) if raw else {}
            if stored and not _is_projection(stored):
                log.warning("live board in Redis is of an older layout; starting empty")
                stored = {}
            board.update(stored)
            board["pops"] = self._stored_pops(board)
        except redis_lib.RedisError as error:
            log.warning("cannot read the live board from Redis (%s); will retry", error)
            self._loaded = False
            return board
        except ValueError:
            log.warning("live board in Redis is not JSON; starting empty")
        self._loaded = True
        # Until the bridge says it resynced, what we hold is not known to be current.
        board["current"] = False
        board["note"] = "waiting for the bridge"
        return board

    def _stored_pops(self, board: projection.Board) -> dict:
        """The pops of calls still on agents' screens (they are not in the board key)."""
        pops = {}
        for interface in board["agents"]:
            for value in self.redis.hgetall(AGENT_KEY_PREFIX + interface).values():
                part = json.loads(value)
                if part.get("pop") is not None and part.get("callid"):
                    pops[part["callid"]] = part["pop"]
        return pops

    # ---- events
    def on_arrival(self, event: ev.CallEvent) -> None:
        """On the bridge's thread, before queuing: start the caller's lookup at once."""
        if self.pops is not None and type(event) is ev.CallQueued:
            self.pops.prepare(event.callid, event.caller_number)

    def handle(self, event: ev.CallEvent) -> None:
        self.handle_batch([event])

    def handle_batch(self, events: list) -> None:
        """Push the batch's calls, then the board and the database writes."""
        self.push_batch(events)
        self.flush()

    def push_batch(self, events: list) -> None:
        """Apply the events; the agents' records and messages (the pops) in one pipeline.

        Nothing else is in that round trip: the board waits for `flush`, which
        telephony.sink_thread calls once no more events are coming.
        """
        received_at = time.time()
        with self._lock:
            if not self._loaded:
                self.board = self._load_board()
                self._span_states = _agent_states(self.board)
                self._loaded = True  # from the first event on, this sink holds the newest
            touched: set[str] = set()
            for event in events:
                touched |= self._apply(event, received_at)
            try:
                self._push_agents(touched)
            finally:
                self._note_database_writes(events, touched)

    def flush(self) -> None:
        """The board, if it changed since it was last written; then the database writes."""
        with self._lock:
            try:
                if self._board_changed:
                    self._push_board()
            finally:
                writes, self._database_writes = self._database_writes, []
        for write, args in writes:
            self.database.submit(write, *args)

    def _apply(self, event: ev.CallEvent, received_at: float) -> set:
        self.on_arrival(event)
        pop = None
        if self.pops is not None and type(event) is ev.AgentRinging:
            pop = self.pops.get(event.callid, event.caller_number)
        watched = _watched(self.board, event)
        if not projection.apply(self.board, event, self.settings, pop):
            return set()
        self.board["updated_at"] = event.at
        if watched is _ALWAYS or watched != _watched(self.board, event):
            self._board_changed = True
        if self.pops is not None and type(event) in (ev.CallAbandoned, ev.CallEnded):
            self.pops.forget(event.callid)
        if type(event) is ev.QueueSnapshotTaken:
            return self._snapshot_messages(event, received_at)
        interface = getattr(event, "interface", None)
        if not interface:
            return set()
        self._agent_message(event, interface, received_at)
        return {interface}

    def _agent_message(self, event, interface: str, received_at: float) -> None:
        parts = projection.agent_parts(self.board, interface)
        if type(event) in _CALL_MESSAGES:
            name, part = _CALL_MESSAGES[type(event)]
            if part in parts:
                self._queue_message(name, parts[part], event, interface, received_at)
        elif type(event) is ev.RingEnded and event.outcome != "answered":
            self._queue_message("ring_ended", {"callid": event.callid, "interface": interface,
                                               "outcome": event.outcome},
                                event, interface, received_at)
        elif type(event) is ev.TransferLegEnded:
            self._queue_message("transfer_ended", {"callid": event.callid,
                                                   "interface": interface},
                                event, interface, received_at)
        elif type(event) in (ev.MemberPaused, ev.MemberStatusChanged):
            self._queue_message("agent_state", parts["state"], event, interface, received_at)

    def _snapshot_messages(self, event, received_at: float) -> set:
        """Browsers that stayed connected through an outage get a fresh snapshot too."""
        for interface in self.board["agents"]:
            self._queue_message("snapshot", dict(
                projection.agent_parts(self.board, interface), interface=interface,
                server_time=time.time(), wrapup_s=self.settings.wrapup_s),
                event, interface, received_at)
        return set(self.board["agents"])

    def _queue_message(self, name, payload, event, interface, received_at) -> None:
        message = dict(payload, event_at=event.at, received_at=received_at)
        self._outbox.append((name, message, AGENT_NAMESPACE, room_for(interface)))

    # ---- Redis
    def _push_agents(self, touched: set) -> None:
        """Changed agents' records and their messages in one pipeline (state first for
        direct emitters: a console that reconnects sees what it was sent)."""
        outbox, self._outbox = self._outbox, []
        pipe = self.redis.pipeline(transaction=False)
        records = self._changed_records(touched, pipe)
        self._execute(pipe, outbox)
        self._written.update(records)

    def _push_board(self) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(board_key(self.host), _serialize(self.board))
        pipe.sadd(HOSTS_KEY, self.host)
        now = self.clock()
        shown = self.peers.shown(self.redis, self.board, now, self.settings.office_timezone)
        board = wallboard_view(shown, now, self.norms)
        outbox = [] if self.emit is not None else [
            (WALLBOARD_EVENT, board, WALLBOARD_NAMESPACE, None)]
        self._execute(pipe, outbox)
        self._board_changed = False
        if self.emit is not None:
            self.emit(board)
        self.pushes += 1

    def _execute(self, pipe, outbox) -> None:
        """Run the pipeline with the outbox's messages published in it (or sent after it)."""
        batched = isinstance(self.emitter, BatchedEmitter)
        if batched:
            self._send(outbox)
            for payload in self.emitter.take_published():
                pipe.publish(self.emitter.channel, payload)
        if len(pipe):
            try:
                pipe.execute()
            except redis_lib.RedisError:
                self._written.clear()  # write everything again once Redis is back
                raise
        if not batched:
            self._send(outbox)

    def _changed_records(self, touched: set, pipe) -> dict:
        records = {}
        for interface in touched:
            fields = {name: json.dumps(part, ensure_ascii=False) for name, part
                      in projection.agent_parts(self.board, interface).items()}
            if self._written.get(interface) == fields:
                continue
            key = AGENT_KEY_PREFIX + interface
            pipe.delete(key)
            if fields:
                pipe.hset(key, mapping=fields)
                pipe.expire(key, AGENT_TTL_S)
            records[interface] = fields
        return records

    def _send(self, outbox) -> None:
        for name, message, namespace, room in outbox:
            message["sent_at"] = time.time()
            self.emitter.emit(name, message, namespace=namespace, room=room)

    # ---- the database, after the screens
    def _note_database_writes(self, events: list, touched: set) -> None:
        """Spy sessions and the spans of agents whose state changed, written at `flush`."""
        if self.spy_recorder:
            self._database_writes += [(self.spy_recorder.record, (event,)) for event in events
                                      if isinstance(event, (ev.SpyStarted, ev.SpyStopped))]
        if not self.span_recorder or not touched:
            return
        at = events[-1].at
        for interface in touched:
            old, new = self._span_states.get(interface), _agent_state(self.board, interface)
            if old == new or (old is not None and new is not None
                              and old["since"] == new["since"]):
                continue
            if new is None:
                del self._span_states[interface]
            else:
                self._span_states[interface] = new
            self._database_writes.append((self.span_recorder.changed,
                                          (interface, old, new, at)))

    def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait for the database writes queued so far (tests, shutdown)."""
        return self.database.drain(timeout_s)

    def close(self) -> None:
        self.database.close()
        if self.pops is not None:
            self.pops.close()


def _is_projection(stored: dict) -> bool:
    agents = stored.get("agents") or {}
    return all("availability" in agent for agent in agents.values())


def _serialize(board: projection.Board) -> str:
    """The board key's JSON: the projection without screen-pop content."""
    return json.dumps({key: value for key, value in board.items() if key != "pops"},
                      ensure_ascii=False)


def _agent_states(board: projection.Board) -> dict:
    return {interface: _agent_state(board, interface) for interface, agent
            in board["agents"].items() if agent["present"]}


def _agent_state(board: projection.Board, interface: str) -> Optional[dict]:
    """What the agent-time spans follow; None when the agent is not on the board."""
    agent = board["agents"].get(interface)
    if agent is None or not agent["present"]:
        return None
    return {"state": agent["state"], "since": agent["state_since"],
            "wrapup_until": projection.wrapup_until(agent)}


_ALWAYS = object()
_BRIDGE_STATES = (ev.BridgeConnected, ev.BridgeDisconnected, ev.BridgeResynced)


def _watched(board: projection.Board, event: ev.CallEvent):
    """What an event that often changes nothing (a repeated device state, the hang-up
    of a channel that was not waiting) could change, to compare before and after it;
    `_ALWAYS` for the events that always change the board."""
    kind = type(event)
    if kind in (ev.MemberPaused, ev.MemberStatusChanged, ev.RingEnded):
        agent = board["agents"].get(event.interface)
        return board["day"], len(board["queues"]), dict(agent) if agent else None
    if kind is ev.ChannelHungUp:
        return board["day"], sum(len(queue["waiting"]) for queue in board["queues"].values())
    if kind in _BRIDGE_STATES:
        return board["day"], board["current"], board["note"]
    return _ALWAYS


def read_board(redis_client: redis_lib.Redis, now: float) -> projection.Board:
    """The stored projection of every host, merged (call_queue.host_boards); an empty
    board saying so if there is none (or only ones of an older layout, left by a
    bridge from before call_queue.projection)."""
    stored = {host: board for host, board in read_boards(redis_client,
                                                         known_hosts(redis_client)).items()
              if _is_projection(board)}
    board = projection.empty_board(now)
    up = running_hosts(redis_client, stored) if len(stored) > 1 else None
    shown = merged_or_single({host: dict(board, **one) for host, one in stored.items()}, now,
                             up=up)
    if shown is None:
        board["note"] = "no live state yet: is the bridge running?"
        return board
    return shown


def read_wallboard(redis_client: redis_lib.Redis, now: Optional[float] = None,
                   norms: Optional[Norms] = None) -> dict:
    """The board as browsers see it, for a snapshot on (re)connect."""
    now = time.time() if now is None else now
    return wallboard_view(read_board(redis_client, now), now, norms or Norms())


def wallboard_view(board: projection.Board, now: float, norms: Norms) -> dict:
    """The rendered board with every figure's level against the norms (call_queue.norms)."""
    view = board_view.render(board, now)
    view["norms"] = evaluate(view, norms).to_json()
    return view


def _norms(settings) -> Norms:
    # Test doubles of the settings carry only the queue's own fields: the default norms.
    if not hasattr(settings, "norm_longest_wait_s"):
        return Norms(service_level_s=settings.service_level_s)
    return Norms.from_settings(settings)


def _span_recorder(settings):
    from call_queue.agent_time import AgentSpanRecorder

    return AgentSpanRecorder(settings.database_url)


def _spy_recorder(settings):
    from call_queue.supervision import SpyRecorder

    return SpyRecorder(settings.database_url)
