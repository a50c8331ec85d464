"""The screen-pop sink: runs in the bridge process and pushes to agents' browsers.

The bridge hands every call event to `ScreenPopSink.handle`. For events about an
agent's phone it keeps that agent's live state in Redis (so a reconnecting
browser gets a snapshot) and emits to the phone's room in namespace /agent
through Socket.IO's Redis message queue (a write-only emitter: this process
serves no browser). Every push carries the event's `at`, the moment handle()
received it and the moment it was sent, so the benchmark can measure delivery.

handle() only queues the event: one worker thread takes whatever has queued up
and, for rings, writes the live state and publishes the pops of the whole batch
in one Redis pipeline (one round trip for fifty rings at once). Events keep
their order. The household lookup starts earlier still, when the call joins
the queue (agent_console.pop_cache).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, Optional

import redis
from socketio import RedisManager

from agent_console import MESSAGE_QUEUE_CHANNEL
from agent_console.live import AgentLiveStore, room_for
from agent_console.pop_cache import PopCache
from telephony import events

log = logging.getLogger(__name__)

NAMESPACE = "/agent"
# A ring waits at most this long for its household lookup, then pops without it.
POP_BUILD_TIMEOUT_S = 2.0
MAX_BATCH = 500


class BatchedEmitter(RedisManager):
    """A write-only Socket.IO emitter whose messages the sink publishes itself,
    in the same Redis pipeline as the live state they describe."""

    def __init__(self, redis_url: str, channel: str):
        super().__init__(redis_url, channel=channel, write_only=True)
        self._published: list[str] = []

    def _publish(self, data) -> None:
        self._published.append(self.json.dumps(data))

    def take_published(self) -> list[str]:
        published, self._published = self._published, []
        return published


def agent_state_label(paused: bool, reason: str, status: str, present: bool) -> str:
    """The one word the console shows for a member: logged_out, paused, unavailable, ready."""
    if not present:
        return "logged_out"
    if paused:
        return "paused"
    if status in ("unavailable", "invalid"):
        return "unavailable"
    return "ready"


class ScreenPopSink:
    OWN_THREAD = True  # handle() only queues; the bridge need not give it a thread

    def __init__(self, settings, emitter: Optional[RedisManager] = None,
                 redis_client: Optional[redis.Redis] = None,
                 sessions: Optional[Callable] = None):
        self._settings = settings
        # Default: publish to the console's message queue (this process serves no client).
        # Tests pass the app's own Flask-SocketIO server instead.
        self._emitter = emitter or BatchedEmitter(settings.redis_url, MESSAGE_QUEUE_CHANNEL)
        self._redis = redis_client or redis.Redis.from_url(settings.redis_url)
        self._store = AgentLiveStore(self._redis)
        self._sessions = sessions
        self._pops = PopCache(self._build_pop)
        self._outbox: list[tuple[str, dict, str]] = []
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name="screen-pop-sink", daemon=True)
        self._worker.start()
        self._handlers = {
            events.CallAbandoned: self._on_call_gone,
            events.AgentRinging: self._on_ringing,
            events.CallAnswered: self._on_answered,
            events.RingEnded: self._on_ring_ended,
            events.CallEnded: self._on_call_ended,
            events.MemberPaused: self._on_paused,
            events.MemberStatusChanged: self._on_status,
            events.QueueSnapshotTaken: self._on_snapshot,
        }

    def handle(self, event) -> None:
        """Queue the event for the worker (the bridge's thread never waits on Redis)."""
        received_at = time.time()
        if type(event) is events.CallQueued:
            self._pops.prepare(event.callid, event.caller_number)  # start the lookup now
        elif type(event) in self._handlers:
            self._queue.put((event, received_at))

    def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until every event queued so far is pushed (tests, shutdown)."""
        done = threading.Event()
        self._queue.put((done, 0.0))
        return done.wait(timeout_s)

    def close(self) -> None:
        self.drain()
        self._queue.put((None, 0.0))
        self._worker.join(5)
        self._pops.close()

    # --- the worker ------------------------------------------------------------
    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if not self._process(batch):
                    return
            except Exception:  # Redis down, emitter broken: log, keep the worker alive
                log.exception("screen-pop sink lost a batch of %d events", len(batch))
                self._outbox.clear()
                for event, _ in batch:  # nobody may wait forever on a drain marker
                    if isinstance(event, threading.Event):
                        event.set()

    def _process(self, batch) -> bool:
        """Rings go into one pipeline; any other event flushes it first (it reads state)."""
        pipe = self._redis.pipeline(transaction=False)
        for event, received_at in batch:
            if event is None:
                self._flush(pipe)
                return False
            if isinstance(event, threading.Event):
                self._flush(pipe)
                event.set()
                continue
            try:
                if type(event) is events.AgentRinging:
                    self._on_ringing(event, received_at, pipe)
                    continue
                self._flush(pipe)
                self._handlers[type(event)](event, received_at)
                self._flush(pipe)
            except Exception:  # one bad event must not stop the pushes after it
                log.exception("screen-pop sink failed on %s", event.name)
                self._outbox.clear()
                pipe.reset()
        self._flush(pipe)
        return True

    def _flush(self, pipe) -> None:
        outbox, self._outbox = self._outbox, []
        batched = isinstance(self._emitter, BatchedEmitter)
        if not batched:
            pipe.execute()  # state first: a client that reconnects sees what it was sent
        for name, message, room in outbox:
            message["sent_at"] = time.time()
            self._emitter.emit(name, message, namespace=NAMESPACE, room=room)
        if batched:
            for payload in self._emitter.take_published():
                pipe.publish(self._emitter.channel, payload)
            pipe.execute()

    # --- calls -------------------------------------------------------------
    def _on_call_gone(self, event, _received_at: float) -> None:
        self._pops.forget(event.callid)

    def _on_ringing(self, event: events.AgentRinging, received_at: float, pipe) -> None:
        payload = {
            "callid": event.callid, "queue": event.queue, "interface": event.interface,
            "agent_channel": event.agent_channel,
            "caller_number": event.caller_number, "caller_name": event.caller_name,
            "ringing_at": event.at, "pop": self._pop_for(event.caller_number, event.callid),
        }
        self._store.put(event.interface, pipe=pipe, ringing=payload)
        self._emit("screen_pop", event, payload, received_at)

    def _on_answered(self, event: events.CallAnswered, received_at: float) -> None:
        current = self._store.get(event.interface)
        ringing = current.get("ringing") or {}
        if ringing.get("callid") != event.callid:
            ringing = {"callid": event.callid, "queue": event.queue,
                       "interface": event.interface}
        call = dict(ringing, answered_at=event.at, agent_channel=event.agent_channel,
                    hold_s=event.hold_s)
        self._store.put(event.interface, call=call)
        self._store.drop(event.interface, "ringing", "wrapup")
        self._emit("call_answered", event, call, received_at)

    def _on_ring_ended(self, event: events.RingEnded, received_at: float) -> None:
        if event.outcome == "answered":
            return  # CallAnswered carries on from the pop
        ringing = self._store.get(event.interface).get("ringing") or {}
        if ringing.get("callid") == event.callid:
            self._store.drop(event.interface, "ringing")
        self._emit("ring_ended", event, {"callid": event.callid, "interface": event.interface,
                                         "outcome": event.outcome}, received_at)

    def _on_call_ended(self, event: events.CallEnded, received_at: float) -> None:
        call = self._store.get(event.interface).get("call") or {}
        if call.get("callid") != event.callid:
            call = {"callid": event.callid, "queue": event.queue, "interface": event.interface}
        wrapup = dict(call, ended_at=event.at, talk_s=event.talk_s,
                      hung_up_by=event.hung_up_by,
                      wrapup_until=event.at + self._settings.wrapup_s)
        self._store.put(event.interface, wrapup=wrapup)
        self._store.drop(event.interface, "call")
        self._pops.forget(event.callid)
        self._emit("call_ended", event, wrapup, received_at)

    # --- agent states ---------------------------------------------------------
    def _on_paused(self, event: events.MemberPaused, received_at: float) -> None:
        previous = self._store.get(event.interface).get("state") or {}
        self._put_state(event, received_at, dict(
            previous, interface=event.interface, queue=event.queue, paused=event.paused,
            reason=event.reason if event.paused else "",
            status=previous.get("status", "not_in_use"), present=True,
            in_call=previous.get("in_call", False)))

    def _on_status(self, event: events.MemberStatusChanged, received_at: float) -> None:
        self._put_state(event, received_at, {
            "interface": event.interface, "queue": event.queue, "status": event.status,
            "paused": event.paused, "reason": event.paused_reason if event.paused else "",
            "in_call": event.in_call, "present": event.present})

    def _on_snapshot(self, event: events.QueueSnapshotTaken, received_at: float) -> None:
        waiting = {entry.callid for entry in event.entries}
        for member in event.members:
            status = events.MemberStatusChanged(
                at=event.at, queue=member.queue, interface=member.interface,
                member_name=member.member_name, status=member.status, paused=member.paused,
                paused_reason=member.paused_reason, in_call=member.in_call)
            self._on_status(status, received_at)
            self._drop_stale_calls(member, waiting)
            # Browsers that stayed connected through the outage get a fresh snapshot too.
            self._emit("snapshot", status, dict(
                self._store.get(member.interface), interface=member.interface,
                server_time=time.time(), wrapup_s=self._settings.wrapup_s), received_at)

    def _drop_stale_calls(self, member: events.QueueMemberState, waiting: set) -> None:
        """A call that ended while the bridge was away (Asterisk restarted, bridge
        killed) raises no event of its own: QueueStatus is the truth after a resync."""
        current = self._store.get(member.interface)
        stale = []
        if not member.in_call and current.get("call"):
            stale.append("call")
        if (current.get("ringing") or {}).get("callid") not in waiting | {None}:
            stale.append("ringing")
        self._store.drop(member.interface, *stale)

    def _put_state(self, event, received_at: float, state: dict) -> None:
        previous = self._store.get(event.interface).get("state") or {}
        state["label"] = agent_state_label(state["paused"], state["reason"], state["status"],
                                           state["present"])
        unchanged = (previous.get("label"), previous.get("reason")) == (
            state["label"], state["reason"])
        state["since"] = previous.get("since", event.at) if unchanged else event.at
        self._store.put(event.interface, state=state)
        self._emit("agent_state", event, state, received_at)

    # --- helpers --------------------------------------------------------------
    def _emit(self, name: str, event, payload: dict, received_at: float) -> None:
        message = dict(payload, event_at=event.at, received_at=received_at)
        self._outbox.append((name, message, room_for(event.interface)))

    def _pop_for(self, caller_number: str, callid: str) -> dict:
        try:
            return self._pops.get(callid, caller_number, POP_BUILD_TIMEOUT_S)
        except Exception:  # a slow or failed lookup: pop now, with the search box
            log.exception("screen-pop for call %s not ready", callid)
            return self._unknown_pop(caller_number)

    @staticmethod
    def _unknown_pop(caller_number: str) -> dict:
        return {"unknown": True, "caller_number": caller_number, "candidates": [],
                "household": None, "lookup_failed": True}

    def _build_pop(self, caller_number: str, callid: str) -> dict:
        """The households record for the caller; a bare 'unknown' pop if it cannot be built."""
        try:
            from households.screen_pop import screen_pop_for_number

            with self._session_factory()() as session:
                return screen_pop_for_number(session, caller_number, callid)
        except Exception:  # the ring must still pop, with a search box, if lookup fails
            log.exception("screen-pop lookup failed for call %s", callid)
            return self._unknown_pop(caller_number)

    def _session_factory(self):
        if self._sessions is None:
            from models.session import session_factory

            self._sessions = session_factory(self._settings.database_url)
        return self._sessions
