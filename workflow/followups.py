"""Follow-ups that never dead-end (issue 15 item 4).

An unreachable resident is called again at the next half-day slot (09:00 or 14:00
office time) of a half-day other than the attempt's, up to MAX_ATTEMPTS attempts;
after the last one the supervisor is notified and the order is listed as needing
the supervisor. A reached but unhappy resident (satisfaction at most
UNHAPPY_AT_MOST, or the problem not solved) reopens the order: done -> in_progress
with a status event, and the order is followed up again once it is done again.

One FollowUp row per attempt; the view passes the session, the user, `now` and
the office zone (settings.office_timezone, read at the entry point).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import orders as service
from models.console import FollowUp, User, WorkOrder, WorkOrderEvent
from notifications.service import Audience, notify
from workflow.errors import StepRefused

log = logging.getLogger(__name__)

SLOTS = (dt.time(9, 0), dt.time(14, 0))
NOON = dt.time(12, 0)
MAX_ATTEMPTS = 3
UNHAPPY_AT_MOST = 2
REOPEN_STATUS = "in_progress"
RESULTS = ("reached", "unreachable", "refused")


def _half_day(moment: dt.datetime) -> tuple[dt.date, bool]:
    return moment.date(), moment.time() >= NOON


def next_attempt_at(attempted_at: dt.datetime, office_zone: dt.tzinfo) -> dt.datetime:
    """The first 09:00 or 14:00 (office time) after the attempt on another half-day.

    Morning is before 12:00. An attempt at 08:00 is retried at 14:00, not at 09:00 of
    the same morning; one at 13:00 at 09:00 the next day. Weekends are normal days
    (the code has no holiday calendar). Returns an aware datetime in UTC."""
    if attempted_at.tzinfo is None:
        raise ValueError("next_attempt_at needs an aware datetime")
    local = attempted_at.astimezone(office_zone)
    attempt_half = _half_day(local)
    day = local.date()
    for offset in range(3):
        for slot in SLOTS:
            candidate = dt.datetime.combine(day + dt.timedelta(days=offset), slot,
                                            tzinfo=office_zone)
            if candidate > local and _half_day(candidate) != attempt_half:
                return candidate.astimezone(dt.timezone.utc)
    raise AssertionError("a slot exists within three days")  # pragma: no cover


def is_unhappy(satisfaction: Optional[int], problem_solved: Optional[bool]) -> bool:
    """A reached resident who is dissatisfied or says the problem is not solved."""
    return problem_solved is False or (satisfaction is not None
                                       and satisfaction <= UNHAPPY_AT_MOST)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What recording an attempt led to."""
    follow_up: FollowUp
    next_attempt: Optional[FollowUp] = None
    needs_supervisor: bool = False
    reopened: bool = False


def record_attempt(
    session: Session, follow_up: FollowUp, user: User, result: str,
    satisfaction: Optional[int], problem_solved: Optional[bool], notes: str,
    now: dt.datetime, *, office_zone: dt.tzinfo,
) -> Outcome:
    """Store one attempt's result and take the next step; commits."""
    if follow_up.result != "pending":
        raise StepRefused(f"follow-up {follow_up.id} was already recorded")
    if result not in RESULTS:
        raise StepRefused(f"unknown follow-up result {result!r}")
    if follow_up.offered_at is not None and now < follow_up.offered_at:
        # Three tries in one sitting would not be three half-days.
        raise StepRefused(f"follow-up {follow_up.id} is offered from "
                          f"{follow_up.offered_at.isoformat()}, not yet")
    if result == "reached" and is_unhappy(satisfaction, problem_solved):
        return _reopen(session, follow_up, user, satisfaction, problem_solved, notes, now)
    service.record_follow_up(session, follow_up, user, result, satisfaction, notes, now)
    if result == "reached":
        follow_up.problem_solved = problem_solved
        session.commit()
        return Outcome(follow_up)
    if result == "unreachable":
        return _after_unreachable(session, follow_up, now, office_zone)
    return Outcome(follow_up)


