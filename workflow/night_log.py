"""The night duty log and the morning handover (seed 004 值班制度): the night shift
logs what it took in; in the morning each entry still open becomes an order or
is closed with a reason, so nothing the night heard is left with nobody.

The night is the office's 17:30 to 08:30 (the seeds' night duty); the calls of
the last night not yet logged are offered to the log.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import orders as service
from models.calls import Call
from models.console import User, WorkOrder
from models.night_log import REASON_MAX_CHARS, SUMMARY_MAX_CHARS, NightLogEntry
from workflow import intake
from workflow.errors import WorkflowError

NIGHT_STARTS = dt.time(17, 30)
NIGHT_ENDS = dt.time(8, 30)
ORDER_KINDS_FROM_LOG = ("repair", "enquiry", "fee", "other")


@dataclasses.dataclass(frozen=True)
class EntryInput:
    summary: str
    urgent: bool = False
    callid: str | None = None
    caller_number: str = ""
    household_id: int | None = None


def last_night(now: dt.datetime, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The most recent night (17:30 to 08:30 office time) that has begun, in UTC."""
    local = now.astimezone(zone)
    start_day = local.date() if local.time() >= NIGHT_STARTS else local.date() - dt.timedelta(days=1)
    start = dt.datetime.combine(start_day, NIGHT_STARTS, zone)
    end = dt.datetime.combine(start_day + dt.timedelta(days=1), NIGHT_ENDS, zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def unlogged_night_calls(session: Session, now: dt.datetime, zone: dt.tzinfo) -> list[Call]:
    start, end = last_night(now, zone)
    logged = select(NightLogEntry.callid).where(NightLogEntry.callid.is_not(None))
    return list(session.scalars(
        select(Call).where(Call.entered_queue_at >= start, Call.entered_queue_at < min(end, now),
                           Call.callid.not_in(logged)).order_by(Call.entered_queue_at)))


def log_entry(session: Session, user: User, entry: EntryInput, now: dt.datetime) -> NightLogEntry:
    summary = entry.summary.strip()
    if not summary:
        raise WorkflowError("say what happened")
    if len(summary) > SUMMARY_MAX_CHARS:
        raise WorkflowError("the summary is too long")
    row = NightLogEntry(logged_at=now, logged_by_id=user.id, callid=entry.callid or None,
                        caller_number=entry.caller_number[:40], household_id=entry.household_id,
                        summary=summary, urgent=entry.urgent, closed_reason="")
    session.add(row)
    session.flush()
    return row


def open_entries(session: Session) -> list[NightLogEntry]:
    """Entries not yet turned into an order or closed, oldest first."""
    return list(session.scalars(select(NightLogEntry).where(NightLogEntry.disposition.is_(None))
                                .order_by(NightLogEntry.logged_at, NightLogEntry.id)))


def _still_open(entry: NightLogEntry) -> None:
    if entry.disposition is not None:
        raise WorkflowError("this entry was already handed over")


def write_what_was_heard(entry: NightLogEntry, text: str) -> None:
    """An entry the line wrote has no summary: the morning shift writes what the
    voicemail or the duty worker said before it becomes an order."""
    _still_open(entry)
    text = text.strip()
    if len(text) > SUMMARY_MAX_CHARS:
        raise WorkflowError("the summary is too long")
    if text:
        entry.summary = text


def turn_into_order(session: Session, entry: NightLogEntry, user: User, kind: str, now: dt.datetime,
                    office_zone: dt.tzinfo) -> WorkOrder:
    """The entry becomes a new order (the night's call and household linked)."""
    _still_open(entry)
    if not entry.summary.strip():
        raise WorkflowError("say what happened")
    if kind not in ORDER_KINDS_FROM_LOG:
        raise WorkflowError("choose what kind of order")
    data = service.OrderInput(kind=kind, description=entry.summary, contact_phone=entry.caller_number,
                              callid=entry.callid, household_id=entry.household_id,
                              call_at=entry.logged_at)
    order, _ = intake.register(session, user, data, intake.Intake(channel="phone"),
                               f"night-log-{entry.id}-{secrets.token_hex(4)}", now,
                               office_zone=office_zone)
    entry.disposition, entry.work_order_id = "order", order.id
    entry.disposed_by_id, entry.disposed_at = user.id, now
    return order


def close_entry(session: Session, entry: NightLogEntry, user: User, reason: str,
                now: dt.datetime) -> NightLogEntry:
    _still_open(entry)
    reason = reason.strip()
    if not reason:
        raise WorkflowError("say why no order is needed")
    if len(reason) > REASON_MAX_CHARS:
        raise WorkflowError("the reason is too long")
    entry.disposition, entry.closed_reason = "closed", reason
    entry.disposed_by_id, entry.disposed_at = user.id, now
    return entry
