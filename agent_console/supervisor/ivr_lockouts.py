"""Households locked out of the IVR's self-service after too many failed identity
checks (telephony/ivr/identity.py): who, which rooms, since and until when."""
from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from flask import render_template

from agent_console.extensions import db, roles_required, settings
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from telephony.ivr.identity import locked_households


@dataclasses.dataclass(frozen=True)
class LockoutRow:
    household_number: str
    rooms: str
    since: str
    until: str
    attempts: int


def _rows() -> list[LockoutRow]:
    zone = ZoneInfo(settings().office_timezone)

    def local(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return [LockoutRow(entry.household_number, ", ".join(entry.rooms),
                       local(entry.lockout.locked_at), local(entry.lockout.locked_until),
                       entry.lockout.failures)
            for entry in locked_households(db())]


@bp.get("/ivr-lockouts")
@roles_required(*SUPERVISOR_ROLES)
def ivr_lockouts():
    return render_template("supervisor/ivr_lockouts.html", rows=_rows())
