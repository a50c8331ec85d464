"""Adherence (实际工作率, domain.md): time ready within the scheduled shifts ÷ the
scheduled time, per agent and office day; the norm is at least 92 %.

Ready means logged in and not paused: every state the live board writes to
agent_state_spans except `paused` and `unavailable` (talking, on hold and wrap-up
are work, so they count). Time outside the agent's shifts is not counted at all, so
staying late never makes up for a late start.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.console import User
from models.rota import RotaShift
from models.supervision import AgentStateSpan

log = logging.getLogger(__name__)

ADHERENCE_NORM = 0.92
NOT_READY_STATES = ("paused", "unavailable")


@dataclass(frozen=True)
class Window:
    """A stretch of time: a scheduled shift, or a span in one state."""
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class StateSpan:
    state: str
    started_at: dt.datetime
    ended_at: Optional[dt.datetime]  # None: the agent's current state


@dataclass(frozen=True)
class Adherence:
    scheduled_s: float
    ready_s: float

    @property
    def rate(self) -> Optional[float]:
        return self.ready_s / self.scheduled_s if self.scheduled_s > 0 else None

    @property
    def meets_norm(self) -> Optional[bool]:
        rate = self.rate
        return None if rate is None else rate >= ADHERENCE_NORM


@dataclass(frozen=True)
class AgentAdherence:
    user_id: int
    name: str
    interface: str
    adherence: Adherence


def _merged(windows: Iterable[Window]) -> list[Window]:
    """Overlapping windows as one, so no second is counted twice."""
    merged: list[Window] = []
    for window in sorted(windows, key=lambda w: w.start):
        if merged and window.start <= merged[-1].end:
            if window.end > merged[-1].end:
                merged[-1] = Window(merged[-1].start, window.end)
        else:
            merged.append(window)
    return merged


def _overlap_s(a: Sequence[Window], b: Sequence[Window]) -> float:
    total = 0.0
    for x in a:
        for y in b:
            start, end = max(x.start, y.start), min(x.end, y.end)
            if end > start:
                total += (end - start).total_seconds()
    return total


def adherence(shifts: Iterable[Window], spans: Iterable[StateSpan],
              now: dt.datetime) -> Adherence:
    """One agent's adherence over their shifts, as far as `now` (a shift still under
    way counts only its past part; an open span runs until `now`)."""
    scheduled = _merged(Window(s.start, min(s.end, now)) for s in shifts if s.start < now)
    ready = _merged(Window(span.started_at, span.ended_at or now) for span in spans
                    if span.state not in NOT_READY_STATES)
    scheduled_s = sum((w.end - w.start).total_seconds() for w in scheduled)
    return Adherence(scheduled_s=scheduled_s, ready_s=_overlap_s(scheduled, ready))


def day_adherence(session: Session, day: dt.date, now: dt.datetime) -> list[AgentAdherence]:
    """Every agent on the rota that office day, by name: two statements whatever the
    number of agents (the shifts, then the spans overlapping them)."""
    rows = session.execute(
        select(RotaShift.starts_at, RotaShift.ends_at, User.id, User.display_name,
               User.username, User.phone_interface)
        .join(User, User.id == RotaShift.user_id).where(RotaShift.day == day)).all()
    if not rows:
        return []
    shifts: dict[int, list[Window]] = {}
    people: dict[int, tuple[str, str]] = {}
    for starts_at, ends_at, user_id, display_name, username, interface in rows:
        shifts.setdefault(user_id, []).append(Window(starts_at, ends_at))
        people[user_id] = (display_name or username, interface or "")
    first = min(w.start for ws in shifts.values() for w in ws)
    last = max(w.end for ws in shifts.values() for w in ws)
    interfaces = sorted({interface for _, interface in people.values() if interface})
    spans: dict[str, list[StateSpan]] = {}
    if interfaces:
        for interface, state, started_at, ended_at in session.execute(
                select(AgentStateSpan.interface, AgentStateSpan.state,
                       AgentStateSpan.started_at, AgentStateSpan.ended_at)
                .where(AgentStateSpan.interface.in_(interfaces),
                       AgentStateSpan.started_at < last,
                       or_(AgentStateSpan.ended_at.is_(None),
                           AgentStateSpan.ended_at > first))):
            spans.setdefault(interface, []).append(StateSpan(state, started_at, ended_at))
    result = [AgentAdherence(user_id, name, interface,
                             adherence(shifts[user_id], spans.get(interface, []), now))
              for user_id, (name, interface) in people.items()]
    return sorted(result, key=lambda row: (row.name, row.user_id))
