"""The statistics' SQL: one GROUP BY query per source table, every measure in SQL.

Each function takes the period, the grouping (a list of (name, expression)
pairs: the bucket, the queue or the agent, or none for the total) and returns
plain dicts keyed by measure. Rates and averages are computed by the database
(NULL when there is nothing to divide by).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Float, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from call_queue import stats_sql as sq
from models.calls import Call, RingAttempt
from models.console import FollowUp, User, WorkOrder
from models.supervision import AgentStateSpan, QaScore

ANSWERED_OUTCOMES = ("answered", "transferred")
OTHER_EXITS = ("timeout", "exit_empty", "exit_key")
TALKING_STATES = ("talking", "on_hold")
IDLE_STATES = ("idle", "ringing")
LOGGED_OUT_STATES = ("unavailable",)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    by: str
    queue: Optional[str] = None
    agent: Optional[str] = None


def _count_if(condition):
    # COALESCE: SUM over no rows is NULL, and an empty period has 0 calls, not "unknown".
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _avg_if(value, condition):
    return func.avg(case((condition, cast(value, Float)), else_=None))


def _group(session: Session, period: Period, group: str, column, agent_column=None):
    """(label, expression) for the grouping: 'bucket', 'queue', 'agent' or 'total'."""
    dialect = session.get_bind().dialect.name
    if group == "bucket":
        return sq.bucket_expr(dialect, column, period.by)
    if group == "queue":
        return Call.queue
    if group == "agent":
        return agent_column
    return None


def _rows(session: Session, columns: dict, key, where) -> list[dict]:
    selected = [expr.label(name) for name, expr in columns.items()]
    query = select(*([key.label("key")] if key is not None else []), *selected).where(*where)
    if key is not None:
        query = query.group_by(key).order_by(key)
    return [dict(row._mapping) for row in session.execute(query)]


def call_measures(session: Session, period: Period, settings, group: str,
                  callids: Optional[set] = None) -> list[dict]:
    sl, short = settings.service_level_s, settings.short_abandon_s
    wait = func.coalesce(Call.wait_s, 0)
    answered = Call.answered_at.is_not(None)
    short_abandon = and_(Call.outcome == "abandoned", wait <= short)
    abandoned = and_(Call.outcome == "abandoned", wait > short)
    unanswered = and_(Call.answered_at.is_(None), Call.outcome.is_not(None))
    waited = or_(and_(answered, wait > func.coalesce(Call.ring_s, 0)),
                 and_(~answered, wait > 0))
    received = func.count()
    offered = received - _count_if(short_abandon)
    n_answered = _count_if(answered)
    answered_in_sl = _count_if(and_(answered, wait <= sl))
    columns = {
        "received": received,
        "offered": offered,
        "answered": n_answered,
        "abandoned": _count_if(abandoned),
        "short_abandoned": _count_if(short_abandon),
        "unanswered_other": _count_if(Call.outcome.in_(OTHER_EXITS)),
        "answered_in_sl": answered_in_sl,
        "answered_rate": sq.ratio(n_answered, offered),
        "abandon_rate": sq.ratio(_count_if(abandoned), offered),
        "service_level": sq.ratio(answered_in_sl, offered),
        "asterisk_sl": sq.ratio(answered_in_sl, n_answered),
        "asterisk_sl2": sq.ratio(
            answered_in_sl + _count_if(and_(unanswered, wait <= sl)),
            n_answered + _count_if(unanswered)),
        "asa_s": sq.ratio(func.sum(case((answered, wait), else_=0)), n_answered),
        "avg_queue_s": _avg_if(wait, and_(answered, waited)),
        "avg_abandon_s": _avg_if(wait, abandoned),
        "avg_rings": _avg_if(Call.rings, answered),
        "within_3_rings_rate": sq.ratio(_count_if(and_(answered, Call.rings <= 3)), n_answered),
        "avg_ring_s": _avg_if(Call.ring_s, answered),
        "avg_talk_s": _avg_if(Call.talk_s, answered),
        "avg_hold_s": _avg_if(func.coalesce(Call.hold_s, 0), answered),
        "avg_wrapup_s": _avg_if(Call.wrapup_s, and_(answered, Call.wrapup_s.is_not(None))),
        "avg_handle_s": _avg_if(Call.talk_s + func.coalesce(Call.wrapup_s, 0),
                                and_(answered, Call.talk_s.is_not(None))),
        "transfer_rate": sq.ratio(_count_if(or_(Call.outcome == "transferred",
                                                Call.hung_up_by == "transfer")), n_answered),
        "queue_placement_rate": sq.ratio(_count_if(waited), received),
        "talk_hold_s": func.sum(case((answered, func.coalesce(Call.talk_s, 0)
                                      + func.coalesce(Call.hold_s, 0)), else_=0)),
    }
    where = [Call.entered_queue_at >= period.start, Call.entered_queue_at < period.end]
    if period.queue:
        where.append(Call.queue == period.queue)
    if period.agent:
        where.append(Call.agent_interface == period.agent)
    if callids is not None:
        where.append(Call.callid.in_(sorted(callids)))
    key = _group(session, period, group, Call.entered_queue_at, Call.agent_interface)
    if group == "agent":
        where.append(Call.agent_interface.is_not(None))
    return _rows(session, columns, key, where)


def ring_measures(session: Session, period: Period, group: str) -> list[dict]:
    """Ring attempts an agent let go unanswered (RINGNOANSWER), per bucket or agent."""
    columns = {"ring_no_answer": _count_if(RingAttempt.outcome == "no_answer"),
               "ring_attempts": func.count()}
    where = [RingAttempt.started_at >= period.start, RingAttempt.started_at < period.end]
    if period.agent:
        where.append(RingAttempt.interface == period.agent)
    if period.queue:
        where.append(RingAttempt.callid.in_(
            select(Call.callid).where(Call.queue == period.queue)))
    if group == "queue":
        return []
    key = _group(session, period, group, RingAttempt.started_at, RingAttempt.interface)
    return _rows(session, columns, key, where)


def agent_time_measures(session: Session, period: Period, group: str) -> list[dict]:
    """Occupancy and logged-in hours from agent state spans, clipped to the period."""
    if group == "queue":
        return []
    dialect = session.get_bind().dialect.name
    start = sq.greatest(dialect, AgentStateSpan.started_at, period.start)
    end = sq.least(dialect, func.coalesce(AgentStateSpan.ended_at, period.end), period.end)
    seconds = sq.greatest(dialect, sq.seconds_between(dialect, start, end), 0.0)
    talk = func.sum(case((AgentStateSpan.state.in_(TALKING_STATES), seconds), else_=0.0))
    idle = func.sum(case((AgentStateSpan.state.in_(IDLE_STATES), seconds), else_=0.0))
    logged_in = func.sum(case((AgentStateSpan.state.not_in(LOGGED_OUT_STATES), seconds),
                              else_=0.0))
    columns = {"occupancy": sq.ratio(talk, talk + idle), "logged_in_s": logged_in}
    # Spans are split at UTC midnight when written (call_queue.agent_time), so none
    # started more than a day before the period: the lower bound keeps the index range short.
    where = [AgentStateSpan.started_at < period.end,
             AgentStateSpan.started_at >= period.start - dt.timedelta(days=1),
             or_(AgentStateSpan.ended_at.is_(None), AgentStateSpan.ended_at > period.start)]
    if period.agent:
        where.append(AgentStateSpan.interface == period.agent)
    # A span that began before the period counts from the period's start, in its bucket.
    key = _group(session, period, group, start, AgentStateSpan.interface)
    return _rows(session, columns, key, where)


def _order_filters(period: Period) -> list:
    where = [WorkOrder.call_at >= period.start, WorkOrder.call_at < period.end]
    if period.queue:
        where.append(WorkOrder.callid.in_(select(Call.callid).where(Call.queue == period.queue)))
    if period.agent:
        where.append(WorkOrder.created_by_id.in_(
            select(User.id).where(User.phone_interface == period.agent)))
    return where


def _agent_of_order():
    return (select(User.phone_interface).where(User.id == WorkOrder.created_by_id)
            .scalar_subquery())


def order_measures(session: Session, period: Period, settings, group: str) -> list[dict]:
    if group == "queue":
        return []
    later = aliased(WorkOrder)
    window = dt.timedelta(days=settings.fcr_window_days)
    dialect = session.get_bind().dialect.name
    repeat = exists().where(
        later.household_id == WorkOrder.household_id, later.kind == WorkOrder.kind,
        later.id != WorkOrder.id, later.call_at > WorkOrder.call_at,
        sq.seconds_between(dialect, WorkOrder.call_at, later.call_at) <= window.total_seconds())
    with_household = WorkOrder.household_id.is_not(None)
    repair = WorkOrder.kind == "repair"
    complaint_judged = and_(WorkOrder.kind == "complaint", WorkOrder.resolve_due_at.is_not(None),
                            or_(WorkOrder.done_at.is_not(None),
                                WorkOrder.resolve_due_at < period.end))
    columns = {
        "orders": func.count(),
        "fcr_rate": sq.ratio(_count_if(and_(with_household, ~repeat)),
                             _count_if(with_household)),
        "dispatch_3min_rate": sq.ratio(
            _count_if(and_(repair, WorkOrder.call_to_dispatch_s <= 180)), _count_if(repair)),
        "complaint_deadline_rate": sq.ratio(
            _count_if(and_(complaint_judged, WorkOrder.done_at <= WorkOrder.resolve_due_at)),
            _count_if(complaint_judged)),
    }
    key = _group(session, period, group, WorkOrder.call_at, _agent_of_order())
    return _rows(session, columns, key, _order_filters(period))


def follow_up_measures(session: Session, period: Period, group: str) -> list[dict]:
    if group == "queue":
        return []
    owed = or_(FollowUp.due_at < period.end, FollowUp.called_at.is_not(None))
    scored = FollowUp.satisfaction.is_not(None)
    columns = {
        "follow_up_rate": sq.ratio(_count_if(and_(owed, FollowUp.result == "reached")),
                                   _count_if(owed)),
        "satisfaction_rate": sq.ratio(_count_if(and_(scored, FollowUp.satisfaction >= 4)),
                                      _count_if(scored)),
    }
    where = [FollowUp.work_order_id == WorkOrder.id, *_order_filters(period)]
    key = _group(session, period, group, WorkOrder.call_at, _agent_of_order())
    query_rows = _rows(session, columns, key, where)
    return query_rows


def qa_measures(session: Session, period: Period, group: str) -> list[dict]:
    if group == "queue":
        return []
    columns = {"qa_scored": func.count(), "qa_avg_total": func.avg(cast(QaScore.total, Float))}
    where = [QaScore.scored_at >= period.start, QaScore.scored_at < period.end]
    if period.agent:
        where.append(QaScore.agent_interface == period.agent)
    key = _group(session, period, group, QaScore.scored_at, QaScore.agent_interface)
    return _rows(session, columns, key, where)


def ivr_measures(session: Session, period: Period, group: str) -> list[dict]:
    """IVR containment: sessions that ended self-served, without an agent."""
    if group in ("queue", "agent") or period.agent or period.queue:
        return []
    from models.ivr import IvrSession

    finished = IvrSession.outcome != "in_progress"
    columns = {"ivr_sessions": _count_if(finished),
               "ivr_containment_rate": sq.ratio(_count_if(IvrSession.outcome == "self_served"),
                                                _count_if(finished))}
    where = [IvrSession.started_at >= period.start, IvrSession.started_at < period.end]
    key = _group(session, period, group, IvrSession.started_at)
    return _rows(session, columns, key, where)
