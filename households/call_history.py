"""The 来电 tab: a household's earlier calls with outcome, agent, duration, the
wrap-up (reason, summary) and whether a recording exists.

A call belongs to the household when its caller number is one of the household's
phones, when an agent linked it by hand (call_household_links) or when its
wrap-up was saved with the household. Read on demand, not in the screen-pop.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from households.screen_pop import _call_number_forms
from models.calls import Call
from models.households import Phone
from models.wrapup import CallHouseholdLink, CallWrapup

HISTORY_CALLS = 20


@dataclasses.dataclass(frozen=True)
class HistoryCall:
    callid: str
    caller_number: str | None
    entered_queue_at: dt.datetime | None
    outcome: str | None
    agent: str | None
    agent_interface: str | None
    talk_s: int | None
    wait_s: int | None
    has_recording: bool
    linked_by_hand: bool
    reason: str | None
    summary: str | None


def household_calls(session: Session, household_id: int,
                    limit: int = HISTORY_CALLS) -> list[HistoryCall]:
    keys = list(session.scalars(select(Phone.normalized)
                                .where(Phone.household_id == household_id)))
    linked = select(CallHouseholdLink.callid).where(
        CallHouseholdLink.household_id == household_id)
    wrapped = select(CallWrapup.callid).where(CallWrapup.household_id == household_id)
    belongs = [Call.callid.in_(linked), Call.callid.in_(wrapped)]
    if keys:
        belongs.append(Call.caller_number.in_(_call_number_forms(keys)))
    rows = session.execute(
        select(Call, CallWrapup.reason, CallWrapup.summary, CallHouseholdLink.household_id)
        .outerjoin(CallWrapup, CallWrapup.callid == Call.callid)
        .outerjoin(CallHouseholdLink, CallHouseholdLink.callid == Call.callid)
        .where(or_(*belongs))
        .order_by(Call.entered_queue_at.desc(), Call.id.desc())
        .limit(limit)).all()
    return [HistoryCall(
        callid=call.callid, caller_number=call.caller_number_raw,
        entered_queue_at=call.entered_queue_at, outcome=call.outcome,
        agent=call.agent_member, agent_interface=call.agent_interface, talk_s=call.talk_s,
        wait_s=call.wait_s, has_recording=bool(call.recording_path),
        linked_by_hand=link_household == household_id, reason=reason, summary=summary)
        for call, reason, summary, link_household in rows]


def calls_to_link(session: Session, interface: str | None, limit: int = 10) -> list[Call]:
    """Recent answered calls an agent may link to a household: those on their own
    phone (interface), or any call for a supervisor (interface None)."""
    query = select(Call).where(Call.answered_at.is_not(None))
    if interface is not None:
        query = query.where(Call.agent_interface == interface)
    return list(session.scalars(query.order_by(Call.answered_at.desc()).limit(limit)))
