"""The cashier's worklist: residents who asked the fee IVR for a call-back
(models.ivr.IvrCallbackRequest, written by telephony/ivr), oldest first, and what
the cashier did about each: calls placed (models.cashier.IvrCallbackCall), done
with a note. No Flask here: the rules are tested on both databases.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cashier import IvrCallbackCall
from models.console import User
from models.households import Household, Person, PersonRole, Room
from models.ivr import IvrCallbackRequest
from workflow.errors import WorkflowError

NOTE_MAX_CHARS = 500
WORKLIST_MAX = 200


@dataclasses.dataclass(frozen=True)
class CallbackItem:
    request: IvrCallbackRequest
    household_number: Optional[str]
    room: Optional[str]
    owner: Optional[str]
    calls: int
    last_call_at: Optional[dt.datetime]
    last_call_placed: Optional[bool]

    @property
    def told_total_due(self) -> Optional[Decimal]:
        fen = self.request.total_due_fen
        return None if fen is None else Decimal(fen) / 100


def open_requests(session: Session) -> list[CallbackItem]:
    """Open requests, the longest waiting first (a request is answered in turn)."""
    requests = list(session.scalars(
        select(IvrCallbackRequest).where(IvrCallbackRequest.status == "open")
        .order_by(IvrCallbackRequest.created_at, IvrCallbackRequest.id).limit(WORKLIST_MAX)))
    ids = [request.id for request in requests]
    households = {r.household_id for r in requests if r.household_id is not None}
    numbers = dict(session.execute(select(Household.id, Household.number)
                                   .where(Household.id.in_(households))).all())
    rooms: dict[int, str] = {}
    for household_id, code in session.execute(
            select(Room.household_id, Room.code).where(Room.household_id.in_(households))
            .order_by(Room.id.desc())):
        rooms[household_id] = code
    owners: dict[int, str] = {}
    for household_id, name in session.execute(
            select(Person.household_id, Person.name).where(
                Person.household_id.in_(households), Person.role == PersonRole.OWNER)
            .order_by(Person.id.desc())):
        owners[household_id] = name
    calls: dict[int, list[IvrCallbackCall]] = {}
    for call in session.scalars(select(IvrCallbackCall).where(
            IvrCallbackCall.request_id.in_(ids)).order_by(IvrCallbackCall.id)):
        calls.setdefault(call.request_id, []).append(call)
    items = []
    for request in requests:
        made = calls.get(request.id, [])
        items.append(CallbackItem(
            request, numbers.get(request.household_id), rooms.get(request.household_id),
            owners.get(request.household_id), len(made),
            made[-1].placed_at if made else None, made[-1].placed if made else None))
    return items


def open_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IvrCallbackRequest)
                          .where(IvrCallbackRequest.status == "open"))


def open_request(session: Session, request_id: int) -> IvrCallbackRequest:
    request = session.get(IvrCallbackRequest, request_id)
    if request is None or request.status != "open":
        raise WorkflowError("request not open")
    return request


def place_call(session: Session, request: IvrCallbackRequest, user: User,
               now: dt.datetime) -> IvrCallbackCall:
    """The call, before the cashier's phone rings; one the telephone system then
    refuses is marked not placed by the caller of this function."""
    if not request.callback_number:
        raise WorkflowError("no number to call back")
    call = IvrCallbackCall(request_id=request.id, user_id=user.id,
                           number=request.callback_number, placed_at=now, placed=True)
    session.add(call)
    session.flush()
    return call


def mark_done(session: Session, request: IvrCallbackRequest, user: User, note: str,
              now: dt.datetime) -> IvrCallbackRequest:
    text = (note or "").strip()
    if not text:
        raise WorkflowError("say what was done")
    if len(text) > NOTE_MAX_CHARS:
        raise WorkflowError("note too long")
    request.status, request.note, request.done_at = "done", text, now
    request.done_by = user.username[:64]
    return request
