"""The rules of a department's work contact sheet (工作联系单), without a database.

Seed 003: the centre hands a repair to engineering's order taker within 3 minutes
of the call; "if the engineers cannot come in time, answer the resident at once and
tell the housekeeper". The seeds give no time for the department's own acceptance;
ACCEPT_WITHIN is this office's policy, by the order's urgency (an emergency is
dispatched at once, workflow.rules, so its acceptance is the shortest). Once a
department accepts, it promises a time it will have come and done the work by;
past that time (or past the acceptance deadline) the centre is told, to call the
resident back and tell the housekeeper.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional

from workflow.errors import WorkflowError

ACCEPT_WITHIN = {
    "emergency": dt.timedelta(minutes=10),
    "urgent": dt.timedelta(minutes=30),
    "normal": dt.timedelta(hours=2),
}
# A promise further ahead than this is a typing slip (a wrong year or month).
PROMISE_AT_MOST = dt.timedelta(days=30)
# A promise may be typed for the current minute (the form has no seconds).
PROMISE_SLACK = dt.timedelta(minutes=1)
MAX_WORK_HOURS = Decimal("100")
MAX_TEXT_CHARS = 500
# The order statuses in which a department still has the order in hand.
OPEN_STATUSES = ("dispatched", "in_progress")


class BadDepartmentInput(WorkflowError):
    """A field of a department's step is not valid: `field` names it, `code` says why
    (the console turns the code into a message next to the field)."""

    def __init__(self, field: str, code: str, **params):
        super().__init__(f"{field}: {code} {params or ''}".strip())
        self.field = field
        self.code = code
        self.params = params


class DepartmentStepRefused(WorkflowError):
    """The step does not fit the order or the sheet now (`code` says why)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class NotTheirOrder(WorkflowError):
    """The user works for none of the order's departments (or is no department user)."""


@dataclasses.dataclass(frozen=True)
class Completion:
    work_minutes: int
    materials: str
    paid: Optional[bool]
    note: str


def accept_due(dispatched_at: dt.datetime, urgency: str) -> dt.datetime:
    """When the department must have accepted an order dispatched at `dispatched_at`."""
    if dispatched_at.tzinfo is None:
        raise ValueError("dispatched_at must be timezone-aware")
    return dispatched_at + ACCEPT_WITHIN.get(urgency, ACCEPT_WITHIN["normal"])


def may_act(user_role: str, user_departments: Iterable[str], order_department: Optional[str]) -> bool:
    """A department user acts only on orders dispatched to one of their departments."""
    return (user_role == "department" and order_department is not None
            and order_department in set(user_departments))


def check_promise(promised_at: Optional[dt.datetime], now: dt.datetime) -> dt.datetime:
    if promised_at is None:
        raise BadDepartmentInput("promised_at", "required")
    if promised_at.tzinfo is None:
        raise ValueError("promised_at must be timezone-aware")
    if promised_at < now - PROMISE_SLACK:
        raise BadDepartmentInput("promised_at", "in_the_past")
    if promised_at > now + PROMISE_AT_MOST:
        raise BadDepartmentInput("promised_at", "too_far", days=PROMISE_AT_MOST.days)
    return promised_at


def work_minutes(hours_text: Optional[str]) -> int:
    """Typed work hours ('1.5', '2', '0.25') as whole minutes, at least one."""
    text = (hours_text or "").strip().replace(",", ".").replace("，", ".")
    if not text:
        raise BadDepartmentInput("work_hours", "required")
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise BadDepartmentInput("work_hours", "not_a_number") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_WORK_HOURS:
        raise BadDepartmentInput("work_hours", "out_of_range", most=int(MAX_WORK_HOURS))
    minutes = int((hours * 60).to_integral_value())
    return max(1, minutes)


def check_text(field: str, text: Optional[str], *, required: bool) -> str:
    value = (text or "").strip()
    if required and not value:
        raise BadDepartmentInput(field, "required")
    if len(value) > MAX_TEXT_CHARS:
        raise BadDepartmentInput(field, "too_long", most=MAX_TEXT_CHARS, length=len(value))
    return value


def completion(kind: str, hours_text: Optional[str], materials: Optional[str],
               paid_choice: Optional[str], note: Optional[str]) -> Completion:
    """A completion's fields checked; a repair also needs materials (or 'none' typed)
    and paid or free (seed 003's repair sheet records both)."""
    minutes = work_minutes(hours_text)
    is_repair = kind == "repair"
    used = check_text("materials", materials, required=is_repair)
    paid: Optional[bool] = None
    if is_repair:
        if paid_choice not in ("paid", "free"):
            raise BadDepartmentInput("paid", "required")
        paid = paid_choice == "paid"
    return Completion(minutes, used, paid, check_text("note", note, required=False))


def late_deadlines(state: str, accept_due_at: dt.datetime, promised_at: Optional[dt.datetime],
                   accept_notified: bool, promise_notified: bool, now: dt.datetime,
                   order_status: str = "dispatched") -> list[str]:
    """Which of the sheet's deadlines have passed unmet and are not yet told to the centre:
    'accept' (not accepted in time), 'promise' (accepted, not done by the promised time).

    An order the centre itself moved on (in progress without the department's
    acceptance, as agents recorded departments' work before) waits for no acceptance."""
    late = []
    if (state == "open" and order_status == "dispatched" and now > accept_due_at
            and not accept_notified):
        late.append("accept")
    if (state == "accepted" and promised_at is not None and now > promised_at
            and not promise_notified):
        late.append("promise")
    return late


def overdue(state: str, accept_due_at: dt.datetime, promised_at: Optional[dt.datetime],
            now: dt.datetime, order_status: str = "dispatched") -> Optional[str]:
    """The deadline the sheet has missed now ('accept' or 'promise'), or None."""
    if state == "open" and order_status == "dispatched" and now > accept_due_at:
        return "accept"
    if state == "accepted" and promised_at is not None and now > promised_at:
        return "promise"
    return None