def _reopen(session: Session, follow_up: FollowUp, user: User, satisfaction: Optional[int],
            problem_solved: Optional[bool], notes: str, now: dt.datetime) -> Outcome:
    if satisfaction not in (1, 2, 3, 4, 5):
        raise StepRefused("satisfaction must be 1 to 5 when the resident was reached")
    order = follow_up.work_order
    if order.status != "done":
        raise StepRefused(f"work order {order.id} is {order.status}, not done")
    follow_up.result = "reached"
    follow_up.satisfaction = satisfaction
    follow_up.problem_solved = problem_solved
    follow_up.notes = notes
    follow_up.called_at = now
    follow_up.called_by_id = user.id
    why = "reopened after follow-up"
    why += f" (satisfaction {satisfaction}" + (", not solved)" if problem_solved is False else ")")
    note = f"{why}: {notes}" if notes else why
    session.add(WorkOrderEvent(work_order_id=order.id, user_id=user.id, at=now,
                               from_status=order.status, to_status=REOPEN_STATUS,
                               note=note[:500]))
    order.status = REOPEN_STATUS
    session.commit()
    log.info("work order %s reopened by %s after follow-up %s", order.id, user.username,
             follow_up.id)
    return Outcome(follow_up, reopened=True)


def _after_unreachable(session: Session, follow_up: FollowUp, now: dt.datetime,
                       office_zone: dt.tzinfo) -> Outcome:
    order = follow_up.work_order
    if follow_up.attempt >= MAX_ATTEMPTS:
        notify(session, kind="follow_up_needs_supervisor", audience=Audience(roles=("supervisor",)),
               params={"order": f"#{order.id}", "attempts": str(follow_up.attempt)},
               link="/follow-ups", now=now)
        session.commit()
        log.info("work order %s: %d follow-up attempts unreachable, supervisor notified",
                 order.id, follow_up.attempt)
        return Outcome(follow_up, needs_supervisor=True)
    offered = next_attempt_at(now, office_zone)
    retry = FollowUp(work_order_id=order.id, created_at=now, target_at=offered,
                     due_at=max(follow_up.due_at, offered), rule=follow_up.rule,
                     attempt=follow_up.attempt + 1, offered_at=offered)
    session.add(retry)
    session.commit()
    return Outcome(follow_up, next_attempt=retry)


@dataclasses.dataclass(frozen=True)
class SupervisorItem:
    """An order whose last follow-up round ended unreachable MAX_ATTEMPTS times."""
    follow_up: FollowUp
    order: WorkOrder


def needing_supervisor(session: Session) -> list[SupervisorItem]:
    """Done orders whose latest attempt is the last one and unreachable."""
    latest = (select(FollowUp.work_order_id, FollowUp.id)
              .order_by(FollowUp.work_order_id, FollowUp.id.desc()))
    seen: set[int] = set()
    latest_ids: list[int] = []
    for order_id, follow_up_id in session.execute(latest):
        if order_id not in seen:
            seen.add(order_id)
            latest_ids.append(follow_up_id)
    if not latest_ids:
        return []
    rows = session.scalars(select(FollowUp).join(WorkOrder).where(
        FollowUp.id.in_(latest_ids), FollowUp.result == "unreachable",
        FollowUp.attempt >= MAX_ATTEMPTS, WorkOrder.status == "done")
        .order_by(FollowUp.called_at)).all()
    return [SupervisorItem(row, row.work_order) for row in rows]


def give_another_round(session: Session, follow_up: FollowUp, user: User,
                       now: dt.datetime) -> FollowUp:
    """The supervisor puts an order that needs them back on the list (attempt 1 again)."""
    if user.role not in service.MANAGING_ROLES:
        raise StepRefused(f"{user.username} may not retry follow-up {follow_up.id}")
    if follow_up.result != "unreachable" or follow_up.attempt < MAX_ATTEMPTS:
        raise StepRefused(f"follow-up {follow_up.id} does not need the supervisor")
    retry = FollowUp(work_order_id=follow_up.work_order_id, created_at=now, target_at=now,
                     due_at=now, rule=follow_up.rule, attempt=1, offered_at=now,
                     notes="")
    session.add(retry)
    session.commit()
    return retry
