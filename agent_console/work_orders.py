"""Work orders: one form from the active or just-ended call, list, detail, status changes."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workflow import orders as service
from agent_console.order_refusals import refusal_message
from agent_console.agent_views import audit, call_part_or_404, live_store
from agent_console.errors import ConsoleError
from agent_console.extensions import db, settings
from agent_console.forms import StatusForm, WorkOrderForm
from agent_console.intake_form import intake_from_form
from agent_console.labels import label
from agent_console.live import room_for
from models.base import utcnow
from households.terms import HouseholdTerms
from models.console import WorkOrder
from models.households import Household
from workflow import intake
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)
bp = Blueprint("work_orders", __name__, url_prefix="/work-orders")

LIST_LIMIT = 200


def _call_record(callid: str):
    from models.calls import Call

    return db().scalar(select(Call).where(Call.callid == callid))


def _household_pop(household_id: int, callid: str) -> dict:
    try:
        from households.screen_pop import build_screen_pop

        return build_screen_pop(db(), household_id, callid,
                                terms=HouseholdTerms.from_settings(settings())) or {}
    except Exception:  # pre-filling is a help; the agent can type the address
        log.exception("could not pre-fill household %s", household_id)
        return {}


def address_from_pop(pop: dict) -> str:
    """The household's room(s) as building-unit-room codes, from a build_screen_pop record."""
    return ", ".join(room.get("code", "") for room in pop.get("rooms") or [] if room.get("code"))


def owner_name_from_pop(pop: dict) -> str:
    people = pop.get("people") or []
    return people[0].get("name", "") if people else ""


def _prefill(form: WorkOrderForm, callid: str, part: dict) -> None:
    form.token.data = secrets.token_urlsafe(24)
    form.callid.data = callid
    household_id = request.args.get("household_id", type=int) or part.get("household_id")
    pop = part.get("pop") or {}
    if household_id is None and pop.get("household"):
        household_id = pop["household"]["household"]["id"]
    if household_id is None:
        form.contact_phone.data = part.get("caller_number", "")
        return
    form.household_id.data = str(household_id)
    household = _household_pop(int(household_id), callid)
    if household:
        audit("household_open", f"household:{household_id}", callid)
    form.address.data = address_from_pop(household)
    form.contact_name.data = owner_name_from_pop(household)
    form.contact_phone.data = part.get("caller_number", "")


def _household_without_call(form_or_args) -> bool:
    """A household asked for outside any call: its record is opened only during one."""
    return bool(form_or_args.get("household_id")) and not form_or_args.get("callid")


@bp.get("/new")
@login_required
def new_order():
    callid = request.args.get("callid", "")
    if _household_without_call(request.args):
        log.warning("%s asked for household %r without a call", current_user.username,
                    request.args.get("household_id"))
        abort(403)
    part = call_part_or_404(callid) if callid else {}
    form = WorkOrderForm(formdata=None)
    _prefill(form, callid, part)
    return render_template("work_order_form.html", form=form, part=part)


def _order_input(form: WorkOrderForm, part: dict) -> service.OrderInput:
    callid = form.callid.data or None
    call = _call_record(callid) if callid else None
    call_at = call.entered_queue_at if call is not None and call.entered_queue_at else None
    if call_at is None and part.get("ringing_at"):
        call_at = dt.datetime.fromtimestamp(part["ringing_at"], dt.timezone.utc)
    deadline = form.resident_deadline.data
    return service.OrderInput(
        kind=form.kind.data, category=form.category.data,
        description=form.description.data, address=form.address.data or "",
        contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
        preferred_visit=form.preferred_visit.data or "", paid=bool(form.paid.data),
        complaint_tier=form.complaint_tier.data or None,
        resident_deadline=_office_time(deadline),
        callid=callid,
        household_id=int(form.household_id.data) if (form.household_id.data or "").isdigit()
        else None,
        recording=call.recording_path if call is not None else None, call_at=call_at)


