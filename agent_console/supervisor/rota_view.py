"""The rota and adherence page (issue 14.4): the week's shifts per agent, adding and
removing a shift, and each agent's adherence for a chosen day against the 92 % norm.

Everything on it is in the office's time zone; shifts are stored in UTC
(call_queue.rota). Supervisors and admins only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from agent_console.extensions import db, roles_required, settings
from agent_console.forms import EmptyForm
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue import rota
from call_queue.adherence import ADHERENCE_NORM, day_adherence
from models.base import utcnow
from models.console import User
from models.rota import SHIFT_KINDS

log = logging.getLogger(__name__)

WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
FIELD_MESSAGES = {
    "agent_unknown": _l("Choose an agent from the list."),
    "day_invalid": _l("Not a date: write it like 2026-12-01."),
    "kind_invalid": _l("Choose the kind of shift."),
    "time_invalid": _l("Not a time: write it like 08:30."),
    "end_before_start": _l("The shift ends before it starts (only a night shift may end "
                           "the next morning)."),
    "too_long": _l("A shift is at most 16 hours."),
    "overlap": _l("This agent already has a shift at that time."),
}


@dataclasses.dataclass(frozen=True)
class Cell:
    day: dt.date
    shifts: list[rota.ShiftRow]


@dataclasses.dataclass(frozen=True)
class AgentWeek:
    user_id: int
    name: str
    cells: list[Cell]


@dataclasses.dataclass(frozen=True)
class AdherenceRow:
    name: str
    scheduled: str
    ready: str
    percent: str
    meets_norm: Optional[bool]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings().office_timezone)


def _hours(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


def _date_arg(name: str, today: dt.date) -> tuple[dt.date, str, Optional[str]]:
    """The date in the query string, what was typed, and an error for its field."""
    # A refused shift (POST) re-shows the adherence day the form was sent from.
    typed = (request.args.get(name) or request.form.get(f"view_{name}") or "")[:40]
    if not typed.strip():
        return today, "", None
    try:
        return dt.date.fromisoformat(typed.strip()), typed, None
    except ValueError:
        return today, typed, _("Not a date: write it like 2026-12-01.")


def _week(monday: dt.date) -> list[AgentWeek]:
    agents = {user.id: user.display_name or user.username for user in rota.rota_agents(db())}
    shifts = rota.week_shifts(db(), monday)
    for row in shifts:  # someone no longer an active agent keeps their row this week
        if row.user_id not in agents:
            user = db().get(User, row.user_id)
            agents[row.user_id] = (user.display_name or user.username) if user else "—"
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    return [AgentWeek(user_id, name, [Cell(day, [s for s in shifts if s.user_id == user_id
                                                 and s.day == day]) for day in days])
            for user_id, name in sorted(agents.items(), key=lambda item: (item[1], item[0]))]


def _adherence_rows(day: dt.date) -> list[AdherenceRow]:
    rows = []
    for row in day_adherence(db(), day, utcnow()):
        rate = row.adherence.rate
        rows.append(AdherenceRow(row.name, _hours(row.adherence.scheduled_s),
                                 _hours(row.adherence.ready_s),
                                 "—" if rate is None else f"{rate * 100:.1f} %",
                                 row.adherence.meets_norm))
    return rows


def _page(typed: rota.ShiftForm, errors: dict[str, str], status: int = 200):
    today = utcnow().astimezone(_zone()).date()
    week_day, week_typed, week_error = _date_arg("week", today)
    day, day_typed, day_error = _date_arg("day", today)
    monday = week_day - dt.timedelta(days=week_day.weekday())
    if errors and typed.day:  # a refused shift: show the week it was meant for
        try:
            meant = dt.date.fromisoformat(typed.day.strip())
            monday = meant - dt.timedelta(days=meant.weekday())
        except ValueError:
            pass
    days = [(monday + dt.timedelta(days=n), WEEKDAYS[n]) for n in range(7)]
    return render_template(
        "supervisor/rota.html", week=_week(monday), days=days, monday=monday,
        previous_week=monday - dt.timedelta(days=7), next_week=monday + dt.timedelta(days=7),
        week_typed=week_typed or monday.isoformat(), week_error=week_error,
        day=day, day_typed=day_typed or day.isoformat(), day_error=day_error,
        adherence=_adherence_rows(day), norm=f"{ADHERENCE_NORM * 100:.0f} %",
        agents=rota.rota_agents(db()), kinds=SHIFT_KINDS, typed=typed,
        errors={field: str(FIELD_MESSAGES[code]) for field, code in errors.items()},
        import_error=request.args.get("import_error") == "file", form=EmptyForm()), 400 if (week_error or day_error) and status == 200 else status


@bp.get("/rota")
@roles_required(*SUPERVISOR_ROLES)
def rota_page():
    return _page(rota.ShiftForm(), {})


@bp.post("/rota/shifts")
@roles_required(*SUPERVISOR_ROLES)
def add_shift():
    if not EmptyForm().validate_on_submit():
        abort(400)
    typed = rota.ShiftForm(**{name: request.form.get(name, "")[:40] for name in rota.FIELDS})
    try:
        draft = rota.check_shift(db(), typed, _zone())
    except rota.ShiftRefused as refused:
        return _page(typed, refused.errors, 422)
    rota.add_shift(db(), draft, current_user.id)
    db().commit()
    flash(_("Shift added."), "ok")
    # Back to the week of the new shift, the adherence of the day being looked at kept.
    return redirect(url_for("supervisor.rota_page", week=draft.day.isoformat(),
                            day=request.form.get("view_day", "")[:40]), 303)


@bp.post("/rota/shifts/<int:shift_id>/delete")
@roles_required(*SUPERVISOR_ROLES)
def remove_shift(shift_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if rota.remove_shift(db(), shift_id):
        db().commit()
        flash(_("Shift removed."), "ok")
    else:
        flash(_("That shift was already removed."), "info")
    return redirect(url_for("supervisor.rota_page", week=request.form.get("week", "")[:40],
                            day=request.form.get("view_day", "")[:40]), 303)
