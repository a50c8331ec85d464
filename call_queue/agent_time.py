"""Agent state spans in the database, for occupancy and logged-in hours.

The live board knows each agent's state and since when; `AgentSpanRecorder`
turns each change into rows: the open span (ended_at NULL) is closed and the new
state's span opened. Spans are split at UTC midnight so that the statistics can
bound their index range (no span starts more than a day before its period). A
wrap-up that ran out before the next event is closed at its end and followed by
idle, which is what the agent was.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select, update

from models.session import session_factory
from models.supervision import AgentStateSpan

log = logging.getLogger(__name__)


def _utc(at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.timezone.utc)


def split_at_midnight(state: str, start: float, end: float) -> list[tuple[str, float, float]]:
    pieces = []
    while True:
        midnight = (_utc(start).replace(hour=0, minute=0, second=0, microsecond=0)
                    + dt.timedelta(days=1)).timestamp()
        if end <= midnight:
            pieces.append((state, start, end))
            return pieces
        pieces.append((state, start, midnight))
        start = midnight


class AgentSpanRecorder:
    """Writes spans as agents change state (used by LiveStateSink, in the bridge)."""

    def __init__(self, database_url: str):
        self.sessions = session_factory(database_url)

    def changed(self, interface: str, before: Optional[dict], after: Optional[dict],
                at: float) -> None:
        """`before`/`after`: {"state", "since", "wrapup_until"} or None (not on the board)."""
        closed: list[tuple[str, float, float]] = []
        if before is not None:
            state, since = before["state"], before["since"]
            wrapup_end = before.get("wrapup_until") or 0.0
            if state == "wrapup" and since <= wrapup_end < at:
                closed += split_at_midnight("wrapup", since, wrapup_end)
                closed += split_at_midnight("idle", wrapup_end, at)
            else:
                closed += split_at_midnight(state, since, at)
        with self.sessions.begin() as session:
            self._close_open(session, interface, closed)
            if after is not None:
                session.add(AgentStateSpan(interface=interface, state=after["state"],
                                           started_at=_utc(after["since"])))

    def _close_open(self, session, interface: str, pieces: list) -> None:
        open_span = session.scalars(
            select(AgentStateSpan).where(AgentStateSpan.interface == interface,
                                         AgentStateSpan.ended_at.is_(None))
            .order_by(AgentStateSpan.id.desc()).limit(1)).first()
        if not pieces:
            if open_span is not None:
                open_span.ended_at = open_span.started_at
            return
        first_state, first_start, first_end = pieces[0]
        if open_span is not None:
            # The stored open span is the same stretch (started when the board said so).
            open_span.state, open_span.ended_at = first_state, _utc(first_end)
        else:
            session.add(AgentStateSpan(interface=interface, state=first_state,
                                       started_at=_utc(first_start), ended_at=_utc(first_end)))
        for state, start, end in pieces[1:]:
            session.add(AgentStateSpan(interface=interface, state=state,
                                       started_at=_utc(start), ended_at=_utc(end)))
        session.execute(update(AgentStateSpan)
                        .where(AgentStateSpan.interface == interface,
                               AgentStateSpan.ended_at.is_(None),
                               AgentStateSpan.id != (open_span.id if open_span else -1))
                        .values(ended_at=_utc(first_start)))
