"""The hotline out of hours (issue 16.4): two FastAGI scripts the dialplan runs.

`office_hours` (from [office-hours], first thing on a hotline call) says whether the
office is open now by the office calendar (call_queue/office_calendar.py) and, when
it is closed, who is on duty by the rota: HOTLINE_OFFICE = open | closed,
HOTLINE_NIGHT_PHONE (the duty worker's phone interface, empty when nobody is on
the rota), HOTLINE_NIGHT_DUTY_ID, HOTLINE_NIGHT_RING_S, HOTLINE_VOICEMAIL_MAX_S.

Why a FastAGI check and not a global variable the bridge keeps: the answer needs
the rota (the database) as well as the calendar, and it is asked at the moment
of the call, so it is never stale (a global variable is wrong from the minute the
bridge stops updating it, and needs a timer at every opening, closing and shift
change). If the check cannot run (the bridge is down), the dialplan queues the
call as it always did: a 24-hour centre with a caller waiting is the old
behaviour, never a caller sent to an empty voicemail by mistake.

`night_log` (from the hangup handler [night-line-log]) writes the call into the
night duty log (models/night_log.py, source "line"): the duty worker rung,
answered or not, the call's recording and the voicemail, so the morning handover
sees every night call.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from typing import Callable, Optional, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from households.matching import match_caller
from models.console import User
from models.night_log import SOURCE_LINE, NightLogEntry
from models.rota import RotaShift

log = logging.getLogger(__name__)

WAV_HEADER_BYTES = 44  # a message file of no more than its header holds no sound


class Calendar(Protocol):
    def is_open(self, moment: dt.datetime) -> bool: ...


@dataclasses.dataclass(frozen=True)
class DutyWorker:
    user_id: int
    name: str
    interface: str  # the phone the call is dialled to, e.g. PJSIP/8012


def on_duty(session: Session, moment: dt.datetime) -> Optional[DutyWorker]:
    """Who the rota has on duty at `moment` with a phone: a night shift first (it may
    have begun the evening before), else any shift covering the moment."""
    rows = session.execute(
        select(RotaShift.kind, RotaShift.starts_at, User)
        .join(User, User.id == RotaShift.user_id)
        .where(RotaShift.starts_at <= moment, RotaShift.ends_at > moment,
               User.active.is_(True), User.phone_interface.is_not(None))).all()
    if not rows:
        return None
    _, _, user = min(rows, key=lambda r: (r.kind != "night", -r.starts_at.timestamp()))
    return DutyWorker(user.id, user.display_name or user.username, user.phone_interface)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class OfficeHoursScript:
    def __init__(self, calendar: Calendar, sessions: Callable[[], Session], ring_s: int,
                 voicemail_max_s: int, clock: Callable[[], dt.datetime] = _utcnow):
        self.calendar, self.sessions, self.clock = calendar, sessions, clock
        self.ring_s, self.voicemail_max_s = ring_s, voicemail_max_s

    def __call__(self, agi) -> str:
        now = self.clock()
        if self.calendar.is_open(now):
            agi.set_variable("HOTLINE_OFFICE", "open")
            return "open"
        try:
            with self.sessions() as session:
                duty = on_duty(session, now)
        except Exception:  # noqa: BLE001 - closed all the same: the message is kept
            log.exception("night line: the rota cannot be read; straight to voicemail")
            duty = None
        agi.set_variable("HOTLINE_NIGHT_PHONE", duty.interface if duty else "")
        agi.set_variable("HOTLINE_NIGHT_DUTY_ID", str(duty.user_id) if duty else "")
        agi.set_variable("HOTLINE_NIGHT_RING_S", str(self.ring_s))
        agi.set_variable("HOTLINE_VOICEMAIL_MAX_S", str(self.voicemail_max_s))
        agi.set_variable("HOTLINE_OFFICE", "closed")
        log.info("night line %s: office closed, duty %s", agi.env.get("agi_uniqueid"),
                 duty.interface if duty else "nobody")
        return "closed"


@dataclasses.dataclass(frozen=True)
class NightCall:
    """What the hangup handler hands over (its AGI arguments and environment)."""
    callid: str
    caller_number: str
    duty_user_id: Optional[int]
    answered: bool
    recording: str
    voicemail: str

    @classmethod
    def from_agi_env(cls, env: dict[str, str]) -> "NightCall":
        duty = env.get("agi_arg_1", "").strip()
        return cls(callid=env.get("agi_uniqueid", ""),
                   caller_number=_caller(env.get("agi_callerid", "")),
                   duty_user_id=int(duty) if duty.isdigit() else None,
                   answered=env.get("agi_arg_2", "").strip() == "ANSWER",
                   recording=env.get("agi_arg_3", "").strip(),
                   voicemail=env.get("agi_arg_4", "").strip())


def _caller(raw: str) -> str:
    return "" if raw in ("unknown", "") else raw[:40]


class NightLogScript:
    def __init__(self, sessions: Callable[[], Session], recordings_dir: Path,
                 local_area_code: str, clock: Callable[[], dt.datetime] = _utcnow):
        self.sessions, self.recordings_dir = sessions, Path(recordings_dir)
        self.local_area_code, self.clock = local_area_code, clock

    def _kept(self, relative: str, minimum_bytes: int = 1) -> str:
        """The path if the file is under the recordings folder and holds something."""
        if not relative or relative.startswith("/") or ".." in Path(relative).parts:
            return ""
        path = self.recordings_dir / relative
        try:
            return relative if path.stat().st_size >= minimum_bytes else ""
        except OSError:
            return ""

    def __call__(self, agi) -> NightLogEntry:
        call = NightCall.from_agi_env(agi.env)
        with self.sessions() as session:
            household = match_caller(session, call.caller_number, self.local_area_code)
            entry = NightLogEntry(
                logged_at=self.clock(), logged_by_id=None, callid=call.callid or None,
                caller_number=call.caller_number, household_id=household.household_id,
                summary="", urgent=False, closed_reason="", source=SOURCE_LINE,
                duty_user_id=call.duty_user_id,
                duty_answered=call.answered if call.duty_user_id else None,
                # MixMonitor may still be closing the file: its name is enough.
                recording=call.recording if call.answered else "",
                voicemail=self._kept(call.voicemail, WAV_HEADER_BYTES + 1))
            session.add(entry)
            session.commit()
            log.info("night line %s: logged (answered %s, voicemail %r)", call.callid,
                     call.answered, entry.voicemail)
            return entry


def night_line_scripts(settings, calendar: Calendar) -> dict:
    from models.session import session_factory

    sessions = session_factory(settings.database_url)
    return {"office_hours": OfficeHoursScript(calendar, sessions, settings.night_duty_ring_s,
                                                      settings.voicemail_max_s),
            "night_log": NightLogScript(sessions, settings.recordings_dir,
                                        settings.local_area_code)}
