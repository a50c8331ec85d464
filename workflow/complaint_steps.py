"""The complaint register's steps after intake (seed 004), each stored with who and
when: the register's fields edited, a major complaint's clear answer, the result
known, the resident told (the same day); an enquiry's reply; an online message
accepted. No Flask: views and tests pass the session, the user and `now`."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models.complaints import RESPONDENT_DEPARTMENTS, TOLD_BY, Complaint, EnquiryCallback
from models.console import User, WorkOrder, WorkOrderEvent
from workflow.errors import BadIntake, StepRefused
from workflow.intake import ComplaintFields
from workflow.rules import DISPATCH_AFTER_ACCEPT_WITHIN

# Text limits are the columns' (models.complaints): checked here, so PostgreSQL
# never refuses a commit and SQLite never stores an over-long text.
LIMITS = {"location": 200, "respondent_person": 80, "resident_request": 500, "result": 1000,
          "answer": 1000}


def _check_length(name: str, text: str) -> str:
    if len(text) > LIMITS[name]:
        raise BadIntake(f"{name}: at most {LIMITS[name]} characters (this has {len(text)})")
    return text


def _note(session: Session, order: WorkOrder, user: User, now: dt.datetime, note: str) -> None:
    # A history line without a status change: the register's steps show in the order's history.
    session.add(WorkOrderEvent(work_order_id=order.id, user_id=user.id, at=now,
                               from_status=order.status, to_status=order.status, note=note))


def update_register(session: Session, complaint: Complaint, fields: ComplaintFields,
                    effective: bool, user: User, now: dt.datetime) -> None:
    if (fields.respondent_department is not None
            and fields.respondent_department not in RESPONDENT_DEPARTMENTS):
        raise BadIntake(f"unknown department complained about {fields.respondent_department!r}")
    complaint.occurred_at = fields.occurred_at
    complaint.location = _check_length("location", fields.location)
    complaint.respondent_person = _check_length("respondent_person", fields.respondent_person)
    complaint.respondent_department = fields.respondent_department
    complaint.resident_request = _check_length("resident_request", fields.resident_request)
    complaint.effective = effective
    _note(session, complaint.work_order, user, now, "complaint register updated")
    session.commit()


def record_answer(session: Session, complaint: Complaint, user: User, now: dt.datetime) -> None:
    """A major complaint's clear answer given to the resident (within 2 days)."""
    if complaint.work_order.answer_due_at is None:
        raise StepRefused("only a major complaint owes a clear answer within 2 days")
    if complaint.answered_at is not None:
        raise StepRefused("the answer was already recorded")
    complaint.answered_at = now
    _note(session, complaint.work_order, user, now, "clear answer given to the resident")
    session.commit()


def record_result(session: Session, complaint: Complaint, result: str, user: User,
                  now: dt.datetime) -> None:
    """The result is known: from now the resident is owed a report by the end of today."""
    text = _check_length("result", result.strip())
    if not text:
        raise BadIntake("the result is empty")
    complaint.result = text
    complaint.result_known_at = complaint.result_known_at or now
    _note(session, complaint.work_order, user, now, "result recorded")
    session.commit()


def tell_resident(session: Session, complaint: Complaint, how: str, user: User,
                  now: dt.datetime) -> None:
    if how not in TOLD_BY:
        raise BadIntake(f"told by {how!r}? ({', '.join(TOLD_BY)})")
    if complaint.result_known_at is None:
        raise StepRefused("record the result before telling the resident")
    complaint.resident_told_at = now
    complaint.resident_told_by = how
    complaint.told_by_id = user.id
    _note(session, complaint.work_order, user, now, f"result told to the resident ({how})")
    session.commit()


def reply_enquiry(session: Session, callback: EnquiryCallback, answer: str, user: User,
                  now: dt.datetime) -> None:
    text = _check_length("answer", answer.strip())
    if not text:
        raise BadIntake("the answer is empty")
    if callback.replied_at is not None:
        raise StepRefused("the enquiry was already answered")
    callback.answer = text
    callback.replied_at = now
    callback.replied_by_id = user.id
    _note(session, callback.work_order, user, now, "enquiry answered by call-back")
    session.commit()


def accept_online(session: Session, order: WorkOrder, user: User, now: dt.datetime) -> None:
    """An online message registered unaccepted (by a platform) is accepted by an agent."""
    if order.accepted_at is not None:
        raise StepRefused("the order was already accepted")
    order.accepted_at = now
    if order.dispatch_due_at is not None and order.dispatched_at is None:
        order.dispatch_due_at = now + DISPATCH_AFTER_ACCEPT_WITHIN
    _note(session, order, user, now, "online message accepted")
    session.commit()
