"""The supervisor's call list: one office day's calls, filtered and paged, with
what each row shows beside the call (its household, linked work orders, QA score).

Every filter keeps to an index of `calls`: the day is a range on entered_queue_at
(ix_calls_entered_queue_at), agent and queue use their (column, entered_queue_at)
indexes, "not yet scored" an anti-join on qa_scores.callid (indexed), a household
its phones' numbers (ix_calls caller_number) and its work orders (callid, household_id).
Pages are offsets into the day ordered newest first: a day holds a few thousand
calls at most, so the offset stays short.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from agent_console.errors import InvalidCallFilter
from agent_console import softphone_quality
from models.call_quality import CallQuality
from models.calls import CALL_OUTCOMES, Call
from models.console import User, WorkOrder
from models.households import Household, Phone
from models.supervision import QaScore

log = logging.getLogger(__name__)

PAGE_SIZE = 50
# The seeds (004) want every agent's calls scored four to five times a month.
QA_NORM_MIN, QA_NORM_MAX = 4, 5
MAX_DURATION_S = 24 * 3600


@dataclasses.dataclass(frozen=True)
class CallFilter:
    day: dt.date
    agent: Optional[str] = None
    queue: Optional[str] = None
    outcome: Optional[str] = None
    household: Optional[str] = None
    min_talk_s: Optional[int] = None
    max_talk_s: Optional[int] = None
    unscored: bool = False
    page: int = 1


@dataclasses.dataclass(frozen=True)
class CallRow:
    call: Call
    household_number: Optional[str]
    order_ids: list[int]
    best_score: Optional[int]
    agent_name: str
    quality: Optional[CallQuality] = None  # the softphone's audio report, if any


@dataclasses.dataclass(frozen=True)
class CallPage:
    rows: list[CallRow]
    total: int
    page: int
    pages: int


@dataclasses.dataclass(frozen=True)
class AgentQaCount:
    interface: str
    name: str
    scored: int

    @property
    def standing(self) -> str:
        """'below', 'met' or 'above' the 4-5 a month norm (for the cell's colour)."""
        if self.scored < QA_NORM_MIN:
            return "below"
        return "met" if self.scored <= QA_NORM_MAX else "above"


def _seconds(text: str, name: str) -> Optional[int]:
    """'95', '1:35' or '' as seconds; InvalidCallFilter names the field."""
    text = (text or "").strip()
    if not text:
        return None
    minutes, _, seconds = text.rpartition(":")
    if not seconds.isdigit() or (minutes and not minutes.isdigit()) or (
            minutes and int(seconds) > 59):
        raise InvalidCallFilter(name, text)
    value = int(minutes or 0) * 60 + int(seconds)
    if value > MAX_DURATION_S:
        raise InvalidCallFilter(name, text)
    return value


def parse_filter(args, today: dt.date) -> CallFilter:
    """The list's query string as a CallFilter; bad values raise InvalidCallFilter."""
    day_text = (args.get("day") or "").strip()
    try:
        day = dt.date.fromisoformat(day_text) if day_text else today
    except ValueError:
        raise InvalidCallFilter("day", day_text) from None
    outcome = (args.get("outcome") or "").strip() or None
    if outcome is not None and outcome not in CALL_OUTCOMES:
        raise InvalidCallFilter("outcome", outcome)
    page_text = (args.get("page") or "1").strip()
    if not page_text.isdigit() or int(page_text) < 1:
        raise InvalidCallFilter("page", page_text)
    minimum = _seconds(args.get("min_talk", ""), "min_talk")
    maximum = _seconds(args.get("max_talk", ""), "max_talk")
    if minimum is not None and maximum is not None and maximum < minimum:
        raise InvalidCallFilter("max_talk", args.get("max_talk", ""))
    return CallFilter(day=day, agent=(args.get("agent") or "").strip()[:128] or None,
                      queue=(args.get("queue") or "").strip()[:64] or None, outcome=outcome,
                      household=(args.get("household") or "").strip()[:40] or None,
                      min_talk_s=minimum, max_talk_s=maximum,
                      unscored=args.get("unscored") in ("1", "on", "yes"),
                      page=int(page_text))


def day_bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The office day's first instant and the next day's, as UTC."""
    office = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(), office)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), office)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def _household_condition(session: Session, number: str):
    household_id = session.scalar(select(Household.id).where(Household.number == number))
    if household_id is None:
        return None
    numbers = select(Phone.normalized).where(Phone.household_id == household_id)
    ordered = select(WorkOrder.callid).where(WorkOrder.household_id == household_id,
                                             WorkOrder.callid.is_not(None))
    return or_(Call.caller_number.in_(numbers), Call.callid.in_(ordered))


def _conditions(session: Session, wanted: CallFilter, zone: str) -> list:
    start, end = day_bounds(wanted.day, zone)
    conditions = [Call.entered_queue_at >= start, Call.entered_queue_at < end]
    if wanted.agent:
        conditions.append(Call.agent_interface == wanted.agent)
    if wanted.queue:
        conditions.append(Call.queue == wanted.queue)
    if wanted.outcome:
        conditions.append(Call.outcome == wanted.outcome)
    if wanted.min_talk_s is not None:
        conditions.append(Call.talk_s >= wanted.min_talk_s)
    if wanted.max_talk_s is not None:
        conditions.append(Call.talk_s <= wanted.max_talk_s)
    if wanted.unscored:
        conditions.append(Call.agent_interface.is_not(None))
        conditions.append(~exists().where(QaScore.callid == Call.callid))
    if wanted.household:
        household = _household_condition(session, wanted.household)
        if household is None:
            raise InvalidCallFilter("household", wanted.household)
        conditions.append(household)
    return conditions


def find_calls(session: Session, wanted: CallFilter, zone: str,
               page_size: int = PAGE_SIZE) -> CallPage:
    """One page of the day's calls matching `wanted`, newest first."""
    where = and_(*_conditions(session, wanted, zone))
    total = session.scalar(select(func.count()).select_from(Call).where(where))
    pages = max(1, -(-total // page_size))
    page = min(wanted.page, pages)
    calls = session.scalars(select(Call).where(where)
                            .order_by(Call.entered_queue_at.desc(), Call.id.desc())
                            .offset((page - 1) * page_size).limit(page_size)).all()
    return CallPage(_rows(session, calls), total, page, pages)


def _rows(session: Session, calls: list[Call]) -> list[CallRow]:
    callids = [call.callid for call in calls]
    numbers = {call.caller_number for call in calls if call.caller_number}
    orders: dict[str, list[int]] = {}
    order_households: dict[str, int] = {}
    for order_id, callid, household_id in session.execute(
            select(WorkOrder.id, WorkOrder.callid, WorkOrder.household_id)
            .where(WorkOrder.callid.in_(callids)).order_by(WorkOrder.id)):
        orders.setdefault(callid, []).append(order_id)
        if household_id is not None:
            order_households.setdefault(callid, household_id)
    household_of_number = households_by_number(session, numbers)
    household_numbers = dict(session.execute(select(Household.id, Household.number).where(
        Household.id.in_(set(order_households.values())))).all()) if order_households else {}
    scores = dict(session.execute(select(QaScore.callid, func.max(QaScore.total))
                                  .where(QaScore.callid.in_(callids))
                                  .group_by(QaScore.callid)).all()) if callids else {}
    names = agent_names(session)
    quality = softphone_quality.for_calls(session, calls)
    return [CallRow(call=call,
                    household_number=(household_numbers.get(order_households.get(call.callid))
                                      or household_of_number.get(call.caller_number)),
                    order_ids=orders.get(call.callid, []), best_score=scores.get(call.callid),
                    agent_name=names.get(call.agent_interface or "", call.agent_member or ""),
                    quality=quality.get(call.callid))
            for call in calls]


def households_by_number(session: Session, numbers: set[str]) -> dict[str, str]:
    """Caller number -> household number, only for numbers of exactly one household."""
    if not numbers:
        return {}
    found: dict[str, set[str]] = {}
    for normalized, household_number in session.execute(
            select(Phone.normalized, Household.number)
            .join(Household, Household.id == Phone.household_id)
            .where(Phone.normalized.in_(numbers))):
        found.setdefault(normalized, set()).add(household_number)
    return {number: next(iter(households)) for number, households in found.items()
            if len(households) == 1}


def agent_names(session: Session) -> dict[str, str]:
    """Phone interface -> the console user's display name (agents and supervisors)."""
    return {interface: name or username for interface, name, username in session.execute(
        select(User.phone_interface, User.display_name, User.username)
        .where(User.phone_interface.is_not(None)))}


def qa_counts(session: Session, scored: dict[str, int]) -> list[AgentQaCount]:
    """Every agent with a phone, and anyone else scored this month, by name."""
    agents = {interface: name or username for interface, name, username in session.execute(
        select(User.phone_interface, User.display_name, User.username)
        .where(User.role == "agent", User.phone_interface.is_not(None)))}
    for interface in scored:
        agents.setdefault(interface, agent_names(session).get(interface, interface))
    return sorted((AgentQaCount(interface, name, scored.get(interface, 0))
                   for interface, name in agents.items()), key=lambda c: (c.name, c.interface))
