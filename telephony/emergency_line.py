"""The emergency key (issue 16.3): a caller who presses 9 in the greeting (water
leak in progress, lift entrapment, gas smell) enters the queue first (QUEUE_PRIO,
set by the dialplan), and this FastAGI script (`emergency`, run before the queue)
pre-creates the emergency work order with the caller's household, linked to the
call, so the agent who answers finds it on the pop; as any emergency order it is
dispatched to engineering at once and the supervisors are alerted
(workflow.intake, the same path as an order typed on the desk).

The order goes through workflow.intake and workflow.orders (plain SQLAlchemy,
no Flask), the desk's own rules: a second copy of them would drift.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from households.matching import match_caller
from models.console import User, system_user

log = logging.getLogger(__name__)

LINE_USER = "hotline-line"
DESCRIPTION = "紧急来电：来电人在问候语中按9（漏水、电梯困人或燃气异味），请接听的坐席补充详情。"


@dataclasses.dataclass(frozen=True)
class EmergencyCall:
    callid: str
    caller_number: str


def line_user(session: Session) -> User:
    """The user the line's own orders are created by (it cannot log in)."""
    return system_user(session, LINE_USER, "热线自动")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class EmergencyScript:
    def __init__(self, sessions: Callable[[], Session], local_area_code: str,
                 office_zone: ZoneInfo, clock: Callable[[], dt.datetime] = _utcnow):
        self.sessions, self.local_area_code = sessions, local_area_code
        self.office_zone, self.clock = office_zone, clock

    def __call__(self, agi) -> int:
        raw = agi.env.get("agi_callerid", "")
        call = EmergencyCall(agi.env.get("agi_uniqueid", ""), "" if raw == "unknown" else raw)
        order_id = pre_create_order(self.sessions, call, self.local_area_code,
                                    self.office_zone, self.clock())
        agi.set_variable("HOTLINE_EMERGENCY_ORDER", str(order_id))
        return order_id


def pre_create_order(sessions: Callable[[], Session], call: EmergencyCall,
                     local_area_code: str, office_zone: ZoneInfo, now: dt.datetime) -> int:
    from workflow.orders import OrderInput
    from workflow import intake

    with sessions() as session:
        household = match_caller(session, call.caller_number, local_area_code)
        data = OrderInput(kind="repair", description=DESCRIPTION, category="other",
                          contact_phone=call.caller_number[:40], callid=call.callid or None,
                          household_id=household.household_id, call_at=now)
        order, created = intake.register(
            session, line_user(session), data, intake.Intake(channel="phone", urgency="emergency"),
            f"emergency-{call.callid}", now, office_zone=office_zone)
        session.commit()
        log.warning("emergency call %s from %s: order %s %s", call.callid, call.caller_number,
                    order.id, "pre-created" if created else "already there")
        return order.id


def emergency_scripts(settings) -> dict:
    from models.session import session_factory

    return {"emergency": EmergencyScript(session_factory(settings.database_url),
                                         settings.local_area_code,
                                         ZoneInfo(settings.office_timezone))}
