"""A month of believable work orders for `hotline demo-data`, so the reports (and
the work-order, follow-up and complaint pages) have something to show.

Over the 30 office days ending `as_of`: about 8 repairs, 2 complaints and 3
enquiries a day, called mostly in office hours (some at night), dispatched in 1-4
minutes (now and then later than the 3-minute rule), the engineer there within
20 minutes to 2 hours, the work 30 minutes to 4 hours; each finished repair and
complaint followed up within a day: most residents reached and satisfied, some
unreachable at the first try, a few unhappy and the order reopened for rework.
Orders of the last two days may still be open. A few rooms and one building get
the same fault again and again (the monthly report's recurring problems).

Rows are written directly (with the deadlines workflow.deadlines computes),
not through the console's services, so no notification is raised for the past.
Deterministic for a seed; the caller commits.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import deadlines
from models.complaints import Complaint
from models.console import FollowUp, User, WorkOrder, WorkOrderEvent, system_user
from models.households import Building, Room, Unit

log = logging.getLogger(__name__)

DAYS = 30
DESK_USER = "demo-desk"
REPAIR_CATEGORIES = (("plumbing", 30), ("electrical", 22), ("leak", 12), ("doors_windows", 14),
                     ("elevator", 6), ("public_area", 10), ("safety_facility", 4), ("other", 2))
COMPLAINT_CATEGORIES = (("noise", 30), ("environment", 22), ("service", 16), ("management", 14),
                        ("security", 12), ("fees", 6))
COMPLAINT_DEPARTMENT = {"noise": "security", "environment": "cleaning_greening",
                        "service": "service_centre", "management": "service_centre",
                        "security": "security", "fees": "finance"}
DISPATCH_TO = {"environment": "cleaning_greening", "noise": "security", "security": "security",
               "fees": "finance", "service": "engineering", "management": "engineering"}
TIERS = (("minor", 72), ("important", 24), ("major", 4))
SCORES = ((5, 56), (4, 30), (3, 8), (2, 4), (1, 2))
REPAIR_TEXT = {"plumbing": "厨房水龙头漏水", "electrical": "卧室插座没电", "leak": "卫生间楼板渗水",
               "doors_windows": "入户门锁芯损坏", "elevator": "电梯按钮失灵",
               "public_area": "楼道灯不亮", "safety_facility": "消防栓箱门脱落", "other": "信报箱损坏"}
COMPLAINT_TEXT = {"noise": "楼上夜间装修噪音", "environment": "垃圾桶未及时清运",
                  "service": "前台回复态度生硬", "management": "车位管理混乱",
                  "security": "陌生人随意进入小区", "fees": "物业费账单有误"}


@dataclasses.dataclass
class DemoOrders:
    orders: int = 0
    complaints: int = 0
    follow_ups: int = 0
    reopened: int = 0


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


def _desk_user(session: Session) -> User:
    return system_user(session, DESK_USER, "演示坐席")


def _rooms(session: Session, community_id: int) -> list[tuple[int, str, int]]:
    """(household id, room code, building id) of the community's lived-in rooms."""
    return list(session.execute(
        select(Room.household_id, Room.code, Building.id).join(Unit, Unit.id == Room.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Building.community_id == community_id, Room.household_id.is_not(None))
        .order_by(Room.id)).all())


