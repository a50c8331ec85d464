"""The rota's rules: reading a shift typed on the supervisor's page, refusing a bad
one field by field, the week's shifts, adding and removing.

Times are typed in the office's time zone and stored in UTC. A night shift may end
the next morning (the seeds' night duty runs 17:30 to 08:30, 004 值班制度); a day or
evening shift that ends before it starts is a typing mistake and refused.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.console import User
from models.rota import SHIFT_KINDS, RotaShift

log = logging.getLogger(__name__)

FIELDS = ("user_id", "day", "kind", "start", "end")
MAX_SHIFT = dt.timedelta(hours=16)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


@dataclass(frozen=True)
class ShiftForm:
    """What the supervisor typed, kept as typed so a refused form loses nothing."""
    user_id: str = ""
    day: str = ""
    kind: str = ""
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class ShiftDraft:
    user_id: int
    day: dt.date
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class ShiftRefused(Exception):
    """field -> error code; the page says each next to its field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}={v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ShiftRow:
    id: int
    user_id: int
    day: dt.date
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def rota_agents(session: Session) -> list[User]:
    """The people a shift can be given to: active agents, by name."""
    return list(session.scalars(select(User).where(User.role == "agent", User.active.is_(True))
                                .order_by(User.display_name, User.username)))


def parse_time(text: str) -> Optional[dt.time]:
    found = _TIME.match(text.strip())
    return dt.time(int(found.group(1)), int(found.group(2))) if found else None


def read_shift(session: Session, form: ShiftForm, zone: ZoneInfo) -> ShiftDraft:
    """The typed shift as UTC instants, every wrong field refused (ShiftRefused); the
    rota itself is not looked at (check_shift does that)."""
    errors: dict[str, str] = {}
    user_id = int(form.user_id) if form.user_id.strip().isdigit() else None
    if user_id is None or user_id not in {u.id for u in rota_agents(session)}:
        errors["user_id"] = "agent_unknown"
    try:
        day = dt.date.fromisoformat(form.day.strip())
    except ValueError:
        day = None
        errors["day"] = "day_invalid"
    if form.kind not in SHIFT_KINDS:
        errors["kind"] = "kind_invalid"
    start, end = parse_time(form.start), parse_time(form.end)
    if start is None:
        errors["start"] = "time_invalid"
    if end is None:
        errors["end"] = "time_invalid"
    if errors or day is None or start is None or end is None:
        raise ShiftRefused(errors)
    starts_at = dt.datetime.combine(day, start, zone)
    end_day = day + dt.timedelta(days=1) if end <= start and form.kind == "night" else day
    ends_at = dt.datetime.combine(end_day, end, zone)
    if ends_at <= starts_at:
        raise ShiftRefused({"end": "end_before_start"})
    if ends_at - starts_at > MAX_SHIFT:
        raise ShiftRefused({"end": "too_long"})
    starts_at, ends_at = starts_at.astimezone(dt.timezone.utc), ends_at.astimezone(dt.timezone.utc)
    return ShiftDraft(user_id, day, form.kind, starts_at, ends_at)


def lock_agent_rota(session: Session, user_id: int) -> None:
    """Hold the agent's rota until the transaction ends, so that two supervisors adding
    a shift for the same agent at the same instant cannot both find no overlap.

    PostgreSQL: the agent's user row FOR UPDATE (the second waits, then reads the
    first's shift: READ COMMITTED reads afresh per statement). SQLite has no row
    locks: a write takes its one write lock at once, which the second waits for
    (busy_timeout) before it reads."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
    else:
        session.execute(update(User).where(User.id == user_id).values(id=User.id))


def clashing_shift(session: Session, draft: ShiftDraft) -> Optional[RotaShift]:
    """A shift of the same agent overlapping the draft (call under lock_agent_rota)."""
    return session.scalar(select(RotaShift).where(
        RotaShift.user_id == draft.user_id, RotaShift.starts_at < draft.ends_at,
        RotaShift.ends_at > draft.starts_at).order_by(RotaShift.starts_at).limit(1))


def check_shift(session: Session, form: ShiftForm, zone: ZoneInfo) -> ShiftDraft:
    """read_shift, then the agent's rota locked and an overlap refused; the lock holds
    until the caller commits the shift (add_shift) or rolls back."""
    draft = read_shift(session, form, zone)
    lock_agent_rota(session, draft.user_id)
    if clashing_shift(session, draft) is not None:
        raise ShiftRefused({"start": "overlap"})
    return draft


def add_shift(session: Session, draft: ShiftDraft, by_user_id: Optional[int]) -> RotaShift:
    shift = RotaShift(user_id=draft.user_id, day=draft.day, kind=draft.kind,
                      starts_at=draft.starts_at, ends_at=draft.ends_at,
                      created_by_id=by_user_id)
    session.add(shift)
    session.flush()
    log.info("rota: shift %s added for user %s on %s", shift.id, draft.user_id, draft.day)
    return shift


def remove_shift(session: Session, shift_id: int) -> bool:
    shift = session.get(RotaShift, shift_id)
    if shift is None:
        return False
    session.delete(shift)
    session.flush()
    log.info("rota: shift %s removed", shift_id)
    return True


def week_shifts(session: Session, monday: dt.date) -> list[ShiftRow]:
    return [ShiftRow(s.id, s.user_id, s.day, s.kind, s.starts_at, s.ends_at)
            for s in session.scalars(select(RotaShift).where(
                RotaShift.day >= monday, RotaShift.day < monday + dt.timedelta(days=7))
                .order_by(RotaShift.day, RotaShift.starts_at))]


@dataclass(frozen=True)
class NightCover:
    """A night shift for the wallboard: who, their phone, when, and whether it is on now."""
    name: str
    interface: Optional[str]
    starts_at: dt.datetime
    ends_at: dt.datetime
    now: bool


def night_cover(session: Session, now: dt.datetime) -> list[NightCover]:
    """The night shifts on now; when none is, those starting in the next 24 hours (the
    board then says who comes on tonight). Earliest first."""
    rows = session.execute(
        select(RotaShift, User).join(User, User.id == RotaShift.user_id)
        .where(RotaShift.kind == "night", RotaShift.ends_at > now,
               RotaShift.starts_at < now + dt.timedelta(hours=24))
        .order_by(RotaShift.starts_at, User.display_name)).all()

    def cover(shift: RotaShift, user: User) -> NightCover:
        starts, ends = _aware(shift.starts_at), _aware(shift.ends_at)
        return NightCover(user.display_name or user.username, user.phone_interface,
                          starts, ends, starts <= now)
    covers = [cover(shift, user) for shift, user in rows]
    on_now = [c for c in covers if c.now]
    if on_now:
        return on_now
    first = min((c.starts_at for c in covers), default=None)
    return [c for c in covers if c.starts_at == first]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
