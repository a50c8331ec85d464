"""The department's worklist and order page, and its four steps (POST, CSRF-checked).

The rules are workflow.department_flow's; a view reads the form, turns the typed
office time into UTC, and puts a refused field's message next to that field with
everything typed kept (status 400). An order outside the user's departments is 403.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Optional
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from agent_console.department import bp
from agent_console.department.forms import (
    TIME_FORMAT, AcceptForm, CompleteForm, ProgressForm, RejectForm,
)
from agent_console.extensions import db, roles_required, settings
from models.base import utcnow
from models.console import WorkOrder
from workflow import department_flow as flow
from workflow import department_rules as rules
from workflow.department_members import departments_of
from workflow.department_rules import BadDepartmentInput, DepartmentStepRefused, NotTheirOrder

log = logging.getLogger(__name__)

INPUT_MESSAGES = {
    "required": _l("Required."),
    "in_the_past": _l("That time has passed: give a time from now on."),
    "too_far": _l("At most %(days)d days ahead."),
    "not_a_time": _l("Not a time: pick one, or type it as 2026-12-03 14:30."),
    "not_a_number": _l("Hours as a number, e.g. 1.5."),
    "out_of_range": _l("More than 0 and at most %(most)d hours."),
    "too_long": _l("At most %(max)d characters (this has %(length)d)."),
}
PAID_REQUIRED = _l("Choose free or paid.")
REFUSALS = {
    "not_in_hand": _l("This order is no longer with your department."),
    "already_accepted": _l("This order was accepted already."),
    "already_completed": _l("This order is finished already."),
    "already_rejected": _l("This order was sent back to the centre already."),
    "already_open": _l("Accept the order first."),
    "not_accepted": _l("Accept the order first."),
}


def _zone() -> ZoneInfo:
    return ZoneInfo(settings().office_timezone)


def _office_time(text: Optional[str]) -> Optional[dt.datetime]:
    """A typed office time (datetime-local, or with a space) in UTC; None if empty."""
    value = (text or "").strip().replace(" ", "T")
    if not value:
        return None
    try:
        moment = dt.datetime.strptime(value[:16], TIME_FORMAT)
    except ValueError:
        raise BadDepartmentInput("promised_at", "not_a_time") from None
    return moment.replace(tzinfo=_zone()).astimezone(dt.timezone.utc)


def _default_promise(now: dt.datetime) -> str:
    """Two hours ahead, on the next half hour, as the form's office time."""
    local = (now + dt.timedelta(hours=2)).astimezone(_zone())
    minutes = math.ceil((local.minute + local.second / 60) / 30) * 30
    rounded = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(minutes=minutes)
    return rounded.strftime(TIME_FORMAT)


def _message(error: BadDepartmentInput) -> str:
    if error.field == "paid":
        return str(PAID_REQUIRED)
    params = dict(error.params)
    if "most" in params and error.code == "too_long":
        params["max"] = params.pop("most")
    return str(INPUT_MESSAGES.get(error.code, INPUT_MESSAGES["required"])) % params


def _order_or_403(order_id: int) -> WorkOrder:
    order = db().get(WorkOrder, order_id)
    if order is None:
        abort(404)
    try:
        flow.require_their_order(db(), order, current_user)
    except NotTheirOrder:
        log.warning("%s refused order %s of %s", current_user.username, order.id,
                    order.department)
        abort(403)
    return order


@bp.get("")
@login_required
@roles_required("department")
def worklist():
    now = utcnow()
    items = flow.worklist(db(), current_user, now)
    return render_template("department/worklist.html", items=items,
                           finished=flow.recently_completed(db(), current_user, now),
                           departments=departments_of(db(), current_user), now=now)


