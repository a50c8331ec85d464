"""A hand-made month of work orders for the report tests (November 2026, office
zone Asia/Shanghai). tests/unit/test_reports_figures.py counts it by hand; the
order names (R0..R9, C1..C5) are the ones its comments use.

Places: 翠湖花园 building 3 (rooms 3-2-1201, 3-2-1202, 3-1-0501), building 5
(5-1-0302); 枫林苑 building 1 (1-1-0101). Each event is (status, office time).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.complaints import Complaint
from models.console import FollowUp, User, WorkOrder, WorkOrderEvent
from models.households import (
    Building, Community, Household, Occupancy, RenovationStatus, Room, Unit,
)

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)
TIERS_RESOLVE_DAYS = {"major": 10, "important": 3, "minor": 2}


def at(text: str) -> dt.datetime:
    """'2026-11-10 09:00' on the office clock."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZONE)


def _households(session: Session) -> dict[str, int]:
    rooms = {}
    for code, name, buildings in (("CH", "翠湖花园", {"3": [("2", "1201"), ("2", "1202"),
                                                          ("1", "0501")],
                                                    "5": [("1", "0302")]}),
                                  ("FL", "枫林苑", {"1": [("1", "0101")]})):
        community = Community(code=code, name=name)
        session.add(community)
        session.flush()
        for building_number, flats in buildings.items():
            building = Building(number=building_number, community=community)
            session.add(building)
            units = {}
            for unit_number, room_number in flats:
                if unit_number not in units:
                    units[unit_number] = Unit(number=unit_number, building=building)
                    session.add(units[unit_number])
                unit = units[unit_number]
                room_code = f"{building_number}-{unit_number}-{room_number}"
                household = Household(number=f"{code}{room_code}", community_id=community.id,
                                      occupancy=Occupancy.OWNER_OCCUPIED,
                                      renovation_status=RenovationStatus.COMPLETED)
                session.add(Room(unit=unit, number=room_number, code=room_code,
                                 floor_area=Decimal("88.00"), household=household))
                session.flush()
                rooms[room_code] = household.id
    return rooms


class _Orders:
    def __init__(self, session: Session, user: User, rooms: dict[str, int]):
        self.session, self.user, self.rooms, self.ids = session, user, rooms, {}

    def add(self, name: str, kind: str, category: str, call: str, events, *,
            room: Optional[str], department: Optional[str], status: str,
            tier: Optional[str] = None, attempts=(), effective: bool = True,
            respondent: Optional[str] = None, result: str = "") -> None:
        call_at = at(call)
        order = WorkOrder(
            idempotency_token=f"report-{name}", kind=kind, category=category,
            description=f"{name} {category}", complaint_tier=tier, department=department,
            status=status, household_id=self.rooms[room] if room else None,
            created_by_id=self.user.id, created_at=call_at, call_at=call_at,
            resolve_due_at=(call_at + dt.timedelta(days=TIERS_RESOLVE_DAYS[tier])
                            if tier else None))
        order.events.append(WorkOrderEvent(user_id=self.user.id, at=call_at, from_status=None,
                                           to_status="new"))
        previous = "new"
        for to_status, when in events:
            moment = at(when)
            order.events.append(WorkOrderEvent(user_id=self.user.id, at=moment,
                                               from_status=previous, to_status=to_status))
            if to_status == "dispatched" and order.dispatched_at is None:
                order.dispatched_at = moment
                order.call_to_dispatch_s = int((moment - call_at).total_seconds())
            if to_status == "done":
                order.done_at = moment
            previous = to_status
        # A note in the history (from == to) must not count as a step.
        order.events.append(WorkOrderEvent(user_id=self.user.id, at=call_at, from_status="new",
                                           to_status="new", note="register updated"))
        for number, (result_code, score, when) in enumerate(attempts, start=1):
            moment = at(when)
            order.follow_ups.append(FollowUp(
                created_at=moment, target_at=moment, due_at=moment, rule="other_repair_2d",
                result=result_code, satisfaction=score, attempt=number,
                called_at=None if result_code == "pending" else moment))
        self.session.add(order)
        self.session.flush()
        if kind == "complaint":
            self.session.add(Complaint(work_order_id=order.id, effective=effective,
                                       respondent_department=respondent, result=result))
        self.ids[name] = order.id