@bp.post("/new")
@login_required
def create_order():
    form = WorkOrderForm()
    callid = form.callid.data or ""
    part = call_part_or_404(callid) if callid else {}
    valid = form.validate_on_submit()
    if _household_without_call(request.form):
        form.household_id.errors = [*form.household_id.errors,
                                    _("A household can be linked only from a call.")]
        valid = False
    if not valid:
        return render_template("work_order_form.html", form=form, part=part), 400
    try:
        order, created = intake.register(
            db(), current_user, _order_input(form, part), intake_from_form(form, _office_time),
            form.token.data, utcnow(), office_zone=_office_zone())
    except (ConsoleError, WorkflowError) as error:
        flash(refusal_message(error), "error")
        return render_template("work_order_form.html", form=form, part=part), 400
    if created:
        _end_wrapup(callid)
        flash(_("Work order %(id)s created.", id=order.id), "ok")
    return redirect(url_for("work_orders.show_order", order_id=order.id))


def _end_wrapup(callid: str) -> None:
    """Submitting the order ends the agent's after-call work for that call."""
    interface = current_user.phone_interface
    if not callid or not interface:
        return
    store = live_store()
    wrapup = store.get(interface).get("wrapup") or {}
    if wrapup.get("callid") == callid:
        store.drop(interface, "wrapup")
        from agent_console import socketio

        socketio.emit("wrapup_ended", {"callid": callid}, namespace="/agent",
                      to=room_for(interface))


@bp.get("")
@login_required
def list_orders():
    status = request.args.get("status", "")
    query = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(LIST_LIMIT)
    if status:
        query = query.where(WorkOrder.status == status)
    orders = db().scalars(query).all()
    now = utcnow()
    overdue = {order.id: service.order_overdue(order, now) for order in orders}
    return render_template("work_orders.html", orders=orders, overdue=overdue, status=status)


def _office_zone() -> ZoneInfo:
    return ZoneInfo(settings().office_timezone)


def _office_time(moment):
    """A wall-clock time typed in the form, read on the office's clock."""
    if moment is None:
        return None
    return moment.replace(tzinfo=_office_zone()).astimezone(dt.timezone.utc)


def _order_or_404(order_id: int) -> WorkOrder:
    order = db().get(WorkOrder, order_id)
    if order is None:
        abort(404)
    return order


@bp.get("/<int:order_id>")
@login_required
def show_order(order_id: int):
    order = _order_or_404(order_id)
    if order.recording is None and order.callid:
        call = _call_record(order.callid)
        if call is not None and call.recording_path:
            order.recording = call.recording_path
            db().commit()
    return _order_page(order, StatusForm())


def _order_page(order: WorkOrder, form: StatusForm) -> str:
    """The order with its household named (not its row id) and, in the status form,
    only the steps its workflow allows from where it stands."""
    allowed = service.next_statuses(order)
    form.to_status.choices = [choice for choice in form.to_status.choices
                              if choice.value in allowed]
    household = db().get(Household, order.household_id) if order.household_id else None
    return render_template("work_order.html", order=order, form=form, household=household,
                           overdue=service.order_overdue(order, utcnow()))


@bp.post("/<int:order_id>/status")
@login_required
def change_order_status(order_id: int):
    order = _order_or_404(order_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    if not service.may_change(order, current_user):
        log.warning("%s refused a change of work order %s", current_user.username, order.id)
        flash(_("Only the agent who registered this work order or a supervisor may change it."),
              "error")
        return _order_page(order, form), 403
    try:
        service.change_status(db(), order, form.to_status.data, current_user, utcnow(),
                              department=form.department.data or None,
                              note=form.note.data or "",
                              leak_test_at=_office_time(form.leak_test_at.data))
    except (ConsoleError, WorkflowError) as error:
        db().rollback()
        flash(refusal_message(error), "error")
        return _order_page(order, form), 409
    flash(_("Status changed to %(status)s.", status=label(form.to_status.data, "order_status")),
          "ok")
    return redirect(url_for("work_orders.show_order", order_id=order.id))
