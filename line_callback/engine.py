"""The bridge's loop that puts placeholders into the queue.

Each second: placeholders that never ended are counted lost (the bridge was down
when they ended), then every request due is claimed (line_callback.store) and its
placeholder placed through the command channel at its place in line, computed from
the callers waiting now: `WaitingCallers`, a sink of the bridge fed the same events
as the live view and kept by the same projection (call_queue.projection), so the
place is worked out from what Asterisk said a moment ago, with no Redis in between.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable

from call_queue import projection
from hotline.ticker import Ticker
from line_callback import store
from line_callback.policy import RetryPolicy, Waiting, place_in_line
from models.base import utcnow

log = logging.getLogger(__name__)

HOLD_OFF_S = 30  # after a command whose fate is unknown (Redis or the bridge silent)
BATCH = 10
# A placeholder can wait in the queue, then ring the resident, then a conversation
# goes on: only one older than this that never ended is taken for lost.
STALE_AFTER_S = 4 * 3600


class WaitingCallers:
    """The callers waiting in each queue, from the bridge's events (a sink)."""

    def __init__(self, settings):
        self.settings = settings
        self._board = projection.empty_board(0.0, settings.office_timezone)
        self._lock = threading.Lock()

    def handle(self, event) -> None:
        with self._lock:
            projection.apply(self._board, event, self.settings)

    def waiting(self, queue: str) -> list[Waiting]:
        with self._lock:
            entries = dict(self._board["queues"].get(queue, {}).get("waiting", {}))
        return [Waiting(callid, float(entry.get("entered_at") or 0.0))
                for callid, entry in entries.items()]

    def free_queues(self, now: float) -> set[str]:
        """Queues with nobody waiting and a member ready and idle now: phone not in use
        (no call of any kind), not ringing, not in wrap-up (where the lost calls'
        automatic call-backs may go, line_callback.lost_calls)."""
        with self._lock:
            with_free_agent = {queue for agent in self._board["agents"].values()
                               if projection.availability(agent) == "ready"
                               and agent["device"] == "not_in_use"
                               and not (agent["call"] or agent["ringing"] or agent["in_call"])
                               and projection.wrapup_until(agent) <= now
                               for queue in agent["queues"]}
            return {queue for queue in with_free_agent
                    if not self._board["queues"].get(queue, {}).get("waiting")}

    def close(self) -> None:
        pass


class CallbackEngine:
    def __init__(self, session_factory, dialler, waiting: WaitingCallers, host: str,
                 policy: RetryPolicy, *, tick_s: float = 1.0,
                 clock: Callable[[], dt.datetime] = utcnow, booker: Callable | None = None):
        self.session_factory = session_factory
        self.dialler, self.waiting, self.host, self.policy = dialler, waiting, host, policy
        self.tick_s, self.clock = tick_s, clock
        # (session, now) -> requests booked before each claim: line_callback.lost_calls
        self.booker = booker
        self._hold_until: dt.datetime | None = None
        self._ticker = Ticker("line-callbacks", self.tick, tick_s)

    def start(self) -> None:
        self._ticker.start()
        log.info("callback engine running (%s attempts, %s s apart)",
                 self.policy.max_attempts, self.policy.spacing_s)

    def stop(self) -> None:
        self._ticker.stop()

    def tick(self) -> int:
        """One round: stale placeholders lost, due requests placed; the number placed."""
        now = self.clock()
        with self.session_factory() as session:
            store.lose_stale(session, self.host, now, STALE_AFTER_S, self.policy)
            if self._hold_until is not None and now < self._hold_until:
                return 0
            if self.booker is not None:
                self.booker(session, now)
            claims = store.claim_due(session, self.host, now, BATCH)
            for index, claim in enumerate(claims):
                if not self._place(session, claim):
                    # In doubt: this one may still ring (its hangup handler or the stale
                    # sweep ends it); the rest were never sent.
                    store.release(session, claims[index + 1:], self.clock())
                    return index + 1
        return len(claims)

    def _place(self, session, claim: store.Claim) -> bool:
        """Place one claimed placeholder; False when the command channel is in doubt."""
        position = place_in_line(claim.joined_at, self.waiting.waiting(claim.queue),
                                 store.placeholder_joins(session, self.host),
                                 claim.exit_position)
        store.set_position(session, claim.attempt_id, position)
        reply = self.dialler.place(claim, position)
        if reply.ok:
            log.info("callback %s: attempt %s placed at place %s (%s)", claim.request_id,
                     claim.number, position, claim.callid)
            return True
        log.warning("callback %s: attempt %s not placed: %s", claim.request_id, claim.number,
                    reply.message)
        if not reply.known:
            self._hold_until = self.clock() + dt.timedelta(seconds=HOLD_OFF_S)
            return False
        store.end_attempt(session, claim.attempt_id, "not_placed", "", self.policy,
                          self.clock())
        return True