def _page(order: WorkOrder, status: int = 200, **forms):
    now = utcnow()
    task = flow.current_task(db(), order) if order.status in rules.OPEN_STATUSES else None
    db().commit()
    accept = forms.get("accept") or AcceptForm(formdata=None, prefix="accept")
    if not accept.promised_at.data:
        accept.promised_at.data = _default_promise(now)
    return render_template(
        "department/order.html", order=order, task=task,
        sheet=task or flow.latest_task(db(), order),
        overdue=rules.overdue(task.state, task.accept_due_at, task.promised_at, now,
                              order.status) if task else None,
        accept_form=accept,
        progress_form=forms.get("progress") or ProgressForm(formdata=None, prefix="progress"),
        complete_form=forms.get("complete") or _complete_form(order),
        reject_form=forms.get("reject") or RejectForm(formdata=None, prefix="reject"),
    ), status


def _complete_form(order: WorkOrder) -> CompleteForm:
    form = CompleteForm(formdata=None, prefix="complete")
    if order.kind == "repair":
        form.paid.data = "paid" if order.paid else "free"  # the centre's intake, to confirm
    return form


@bp.get("/orders/<int:order_id>")
@login_required
@roles_required("department")
def show_order(order_id: int):
    order = db().get(WorkOrder, order_id)
    if order is None:
        abort(404)
    try:
        flow.require_their_order(db(), order, current_user)
    except NotTheirOrder:
        past = flow.their_past_sheet(db(), order, current_user)
        if past is None:
            log.warning("%s refused order %s of %s", current_user.username, order.id,
                        order.department)
            abort(403)
        return _read_only_page(order, past)
    return _page(order)


def _read_only_page(order: WorkOrder, past_sheet):
    """An order that left the user's department: what they did, no steps to take."""
    db().commit()
    return render_template("department/order.html", order=order, task=None, sheet=past_sheet,
                           moved_on=True, overdue=None)


def _run(order: WorkOrder, name: str, form, step, fields: dict, done_message: str):
    """Validate `form`, run `step()`; a bad field re-renders the page with the message
    next to it (the form keeps what was typed), a refused step is flashed."""
    if not form.validate_on_submit():
        return _page(order, 400, **{name: form})
    try:
        step()
    except BadDepartmentInput as error:
        db().rollback()
        getattr(form, fields.get(error.field, error.field)).errors.append(_message(error))
        return _page(order, 400, **{name: form})
    except DepartmentStepRefused as error:
        db().rollback()
        flash(str(REFUSALS.get(error.code, REFUSALS["not_in_hand"])), "error")
        return _page(order, 409)
    flash(done_message, "ok")
    return redirect(url_for("department.show_order", order_id=order.id))


@bp.post("/orders/<int:order_id>/accept")
@login_required
@roles_required("department")
def accept(order_id: int):
    order = _order_or_403(order_id)
    form = AcceptForm(prefix="accept")
    return _run(order, "accept", form, lambda: flow.accept(
        db(), order, current_user, _office_time(form.promised_at.data), form.note.data or "",
        utcnow()), {}, _("Order accepted."))


@bp.post("/orders/<int:order_id>/progress")
@login_required
@roles_required("department")
def progress(order_id: int):
    order = _order_or_403(order_id)
    form = ProgressForm(prefix="progress")
    return _run(order, "progress", form, lambda: flow.add_progress(
        db(), order, current_user, form.note.data or "", utcnow()),
        {"progress_note": "note"}, _("Progress noted."))


@bp.post("/orders/<int:order_id>/complete")
@login_required
@roles_required("department")
def complete(order_id: int):
    order = _order_or_403(order_id)
    form = CompleteForm(prefix="complete")

    def step():
        done = rules.completion(order.kind, form.work_hours.data, form.materials.data,
                                form.paid.data, form.note.data)
        flow.complete(db(), order, current_user, done, utcnow())
    return _run(order, "complete", form, step, {}, _("Order completed."))


@bp.post("/orders/<int:order_id>/reject")
@login_required
@roles_required("department")
def reject(order_id: int):
    order = _order_or_403(order_id)
    form = RejectForm(prefix="reject")
    return _run(order, "reject", form, lambda: flow.reject(
        db(), order, current_user, form.reason.data or "", utcnow()),
        {}, _("Sent back to the centre; the centre is told."))