class _Maker:
    def __init__(self, session: Session, rng: random.Random, user: User, zone: ZoneInfo,
                 now: dt.datetime):
        self.session, self.rng, self.user, self.zone, self.now = session, rng, user, zone, now
        self.result = DemoOrders()

    def _call_time(self, day: dt.date) -> dt.datetime:
        # Most calls 08:00-21:00; one in ten in the night shift.
        hour = self.rng.randint(0, 6) if self.rng.random() < 0.1 else self.rng.randint(8, 20)
        local = dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59)), tzinfo=self.zone)
        return local.astimezone(dt.timezone.utc)

    def _event(self, order: WorkOrder, at: dt.datetime, from_status, to_status, note="") -> None:
        order.events.append(WorkOrderEvent(user_id=self.user.id, at=at, from_status=from_status,
                                           to_status=to_status, note=note))

    def order(self, kind: str, category: str, day: dt.date, room, *, tier=None) -> None:
        call_at = self._call_time(day)
        if call_at > self.now:
            return
        due = deadlines.order_deadlines(kind, call_at, tier, tz=self.zone)
        household_id, code, _building = room
        order = WorkOrder(
            idempotency_token=f"demo-{self.rng.getrandbits(64):016x}", kind=kind,
            category=category, address=code, household_id=household_id,
            description=(REPAIR_TEXT.get(category) or COMPLAINT_TEXT.get(category)
                         or "咨询物业服务"), contact_name="业主",
            complaint_tier=tier, created_by_id=self.user.id, created_at=call_at,
            call_at=call_at, dispatch_due_at=due.dispatch_due_at, escalate_to=due.escalate_to,
            escalate_due_at=due.escalate_due_at, answer_due_at=due.answer_due_at,
            resolve_due_at=due.resolve_due_at, status="new")
        self._event(order, call_at, None, "new")
        self.session.add(order)
        self.result.orders += 1
        if kind == "enquiry":
            order.status, order.closed_at = "closed", call_at + dt.timedelta(minutes=4)
            self._event(order, order.closed_at, "new", "closed", "answered on the call")
            return
        department = (DISPATCH_TO.get(category, "engineering") if kind == "complaint"
                      else "engineering" if category != "public_area" else "cleaning_greening")
        self._work(order, call_at, department)
        if kind == "complaint":
            self._complaint(order, category)

    def _work(self, order: WorkOrder, call_at: dt.datetime, department: str) -> None:
        rng = self.rng
        late = rng.random() < 0.12
        dispatched = call_at + dt.timedelta(seconds=rng.randint(240, 1200) if late
                                            else rng.randint(40, 175))
        arrived = dispatched + dt.timedelta(minutes=rng.randint(20, 120))
        # A complaint takes hours, one in five days (past a minor's 2 days); a repair hours.
        if order.kind == "complaint":
            hours = rng.randint(2, 30) if rng.random() < 0.8 else rng.randint(30, 90)
            done = arrived + dt.timedelta(hours=hours)
        else:
            done = arrived + dt.timedelta(minutes=rng.randint(30, 240))
        steps = [("dispatched", dispatched), ("in_progress", arrived), ("done", done)]
        status = "new"
        for to_status, at in steps:
            if at > self.now:
                break
            self._event(order, at, status, to_status)
            status = to_status
        order.status = status
        if status != "new":
            order.department, order.dispatched_at = department, dispatched
            order.call_to_dispatch_s = int((dispatched - call_at).total_seconds())
        if status == "done":
            order.done_at = done
            self._follow_up(order, done)

    def _follow_up(self, order: WorkOrder, done: dt.datetime) -> None:
        rng = self.rng
        due = deadlines.follow_up_due(order.kind, order.category, done)
        attempt_at = done + dt.timedelta(hours=rng.randint(2, 20))
        attempt = 1
        while True:
            follow_up = FollowUp(created_at=done, target_at=due.target_at, due_at=due.due_at,
                                 rule=due.rule, attempt=attempt,
                                 offered_at=None if attempt == 1 else attempt_at)
            order.follow_ups.append(follow_up)
            self.result.follow_ups += 1
            if attempt_at > self.now:
                return  # not called yet
            follow_up.called_at, follow_up.called_by_id = attempt_at, self.user.id
            if attempt == 1 and rng.random() < 0.02:
                follow_up.result = "refused"
                return
            if attempt == 1 and rng.random() < 0.12:
                follow_up.result = "unreachable"
                attempt, attempt_at = 2, attempt_at + dt.timedelta(hours=rng.randint(4, 20))
                continue
            score = _weighted(rng, SCORES)
            follow_up.result, follow_up.satisfaction = "reached", score
            follow_up.problem_solved = score > 2
            if score <= 2 and order.kind == "repair" or score == 1:
                self._rework(order, attempt_at)
                return
            order.status = "followed_up"
            self._event(order, attempt_at, "done", "followed_up")
            return

    def _rework(self, order: WorkOrder, reopened_at: dt.datetime) -> None:
        self.result.reopened += 1
        self._event(order, reopened_at, "done", "in_progress", "reopened after follow-up")
        order.status = "in_progress"
        done = reopened_at + dt.timedelta(hours=self.rng.randint(2, 24))
        if done > self.now:
            return
        self._event(order, done, "in_progress", "done", "rework done")
        order.status, order.done_at = "done", done
        due = deadlines.follow_up_due(order.kind, order.category, done)
        called = done + dt.timedelta(hours=self.rng.randint(2, 20))
        follow_up = FollowUp(created_at=done, target_at=due.target_at, due_at=due.due_at,
                             rule=due.rule, attempt=1)
        order.follow_ups.append(follow_up)
        self.result.follow_ups += 1
        if called <= self.now:
            follow_up.result, follow_up.satisfaction, follow_up.problem_solved = (
                "reached", self.rng.choice((4, 5)), True)
            follow_up.called_at, follow_up.called_by_id = called, self.user.id
            order.status = "followed_up"
            self._event(order, called, "done", "followed_up")

    def _complaint(self, order: WorkOrder, category: str) -> None:
        self.session.flush()
        effective = self.rng.random() < 0.85
        done = order.done_at if order.status in ("done", "followed_up") else None
        self.session.add(Complaint(
            work_order_id=order.id, effective=effective, occurred_at=order.call_at,
            location=order.address, respondent_department=COMPLAINT_DEPARTMENT[category],
            resident_request="尽快处理并回复",
            escalation="acknowledged" if order.escalate_to else "none",
            escalated_at=order.call_at if order.escalate_to else None,
            answered_at=(order.call_at + dt.timedelta(hours=20)
                         if order.answer_due_at and order.call_at + dt.timedelta(hours=20)
                         <= self.now else None),
            result="已处理并向业主说明" if done else "", result_known_at=done,
            resident_told_at=done + dt.timedelta(hours=1) if done else None,
            resident_told_by="phone" if done else None))
        self.result.complaints += 1


