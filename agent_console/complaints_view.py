"""The complaint register (客户投诉登记表): a printable page, its Excel export, and
the register's panel on a complaint's work-order page (fields and steps)."""
from __future__ import annotations

import datetime as dt
import io
import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from agent_console.order_refusals import refusal_message
from agent_console.complaints_export import register_workbook
from agent_console.extensions import db, settings
from agent_console.forms import fits, options
from models.base import utcnow
from models.complaints import RESPONDENT_DEPARTMENTS, TOLD_BY, Complaint
from models.console import WorkOrder
from workflow import complaint_steps, escalation
from workflow.channel_report import online_report
from workflow.errors import WorkflowError
from workflow.intake import ComplaintFields

log = logging.getLogger(__name__)
bp = Blueprint("complaints", __name__, url_prefix="/complaints")

DEFAULT_DAYS = 30
REGISTER_LIMIT = 500
STEPS = ("acknowledge", "answer", "result", "tell")


class RegisterForm(FlaskForm):
    occurred_at = DateTimeLocalField(_l("When it happened"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    location = StringField(_l("Where"), validators=[fits(Complaint.location)])
    respondent_person = StringField(_l("Person complained about"),
                                    validators=[fits(Complaint.respondent_person)])
    respondent_department = SelectField(_l("Department complained about"),
                                        choices=options(RESPONDENT_DEPARTMENTS, blank=True))
    resident_request = TextAreaField(_l("What the resident wants"),
                                     validators=[fits(Complaint.resident_request)])
    effective = BooleanField(_l("Effective complaint"), default=True)


class StepForm(FlaskForm):
    step = SelectField(choices=options(STEPS))
    result = TextAreaField(validators=[fits(Complaint.result)])
    told_by = SelectField(choices=options(TOLD_BY, blank=True))


def _zone() -> ZoneInfo:
    return ZoneInfo(settings().office_timezone)


def _office_time(moment):
    return None if moment is None else moment.replace(tzinfo=_zone()).astimezone(dt.timezone.utc)


def _period() -> tuple[dt.date, dt.date]:
    """The register's office dates [from, to], from the query (default: the last 30 days)."""
    today = utcnow().astimezone(_zone()).date()
    try:
        end = dt.date.fromisoformat(request.args.get("to") or today.isoformat())
        start = dt.date.fromisoformat(
            request.args.get("from") or (end - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    except ValueError:
        abort(400, _("Dates are written YYYY-MM-DD."))
    if start > end:
        abort(400, _("The start date is after the end date."))
    return start, end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = _zone()
    return (dt.datetime.combine(start, dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
            .astimezone(dt.timezone.utc))


def register_rows(start_at: dt.datetime, end_at: dt.datetime) -> list[Complaint]:
    return list(db().scalars(
        select(Complaint).join(WorkOrder)
        .where(WorkOrder.call_at >= start_at, WorkOrder.call_at < end_at)
        .order_by(WorkOrder.call_at, WorkOrder.id).limit(REGISTER_LIMIT)))


@bp.get("")
@login_required
def register():
    start, end = _period()
    start_at, end_at = _bounds(start, end)
    rows = register_rows(start_at, end_at)
    return render_template("complaints.html", rows=rows, start=start, end=end,
                           online=online_report(db(), start_at, end_at, utcnow()),
                           limit=REGISTER_LIMIT)


@bp.get("/register.xlsx")
@login_required
def export_register():
    start, end = _period()
    rows = register_rows(*_bounds(start, end))
    data = register_workbook(rows, _zone())
    return send_file(io.BytesIO(data), as_attachment=True,
                     download_name=f"complaints-{start.isoformat()}-{end.isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _complaint_or_404(order_id: int) -> Complaint:
    complaint = db().scalar(select(Complaint).where(Complaint.work_order_id == order_id))
    if complaint is None:
        abort(404)
    return complaint


@bp.app_template_global()
def complaint_panel(order: WorkOrder) -> dict:
    """What the work-order page shows for a complaint (None for other orders)."""
    complaint = db().scalar(select(Complaint).where(Complaint.work_order_id == order.id))
    if complaint is None:
        return {}
    form = RegisterForm(formdata=None, obj=complaint)
    if complaint.occurred_at is not None:
        form.occurred_at.data = complaint.occurred_at.astimezone(_zone()).replace(tzinfo=None)
    return {"complaint": complaint, "form": form, "step_form": StepForm(formdata=None)}


@bp.post("/<int:order_id>/register")
@login_required
def save_register(order_id: int):
    complaint = _complaint_or_404(order_id)
    form = RegisterForm()
    if not form.validate_on_submit():
        flash(_("The register fields were not saved: %(problems)s",
                problems="; ".join(error for errors in form.errors.values() for error in errors)),
              "error")
        return redirect(url_for("work_orders.show_order", order_id=order_id)), 303
    fields = ComplaintFields(
        occurred_at=_office_time(form.occurred_at.data), location=form.location.data or "",
        respondent_person=form.respondent_person.data or "",
        respondent_department=form.respondent_department.data or None,
        resident_request=form.resident_request.data or "")
    try:
        complaint_steps.update_register(db(), complaint, fields, bool(form.effective.data),
                                        current_user, utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(refusal_message(error), "error")
        return redirect(url_for("work_orders.show_order", order_id=order_id)), 303
    flash(_("Complaint register saved."), "ok")
    return redirect(url_for("work_orders.show_order", order_id=order_id))


@bp.post("/<int:order_id>/step")
@login_required
def record_step(order_id: int):
    complaint = _complaint_or_404(order_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    now = utcnow()
    try:
        if form.step.data == "acknowledge":
            escalation.acknowledge(db(), complaint, current_user, now)
        elif form.step.data == "answer":
            complaint_steps.record_answer(db(), complaint, current_user, now)
        elif form.step.data == "result":
            complaint_steps.record_result(db(), complaint, form.result.data or "",
                                          current_user, now)
        else:
            complaint_steps.tell_resident(db(), complaint, form.told_by.data or "",
                                          current_user, now)
    except WorkflowError as error:
        db().rollback()
        log.info("complaint step %s refused on order %s: %s", form.step.data, order_id, error)
        flash(refusal_message(error), "error")
        return redirect(url_for("work_orders.show_order", order_id=order_id)), 303
    flash(_("Saved."), "ok")
    return redirect(url_for("work_orders.show_order", order_id=order_id))
