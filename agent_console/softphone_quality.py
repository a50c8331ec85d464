"""The softphone's audio report (issue 17.3): the page posts one summary of its
getStats() samples when a call ends; here it is checked and kept (CallQuality),
and read back for the supervisor's call list beside the recording."""
from __future__ import annotations

import dataclasses
import re
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.call_quality import CallQuality
from models.calls import Call

CALLID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
MAX_PACKETS = 10**9
MAX_MS = 600_000.0


class BadQualityReport(ValueError):
    """A report field is missing or out of range; `field` names it."""

    def __init__(self, field: str):
        super().__init__(f"bad {field}")
        self.field = field


@dataclasses.dataclass(frozen=True)
class QualityReport:
    callid: str
    samples: int
    packets_received: int
    packets_lost: int
    packets_sent: int
    codec: str
    jitter_ms_mean: Optional[float]
    jitter_ms_max: Optional[float]
    rtt_ms_mean: Optional[float]

    @classmethod
    def from_form(cls, form) -> "QualityReport":
        callid = (form.get("callid") or "").strip()
        if not CALLID.match(callid):
            raise BadQualityReport("callid")
        codec = (form.get("codec") or "").strip()
        if len(codec) > 40 or not re.fullmatch(r"[0-9A-Za-z/._-]*", codec):
            raise BadQualityReport("codec")
        return cls(callid=callid, samples=_count(form, "samples"),
                   packets_received=_count(form, "packets_received"),
                   packets_lost=_count(form, "packets_lost"),
                   packets_sent=_count(form, "packets_sent"), codec=codec,
                   jitter_ms_mean=_ms(form, "jitter_ms_mean"),
                   jitter_ms_max=_ms(form, "jitter_ms_max"), rtt_ms_mean=_ms(form, "rtt_ms_mean"))


def _count(form, name: str) -> int:
    text = (form.get(name) or "").strip()
    if not text.isdigit() or int(text) > MAX_PACKETS:
        raise BadQualityReport(name)
    return int(text)


def _ms(form, name: str) -> Optional[float]:
    text = (form.get(name) or "").strip()
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadQualityReport(name) from None
    if not 0.0 <= value <= MAX_MS:  # also refuses nan and inf
        raise BadQualityReport(name)
    return value


def keep(session: Session, report: QualityReport, user_id: int, interface: str) -> CallQuality:
    """Store the report; a second one for the same call and user replaces the first
    (the page sends again after a retried call end)."""
    row = session.scalar(select(CallQuality).where(CallQuality.callid == report.callid,
                                                   CallQuality.user_id == user_id))
    if row is None:
        row = CallQuality(callid=report.callid, user_id=user_id)
        session.add(row)
    for field in dataclasses.fields(report):
        if field.name != "callid":
            setattr(row, field.name, getattr(report, field.name))
    row.interface, row.reported_at = interface, utcnow()
    session.commit()
    return row


def for_calls(session: Session, calls: list[Call]) -> dict[str, CallQuality]:
    """callid -> the report of the phone that took the call (its agent's or, after a
    transfer, the receiver's); reports from any other phone are ignored."""
    phones = {call.callid: {call.agent_interface, call.transfer_interface} - {None, ""}
              for call in calls}
    if not phones:
        return {}
    found: dict[str, CallQuality] = {}
    for row in session.scalars(select(CallQuality).where(CallQuality.callid.in_(phones))
                               .order_by(CallQuality.id)):
        if row.interface in phones[row.callid]:
            found.setdefault(row.callid, row)
    return found