def make_demo_orders(session: Session, community_id: int, *, as_of: dt.date, time_zone: str,
                     seed: int = 1, now: Optional[dt.datetime] = None) -> DemoOrders:
    """Insert a month of orders for the community's households (the caller commits)."""
    rng = random.Random(seed)
    zone = ZoneInfo(time_zone)
    rooms = _rooms(session, community_id)
    if not rooms:
        return DemoOrders()
    # The day's orders up to 18:00, or up to now if that is earlier: none in the future.
    now = now or min(dt.datetime.combine(as_of, dt.time(18, 0), tzinfo=zone),
                     dt.datetime.now(zone)).astimezone(dt.timezone.utc)
    maker = _Maker(session, rng, _desk_user(session), zone, now)
    first = as_of - dt.timedelta(days=DAYS - 1)
    # Trouble spots: rooms whose pipes keep failing, one building whose lift does.
    hot_rooms = rng.sample(rooms, min(3, len(rooms)))
    hot_building = rng.choice(rooms)[2]
    building_rooms = [room for room in rooms if room[2] == hot_building]
    for offset in range(DAYS):
        day = first + dt.timedelta(days=offset)
        for _ in range(rng.randint(5, 11)):
            maker.order("repair", _weighted(rng, REPAIR_CATEGORIES), day, rng.choice(rooms))
        for _ in range(rng.randint(0, 4)):
            maker.order("complaint", _weighted(rng, COMPLAINT_CATEGORIES), day, rng.choice(rooms),
                        tier=_weighted(rng, TIERS))
        for _ in range(rng.randint(1, 5)):
            maker.order("enquiry", "other", day, rng.choice(rooms))
        if offset % 9 == 2:
            for room in hot_rooms:
                maker.order("repair", "plumbing", day, room)
        if offset % 8 == 4:
            maker.order("repair", "elevator", day, rng.choice(building_rooms))
    log.info("demo orders: %s", maker.result)
    return maker.result
