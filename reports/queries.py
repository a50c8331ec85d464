"""The database side of the reports: work orders with their status events, the
complaint register, follow-up attempts and the room each household lives in,
read in a handful of set queries (no query per order) on SQLite and PostgreSQL.

The times come from the status events (models.console.WorkOrderEvent):
dispatch is the first event into `dispatched`, arrival the first move from
`dispatched` to `in_progress` (the engineer on site: the centre records it
when the department reports it; the department's own accept step, migration
0009, is not relied on here), completion the first event into `done`. A later
`done -> in_progress` is a reopening for rework.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.complaints import Complaint
from models.console import FollowUp, WorkOrder, WorkOrderEvent
from models.households import Building, Community, Room, Unit

log = logging.getLogger(__name__)

# An order in one of these states is complete as it stands now.
COMPLETE_STATUSES = frozenset({"done", "followed_up", "closed"})


@dataclasses.dataclass(frozen=True)
class Attempt:
    result: str
    satisfaction: Optional[int]
    called_at: Optional[dt.datetime]


@dataclasses.dataclass(frozen=True)
class Place:
    community: str
    room: str          # Room.code, building-unit-room
    building: str      # Building.number
    building_id: int


@dataclasses.dataclass
class OrderFacts:
    """One order as the reports see it."""
    order_id: int
    kind: str
    category: str
    tier: Optional[str]
    department: str                # where it was dispatched ("" if not)
    call_at: dt.datetime
    status: str
    done_at: Optional[dt.datetime]     # the latest completion (the order's column)
    resolve_due_at: Optional[dt.datetime]
    summary: str
    place: Optional[Place] = None
    # The complaint register (complaints only; an order without a row counts as effective).
    effective: bool = True
    respondent_department: str = ""
    result: str = ""
    resident_told_at: Optional[dt.datetime] = None
    # From the status events.
    dispatched_at: Optional[dt.datetime] = None
    arrived_at: Optional[dt.datetime] = None
    first_done_at: Optional[dt.datetime] = None
    reopened: bool = False
    attempts: list[Attempt] = dataclasses.field(default_factory=list)

    @property
    def resolved_at(self) -> Optional[dt.datetime]:
        """When it was completed, if it is complete now (a reopened order is not)."""
        return self.done_at if self.status in COMPLETE_STATUSES else None


def load_orders(session: Session, kinds: Iterable[str], by: str, start: dt.datetime,
                end: dt.datetime) -> list[OrderFacts]:
    """Orders of `kinds` whose `by` column (call_at or done_at) lies in [start, end)."""
    column = {"call_at": WorkOrder.call_at, "done_at": WorkOrder.done_at}[by]
    where = (WorkOrder.kind.in_(sorted(kinds)), column >= start, column < end)
    facts = {row.id: OrderFacts(
        order_id=row.id, kind=row.kind, category=row.category or "other",
        tier=row.complaint_tier, department=row.department or "", call_at=row.call_at,
        status=row.status, done_at=row.done_at, resolve_due_at=row.resolve_due_at,
        summary=row.description)
        for row in session.scalars(select(WorkOrder).where(*where).order_by(WorkOrder.call_at,
                                                                            WorkOrder.id))}
    if not facts:
        return []
    chosen = select(WorkOrder.id).where(*where)
    _add_events(session, facts, chosen)
    _add_complaints(session, facts, chosen)
    _add_attempts(session, facts, chosen)
    _add_places(session, facts, select(WorkOrder.id, WorkOrder.household_id).where(*where))
    log.debug("%d orders of %s by %s in [%s, %s)", len(facts), sorted(kinds), by, start, end)
    return list(facts.values())


def _add_events(session: Session, facts: dict, chosen) -> None:
    rows = session.execute(
        select(WorkOrderEvent.work_order_id, WorkOrderEvent.at, WorkOrderEvent.from_status,
               WorkOrderEvent.to_status)
        .where(WorkOrderEvent.work_order_id.in_(chosen))
        .order_by(WorkOrderEvent.at, WorkOrderEvent.id))
    for order_id, at, from_status, to_status in rows:
        fact = facts[order_id]
        if from_status == to_status:
            continue  # a note in the history, not a step
        if to_status == "dispatched" and fact.dispatched_at is None:
            fact.dispatched_at = at
        elif (to_status == "in_progress" and from_status == "dispatched"
              and fact.arrived_at is None):
            fact.arrived_at = at
        elif to_status == "done" and fact.first_done_at is None:
            fact.first_done_at = at
        elif to_status == "in_progress" and from_status == "done":
            fact.reopened = True


def _add_complaints(session: Session, facts: dict, chosen) -> None:
    for row in session.scalars(select(Complaint).where(Complaint.work_order_id.in_(chosen))):
        fact = facts[row.work_order_id]
        fact.effective = bool(row.effective)
        fact.respondent_department = row.respondent_department or ""
        fact.result = row.result or ""
        fact.resident_told_at = row.resident_told_at


def _add_attempts(session: Session, facts: dict, chosen) -> None:
    rows = session.execute(
        select(FollowUp.work_order_id, FollowUp.result, FollowUp.satisfaction,
               FollowUp.called_at)
        .where(FollowUp.work_order_id.in_(chosen)).order_by(FollowUp.id))
    for order_id, result, satisfaction, called_at in rows:
        facts[order_id].attempts.append(Attempt(result, satisfaction, called_at))


def _add_places(session: Session, facts: dict, chosen_households) -> None:
    households: dict[int, list[int]] = {}
    for order_id, household_id in session.execute(chosen_households):
        if household_id is not None:
            households.setdefault(household_id, []).append(order_id)
    if not households:
        return
    household_ids = select(chosen_households.subquery().c.household_id)
    rows = session.execute(
        select(Room.household_id, Room.code, Building.number, Building.id, Community.name)
        .join(Unit, Unit.id == Room.unit_id).join(Building, Building.id == Unit.building_id)
        .join(Community, Community.id == Building.community_id)
        .where(Room.household_id.in_(household_ids)).order_by(Room.id))
    for household_id, code, building, building_id, community in rows:
        for order_id in households.get(household_id, ()):
            # A household with two flats: its first room (lowest id) stands for it.
            if facts[order_id].place is None:
                facts[order_id].place = Place(community, code, building, building_id)
