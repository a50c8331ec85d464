"""Rows for the call list's tests: two agents, a household with a phone, calls on
both sides of an office midnight (Asia/Shanghai), a score and a linked work order."""
from __future__ import annotations

import dataclasses
import datetime as dt

from models.calls import Call
from models.console import User, WorkOrder
from models.households import Community, Household, Occupancy, Person, PersonRole, Phone, PhoneKind
from models.households import RenovationStatus
from models.supervision import QaScore

ZONE = "Asia/Shanghai"
DAY = dt.date(2026, 3, 10)
# 2026-03-10 00:00 in Shanghai is 2026-03-09 16:00 UTC.
MIDNIGHT_UTC = dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class CallListData:
    household_number: str
    resident_number: str
    order_id: int


def _call(callid: str, at: dt.datetime, agent: str | None, outcome: str, talk_s: int | None,
          number: str = "13900000000", queue: str = "hotline") -> Call:
    return Call(callid=callid, caller_number_raw=number, caller_number=number, queue=queue,
                entered_queue_at=at, agent_interface=agent, wait_s=10, talk_s=talk_s,
                outcome=outcome, answered_at=at + dt.timedelta(seconds=10) if agent else None)


def seed_call_list(session) -> CallListData:
    community = Community(code="C1", name="小区")
    session.add(community)
    session.flush()
    household = Household(number="H-0101", community_id=community.id,
                          occupancy=Occupancy.OWNER_OCCUPIED,
                          renovation_status=RenovationStatus.COMPLETED)
    session.add(household)
    session.flush()
    person = Person(household_id=household.id, role=PersonRole.OWNER, name="业主")
    session.add(person)
    session.flush()
    session.add(Phone(person_id=person.id, household_id=household.id, raw="13800138000",
                      normalized="13800138000", kind=PhoneKind.MOBILE))
    for username, phone, name in (("wang", "PJSIP/8011", "王芳"), ("li", "PJSIP/8012", "李娜")):
        session.add(User(username=username, role="agent", phone_interface=phone,
                         display_name=name, password_hash="x"))
    session.flush()
    calls = [
        _call("d0.1", MIDNIGHT_UTC - dt.timedelta(seconds=1), "PJSIP/8011", "answered", 60),
        _call("d1.1", MIDNIGHT_UTC, "PJSIP/8011", "answered", 30, number="13800138000"),
        _call("d1.2", MIDNIGHT_UTC + dt.timedelta(hours=2), "PJSIP/8012", "answered", 200),
        _call("d1.3", MIDNIGHT_UTC + dt.timedelta(hours=3), None, "abandoned", None),
        _call("d1.4", MIDNIGHT_UTC + dt.timedelta(hours=23, minutes=59), "PJSIP/8011",
              "answered", 95),
        _call("d2.1", MIDNIGHT_UTC + dt.timedelta(days=1), "PJSIP/8012", "answered", 45),
    ]
    session.add_all(calls)
    session.add(QaScore(callid="d1.2", agent_interface="PJSIP/8012", total=88,
                        criteria={}, scored_at=MIDNIGHT_UTC + dt.timedelta(hours=4)))
    agent_id = session.query(User.id).filter_by(username="wang").scalar()
    order = WorkOrder(idempotency_token="t1", kind="repair", description="漏水",
                      callid="d1.4", household_id=household.id, created_by_id=agent_id)
    session.add(order)
    session.commit()
    return CallListData(household.number, "13800138000", order.id)
