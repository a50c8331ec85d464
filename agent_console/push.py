"""The screen-pop sink: runs in the bridge process and pushes to agents' browsers.

The bridge hands every call event to `ScreenPopSink.handle`. For events about an
agent's phone it keeps that agent's live state in Redis (so a reconnecting
browser gets a snapshot) and emits to the phone's room in namespace /agent
through Socket.IO's Redis message queue (a write-only emitter: this process
serves no browser). Every push carries the event's `at`, the moment handle()
received it and the moment it was sent, so the benchmark can measure delivery.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Optional

import redis
from socketio import RedisManager

from agent_console import message_queue
from agent_console.live import AgentLiveStore, room_for
from telephony import events

log = logging.getLogger(__name__)

NAMESPACE = "/agent"


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
    def __init__(self, settings, emitter: Optional[RedisManager] = None,
                 redis_client: Optional[redis.Redis] = None,
                 sessions: Optional[Callable] = None):
        self._settings = settings
        # A write-only manager publishes to the console's queue; it serves no client.
        self._emitter = emitter or message_queue(settings.redis_url, write_only=True)
        self._store = AgentLiveStore(redis_client or redis.Redis.from_url(settings.redis_url))
        self._sessions = sessions
        self._handlers = {
            events.AgentRinging: self._on_ringing,
            events.CallAnswered: self._on_answered,
            events.RingEnded: self._on_ring_ended,
            events.CallEnded: self._on_call_ended,
            events.MemberPaused: self._on_paused,
            events.MemberStatusChanged: self._on_status,
            events.QueueSnapshotTaken: self._on_snapshot,
        }

    def handle(self, event) -> None:
        received_at = time.time()
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event, received_at)

    # --- calls -------------------------------------------------------------
    def _on_ringing(self, event: events.AgentRinging, received_at: float) -> None:
        payload = {
            "callid": event.callid, "queue": event.queue, "interface": event.interface,
            "caller_number": event.caller_number, "caller_name": event.caller_name,
            "ringing_at": event.at, "pop": self._build_pop(event.caller_number, event.callid),
        }
        self._store.put(event.interface, ringing=payload)
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
        for member in event.members:
            self._on_status(events.MemberStatusChanged(
                at=event.at, queue=member.queue, interface=member.interface,
                member_name=member.member_name, status=member.status, paused=member.paused,
                paused_reason=member.paused_reason, in_call=member.in_call), received_at)

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
        message = dict(payload, event_at=event.at, received_at=received_at,
                       sent_at=time.time())
        self._emitter.emit(name, message, namespace=NAMESPACE, room=room_for(event.interface))

    def _build_pop(self, caller_number: str, callid: str) -> dict:
        """The households record for the caller; a bare 'unknown' pop if it cannot be built."""
        try:
            from households.screen_pop import screen_pop_for_number

            with self._session_factory()() as session:
                return screen_pop_for_number(session, caller_number, callid)
        except Exception:  # the ring must still pop, with a search box, if lookup fails
            log.exception("screen-pop lookup failed for call %s", callid)
            return {"unknown": True, "caller_number": caller_number, "candidates": [],
                    "lookup_failed": True}

    def _session_factory(self):
        if self._sessions is None:
            from models.session import session_factory

            self._sessions = session_factory(self._settings.database_url)
        return self._sessions
