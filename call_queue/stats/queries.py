"""The statistics' SQL: one statement per source table, every measure in SQL.

Each function returns {level: [row, ...]} for the requested levels (bucket,
total, queue, agent; see `rollup`), a row being {"key": ..., measure:
value}. Rates and averages are computed by the database from summed parts
(NULL when there is nothing to divide by). A source that has no queue or no
agent (IVR sessions, say) gives no rows at that level.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Float, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from call_queue.stats import line_queries, sql as sq
from call_queue.stats.rollup import LEVELS, rollup
from models.callbacks import lost_call_condition, recovered_condition
from models.calls import Call, RingAttempt
from models.console import FollowUp, User, WorkOrder
from models.ivr import IvrSession
from models.supervision import AgentStateSpan, QaScore

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
    zone: str = "UTC"  # the office's time zone: buckets are its days and hours
    host: Optional[str] = None  # one Asterisk host's calls only (`hotline stats verify --host`)

    def bucket(self, dialect: str, column):
        offset = sq.zone_offset(self.zone, self.start, self.end) if dialect == "sqlite" else 0
        return sq.bucket_expr(dialect, column, self.by, self.zone, offset)


def _if(condition, value=1):
    return case((condition, value), else_=0)


def _bucket(session: Session, period: Period, column):
    return period.bucket(session.get_bind().dialect.name, column)


def call_measures(session: Session, period: Period, settings,
                  levels: tuple[str, ...] = LEVELS, callids: Optional[set] = None) -> dict:
    sl, short = settings.service_level_s, settings.short_abandon_s
    wait = func.coalesce(Call.wait_s, 0)
    answered = Call.answered_at.is_not(None)
    abandoned = and_(Call.outcome == "abandoned", wait > short)
    unanswered = and_(Call.answered_at.is_(None), Call.outcome.is_not(None))
    waited_answered = and_(answered, wait > func.coalesce(Call.ring_s, 0))
    additive = {
        "n": _if(True), "short": _if(and_(Call.outcome == "abandoned", wait <= short)),
        "answered": _if(answered), "abandoned": _if(abandoned),
        "other_exits": _if(Call.outcome.in_(OTHER_EXITS)),
        "in_sl": _if(and_(answered, wait <= sl)), "unanswered": _if(unanswered),
        "unanswered_in_sl": _if(and_(unanswered, wait <= sl)),
        "wait_answered": _if(answered, wait), "waited_answered": _if(waited_answered),
        "wait_waited": _if(waited_answered, wait), "wait_abandoned": _if(abandoned, wait),
        "waited": _if(or_(waited_answered, and_(~answered, wait > 0))),
        "rings": _if(and_(answered, Call.rings.is_not(None)), Call.rings),
        "rings_n": _if(and_(answered, Call.rings.is_not(None))),
        "within_3": _if(and_(answered, Call.rings <= 3)),
        "ring_s": _if(and_(answered, Call.ring_s.is_not(None)), Call.ring_s),
        "ring_n": _if(and_(answered, Call.ring_s.is_not(None))),
        "talk": _if(and_(answered, Call.talk_s.is_not(None)), Call.talk_s),
        "talk_n": _if(and_(answered, Call.talk_s.is_not(None))),
        "hold": _if(answered, func.coalesce(Call.hold_s, 0)),
        "wrap": _if(and_(answered, Call.wrapup_s.is_not(None)), Call.wrapup_s),
        "wrap_n": _if(and_(answered, Call.wrapup_s.is_not(None))),
        "handle": _if(and_(answered, Call.talk_s.is_not(None)),
                      Call.talk_s + func.coalesce(Call.wrapup_s, 0)),
        "transferred": _if(or_(Call.outcome == "transferred", Call.hung_up_by == "transfer")),
        "lost": _if(lost_call_condition(short)),
        "lost_recovered": _if(and_(lost_call_condition(short), recovered_condition())),
    }

    def measures(S):
        offered = S("n") - S("short")
        return {
            "received": S("n"), "offered": offered, "answered": S("answered"),
            "abandoned": S("abandoned"), "short_abandoned": S("short"),
            "unanswered_other": S("other_exits"), "answered_in_sl": S("in_sl"),
            "answered_rate": sq.ratio(S("answered"), offered),
            "abandon_rate": sq.ratio(S("abandoned"), offered),
            "service_level": sq.ratio(S("in_sl"), offered),
            "asterisk_sl": sq.ratio(S("in_sl"), S("answered")),
            "asterisk_sl2": sq.ratio(S("in_sl") + S("unanswered_in_sl"),
                                     S("answered") + S("unanswered")),
            "asa_s": sq.ratio(S("wait_answered"), S("answered")),
            "avg_queue_s": sq.ratio(S("wait_waited"), S("waited_answered")),
            "avg_abandon_s": sq.ratio(S("wait_abandoned"), S("abandoned")),
            "avg_rings": sq.ratio(S("rings"), S("rings_n")),
            "within_3_rings_rate": sq.ratio(S("within_3"), S("answered")),
            "avg_ring_s": sq.ratio(S("ring_s"), S("ring_n")),
            "avg_talk_s": sq.ratio(S("talk"), S("talk_n")),
            "avg_hold_s": sq.ratio(S("hold"), S("answered")),
            "avg_wrapup_s": sq.ratio(S("wrap"), S("wrap_n")),
            "avg_handle_s": sq.ratio(S("handle"), S("talk_n")),
            "transfer_rate": sq.ratio(S("transferred"), S("answered")),
            "queue_placement_rate": sq.ratio(S("waited"), S("n")),
            "lost": S("lost"), "lost_recovered": S("lost_recovered"),
            "recovery_rate": sq.ratio(S("lost_recovered"), S("lost")),
        }

    where = [Call.entered_queue_at >= period.start, Call.entered_queue_at < period.end]
    if period.queue:
        where.append(Call.queue == period.queue)
    if period.agent:
        where.append(Call.agent_interface == period.agent)
    if period.host:
        where.append(Call.host == period.host)
    if callids is not None:
        where.append(Call.callid.in_(sorted(callids)))
    keys = {"bucket": _bucket(session, period, Call.entered_queue_at), "queue": Call.queue,
            "agent": Call.agent_interface, "host": Call.host}
    rows = rollup(session, keys, additive, where, measures, levels)
    if "agent" in rows:  # unanswered calls have no agent: not an agent's row
        rows["agent"] = [row for row in rows["agent"] if row["key"] is not None]
    return rows


def ring_measures(session: Session, period: Period, levels=LEVELS) -> dict:
    """Ring attempts an agent let go unanswered (RINGNOANSWER)."""
    where = [RingAttempt.started_at >= period.start, RingAttempt.started_at < period.end]
    if period.agent:
        where.append(RingAttempt.interface == period.agent)
    if period.queue:
        where.append(RingAttempt.callid.in_(select(Call.callid).where(Call.queue == period.queue)))
    keys = {"bucket": _bucket(session, period, RingAttempt.started_at),
            "agent": RingAttempt.interface}
    return rollup(session, keys, {"no_answer": _if(RingAttempt.outcome == "no_answer"),
                                  "attempts": _if(True)}, where,
                  lambda S: {"ring_no_answer": S("no_answer"), "ring_attempts": S("attempts")},
                  levels)


def agent_time_measures(session: Session, period: Period, levels=LEVELS) -> dict:
    """Occupancy and logged-in seconds from agent state spans, clipped to the period."""
    dialect = session.get_bind().dialect.name
    start = sq.greatest(dialect, AgentStateSpan.started_at, period.start)
    end = sq.least(dialect, func.coalesce(AgentStateSpan.ended_at, period.end), period.end)
    seconds = sq.greatest(dialect, sq.seconds_between(dialect, start, end), 0.0)
    additive = {"talk": case((AgentStateSpan.state.in_(TALKING_STATES), seconds), else_=0.0),
                "idle": case((AgentStateSpan.state.in_(IDLE_STATES), seconds), else_=0.0),
                "logged_in": case((AgentStateSpan.state.not_in(LOGGED_OUT_STATES), seconds),
                                  else_=0.0)}
    # Spans are split at UTC midnight when written (call_queue.agent_time), so none
    # started more than a day before the period: the lower bound keeps the index range short.
    where = [AgentStateSpan.started_at < period.end,
             AgentStateSpan.started_at >= period.start - dt.timedelta(days=1),
             or_(AgentStateSpan.ended_at.is_(None), AgentStateSpan.ended_at > period.start)]
    if period.agent:
        where.append(AgentStateSpan.interface == period.agent)
    # A span that began before the period counts from the period's start, in its bucket.
    keys = {"bucket": period.bucket(dialect, start),
            "agent": AgentStateSpan.interface}
    return rollup(session, keys, additive, where,
                  lambda S: {"occupancy": sq.ratio(S("talk"), S("talk") + S("idle")),
                             "logged_in_s": S("logged_in")}, levels)


def _orders_source(session: Session, period: Period, settings):
    """The period's work orders with their agent and the same household's next order
    of the same kind (LEAD over one sorted pass, not a lookup per order)."""
    window = dt.timedelta(days=settings.fcr_window_days)
    next_at = func.lead(WorkOrder.call_at).over(
        partition_by=(WorkOrder.household_id, WorkOrder.kind),
        order_by=(WorkOrder.call_at, WorkOrder.id))
    where = [WorkOrder.call_at >= period.start, WorkOrder.call_at < period.end + window]
    if period.queue:
        where.append(WorkOrder.callid.in_(select(Call.callid).where(Call.queue == period.queue)))
    if period.agent:
        where.append(User.phone_interface == period.agent)
    return (select(WorkOrder.id, WorkOrder.kind, WorkOrder.household_id, WorkOrder.call_at,
                   WorkOrder.call_to_dispatch_s, WorkOrder.resolve_due_at, WorkOrder.done_at,
                   User.phone_interface.label("agent"), next_at.label("next_at"))
            .select_from(WorkOrder.__table__.outerjoin(User.__table__,
                                                       User.id == WorkOrder.created_by_id))
            .where(*where).subquery("orders"))


def order_measures(session: Session, period: Period, settings, levels=LEVELS) -> dict:
    orders = _orders_source(session, period, settings)
    dialect = session.get_bind().dialect.name
    window_s = dt.timedelta(days=settings.fcr_window_days).total_seconds()
    repeated = and_(orders.c.next_at.is_not(None),
                    sq.seconds_between(dialect, orders.c.call_at, orders.c.next_at) <= window_s)
    with_household = orders.c.household_id.is_not(None)
    repair = orders.c.kind == "repair"
    judged = and_(orders.c.kind == "complaint", orders.c.resolve_due_at.is_not(None),
                  or_(orders.c.done_at.is_not(None), orders.c.resolve_due_at < period.end))
    additive = {
        "orders": _if(True), "with_household": _if(with_household),
        "first_call": _if(and_(with_household, ~repeated)), "repairs": _if(repair),
        "dispatched_3min": _if(and_(repair, orders.c.call_to_dispatch_s <= 180)),
        "judged": _if(judged),
        "met": _if(and_(judged, orders.c.done_at <= orders.c.resolve_due_at)),
    }
    keys = {"bucket": _bucket(session, period, orders.c.call_at), "agent": orders.c.agent}
    where = [orders.c.call_at < period.end]  # later orders only told us about repeats
    return rollup(session, keys, additive, where, lambda S: {
        "orders": S("orders"), "fcr_rate": sq.ratio(S("first_call"), S("with_household")),
        "dispatch_3min_rate": sq.ratio(S("dispatched_3min"), S("repairs")),
        "complaint_deadline_rate": sq.ratio(S("met"), S("judged"))}, levels)


def follow_up_measures(session: Session, period: Period, levels=LEVELS) -> dict:
    owed = or_(FollowUp.due_at < period.end, FollowUp.called_at.is_not(None))
    scored = FollowUp.satisfaction.is_not(None)
    additive = {"owed": _if(owed), "reached": _if(and_(owed, FollowUp.result == "reached")),
                "scored": _if(scored), "satisfied": _if(and_(scored, FollowUp.satisfaction >= 4))}
    keys = {"bucket": _bucket(session, period, WorkOrder.call_at), "agent": User.phone_interface}
    # One follow-up owed per order: its latest attempt says how it stands (a resident
    # reached at the second try is followed up; each unreachable try is not one more owed).
    latest = select(func.max(FollowUp.id)).group_by(FollowUp.work_order_id)
    where = [WorkOrder.call_at >= period.start, WorkOrder.call_at < period.end,
             FollowUp.id.in_(latest)]
    if period.queue:
        where.append(WorkOrder.callid.in_(select(Call.callid).where(Call.queue == period.queue)))
    if period.agent:
        where.append(User.phone_interface == period.agent)
    source = (WorkOrder.__table__
              .outerjoin(User.__table__, User.id == WorkOrder.created_by_id)
              .join(FollowUp.__table__, FollowUp.work_order_id == WorkOrder.id))
    return rollup(session, keys, additive, where, lambda S: {
        "follow_up_rate": sq.ratio(S("reached"), S("owed")),
        "satisfaction_rate": sq.ratio(S("satisfied"), S("scored"))}, levels, from_clause=source)


def qa_measures(session: Session, period: Period, levels=LEVELS) -> dict:
    where = [QaScore.scored_at >= period.start, QaScore.scored_at < period.end]
    if period.agent:
        where.append(QaScore.agent_interface == period.agent)
    keys = {"bucket": _bucket(session, period, QaScore.scored_at),
            "agent": QaScore.agent_interface}
    return rollup(session, keys, {"n": _if(True), "total": cast(QaScore.total, Float)}, where,
                  lambda S: {"qa_scored": S("n"), "qa_avg_total": sq.ratio(S("total"), S("n"))},
                  levels)


def ivr_measures(session: Session, period: Period, levels=LEVELS) -> dict:
    """IVR containment: sessions that ended self-served, without an agent."""
    if period.agent or period.queue:
        return {}
    finished = IvrSession.outcome != "in_progress"
    where = [IvrSession.started_at >= period.start, IvrSession.started_at < period.end]
    keys = {"bucket": _bucket(session, period, IvrSession.started_at)}
    return rollup(session, keys, {"finished": _if(finished),
                                  "contained": _if(IvrSession.outcome == "self_served")}, where,
                  lambda S: {"ivr_sessions": S("finished"),
                             "ivr_containment_rate": sq.ratio(S("contained"), S("finished"))},
                  levels)


SOURCES = (
    lambda session, period, settings, levels: call_measures(session, period, settings, levels),
    lambda session, period, settings, levels: ring_measures(session, period, levels),
    lambda session, period, settings, levels: agent_time_measures(session, period, levels),
    lambda session, period, settings, levels: order_measures(session, period, settings, levels),
    lambda session, period, settings, levels: follow_up_measures(session, period, levels),
    lambda session, period, settings, levels: qa_measures(session, period, levels),
    lambda session, period, settings, levels: ivr_measures(session, period, levels),
    # queue_log's own figures (call_queue.line_import copies them into the database).
    lambda session, period, settings, levels: line_queries.blocked_measures(session, period,
                                                                            levels),
    lambda session, period, settings, levels: line_queries.estimate_measures(session, period,
                                                                             levels),
    lambda session, period, settings, levels: line_queries.callback_measures(
        session, period, settings.callback_offer_s, levels),
)