def seed_november(session: Session) -> dict[str, int]:
    """The month; returns {order name: id}."""
    user = User(username="report-agent", password_hash="x", role="agent")
    session.add(user)
    session.flush()
    o = _Orders(session, user, _households(session))
    full = lambda d, i, n: [("dispatched", d), ("in_progress", i), ("done", n)]  # noqa: E731
    # Repairs.
    o.add("R_old", "repair", "plumbing", "2026-08-20 10:00",
          full("2026-08-20 10:05", "2026-08-20 11:00", "2026-08-20 12:00"),
          room="3-2-1201", department="engineering", status="followed_up",
          attempts=[("reached", 5, "2026-08-21 10:00")])
    o.add("R0", "repair", "plumbing", "2026-10-31 23:50",
          full("2026-10-31 23:52", "2026-11-01 00:30", "2026-11-01 01:00"),
          room="3-2-1201", department="engineering", status="followed_up",
          attempts=[("reached", 5, "2026-11-01 10:00")])
    o.add("R1", "repair", "plumbing", "2026-11-02 09:00",
          full("2026-11-02 09:02", "2026-11-02 10:00", "2026-11-02 11:30"),
          room="3-2-1201", department="engineering", status="followed_up",
          attempts=[("reached", 5, "2026-11-02 16:00")])
    o.add("R2", "repair", "plumbing", "2026-11-09 08:00",
          full("2026-11-09 08:10", "2026-11-09 09:00", "2026-11-09 12:00"),
          room="3-2-1201", department="engineering", status="followed_up",
          attempts=[("reached", 4, "2026-11-10 09:30")])
    o.add("R3", "repair", "plumbing", "2026-11-25 19:00",
          full("2026-11-25 19:01", "2026-11-25 20:00", "2026-11-25 21:00"),
          room="3-2-1201", department="engineering", status="done",
          attempts=[("pending", None, "2026-11-25 21:00")])
    o.add("R4", "repair", "elevator", "2026-11-05 10:00",
          full("2026-11-05 10:03", "2026-11-05 11:00", "2026-11-05 15:00"),
          room="3-2-1202", department="engineering", status="followed_up",
          attempts=[("reached", 5, "2026-11-06 10:00")])
    o.add("R5", "repair", "elevator", "2026-11-18 09:00",
          full("2026-11-18 09:05", "2026-11-18 10:00", "2026-11-18 12:00"),
          room="3-1-0501", department="engineering", status="done",
          attempts=[("unreachable", None, "2026-11-19 10:00")])
    o.add("R6", "repair", "elevator", "2026-11-28 14:00", [("dispatched", "2026-11-28 14:02")],
          room="3-2-1202", department="engineering", status="dispatched")
    o.add("R7", "repair", "leak", "2026-11-12 09:00",
          full("2026-11-12 09:04", "2026-11-12 14:00", "2026-11-13 10:00")
          + [("in_progress", "2026-11-14 09:00"), ("done", "2026-11-14 17:00")],
          room="5-1-0302", department="engineering", status="followed_up",
          attempts=[("reached", 1, "2026-11-13 16:00"), ("reached", 4, "2026-11-15 10:00")])
    o.add("R8", "repair", "other", "2026-11-30 23:30", [("dispatched", "2026-11-30 23:40")],
          room=None, department="cleaning_greening", status="dispatched")
    o.add("R9", "repair", "plumbing", "2026-12-01 00:10", [("dispatched", "2026-12-01 00:12")],
          room="3-2-1201", department="engineering", status="dispatched")
    # Complaints.
    o.add("C1", "complaint", "noise", "2026-11-10 09:00",
          full("2026-11-10 09:02", "2026-11-10 10:00", "2026-11-11 09:00"),
          room="3-2-1201", department="security", status="followed_up", tier="minor",
          respondent="security", result="已劝导", attempts=[("reached", 5, "2026-11-11 15:00")])
    o.add("C2", "complaint", "service", "2026-11-12 14:00",
          full("2026-11-12 14:05", "2026-11-12 14:30", "2026-11-16 10:00"),
          room="5-1-0302", department="cleaning_greening", status="followed_up",
          tier="important", respondent="service_centre",
          attempts=[("unreachable", None, "2026-11-16 15:00"), ("reached", 4, "2026-11-17 09:30")])
    o.add("C3", "complaint", "environment", "2026-11-14 20:00",
          full("2026-11-14 20:02", "2026-11-15 09:00", "2026-11-15 11:00"),
          room="1-1-0101", department="cleaning_greening", status="followed_up", tier="minor",
          effective=False, respondent="cleaning_greening",
          attempts=[("reached", 3, "2026-11-15 16:00")])
    o.add("C4", "complaint", "security", "2026-11-20 10:00",
          full("2026-11-20 10:03", "2026-11-20 11:00", "2026-11-21 18:00")
          + [("in_progress", "2026-11-22 10:00"), ("done", "2026-11-23 12:00")],
          room="3-1-0501", department="security", status="done", tier="major",
          respondent="security",
          attempts=[("reached", 2, "2026-11-22 09:00"), ("pending", None, "2026-11-23 12:00")])
    o.add("C5", "complaint", "noise", "2026-11-27 16:00", [("dispatched", "2026-11-27 16:03")],
          room="3-2-1201", department="security", status="dispatched", tier="minor",
          respondent="security")
    session.commit()
    return o.ids
