"""The household card's on-demand parts and actions beside the screen-pop:
the 费用 detail and the 来电 history (fetched when the card opens, so the pop stays
small), linking an earlier call to the household, and a work order registered
for a walk-in or a letter from the card opened by search (no call).

Access: during a call, the call's part on the agent's own phone (as for the pop);
without one, the card must have been opened by search in this session, which
search.household_card audits. Every link and every order here is audited too.
"""
from __future__ import annotations

import dataclasses
import logging
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agent_console.order_refusals import refusal_message
from agent_console.errors import ConsoleError
from agent_console.extensions import db, settings
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from households.call_history import HistoryCall, calls_to_link, household_calls
from households.fee_detail import fee_detail
from households.terms import office_today
from models.base import utcnow
from models.calls import Call
from models.console import AccessAuditEntry
from models.households import Household
from models.wrapup import CallHouseholdLink

log = logging.getLogger(__name__)
bp = Blueprint("card", __name__)

OPENED_CARDS_KEY = "opened_cards"
OPENED_CARDS_KEPT = 20
CHANNELS = ("walk_in", "letter")


def remember_opened(household_id: int) -> None:
    """search.household_card opened (and audited) this card: this session may act on it."""
    opened = [h for h in session.get(OPENED_CARDS_KEY, []) if h != household_id]
    session[OPENED_CARDS_KEY] = (opened + [household_id])[-OPENED_CARDS_KEPT:]


def _card_open(household_id: int, callid: str) -> bool:
    if household_id in session.get(OPENED_CARDS_KEY, []):
        return True
    if callid:
        from agent_console.agent_views import call_part_or_404

        call_part_or_404(callid)  # 404 unless the call is on this agent's phone
        return True
    return False


def _household_or_404(household_id: int) -> None:
    if db().get(Household, household_id) is None:
        abort(404)


def _audit(action: str, target: str, callid: str | None) -> None:
    db().add(AccessAuditEntry(user_id=current_user.id, action=action, target=target[:255],
                              callid=callid))
    db().commit()


def may_hear(call: HistoryCall) -> bool:
    """The recording route's rule (supervisor.recordings._may_hear): supervisors
    any call, an agent the calls answered on their own phone."""
    if current_user.role in SUPERVISOR_ROLES:
        return True
    return bool(current_user.phone_interface) and call.agent_interface == current_user.phone_interface


def history_json(calls: list[HistoryCall]) -> list[dict]:
    rows = []
    for call in calls:
        row = dataclasses.asdict(call)
        row.pop("agent_interface")
        row["entered_queue_at"] = call.entered_queue_at.isoformat() if call.entered_queue_at else None
        row["recording_url"] = (url_for("supervisor.recording", callid=call.callid)
                                if call.has_recording and may_hear(call) else None)
        rows.append(row)
    return rows


def card_detail(household_id: int) -> tuple:
    rate = Decimal(str(settings().late_fee_daily_rate))
    fees = fee_detail(db(), household_id, office_today(settings().office_timezone), rate)
    return fees, household_calls(db(), household_id)


@bp.get("/api/households/<int:household_id>/detail")
@login_required
def detail(household_id: int):
    callid = request.args.get("callid", "")
    if not _card_open(household_id, callid):
        abort(404)  # as for a call that is not the agent's: nothing to see here
    _household_or_404(household_id)
    fees, calls = card_detail(household_id)
    return jsonify(fees=fees.as_dict(), calls=history_json(calls))


@bp.post("/households/<int:household_id>/link-call")
@login_required
def link_call(household_id: int):
    """An earlier call (from a number the household does not have) is this household's."""
    from agent_console.forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)
    if not _card_open(household_id, request.form.get("current_callid", "")):
        abort(404)
    _household_or_404(household_id)
    callid = request.form.get("callid", "").strip()
    interface = None if current_user.role in SUPERVISOR_ROLES else current_user.phone_interface
    allowed = {call.callid for call in calls_to_link(db(), interface, limit=50)}
    if not callid or callid not in allowed:
        flash(_("Choose one of your recent calls to link."), "error")
        return redirect(url_for("search.household_card", household_id=household_id))
    link = db().scalar(select(CallHouseholdLink).where(CallHouseholdLink.callid == callid))
    if link is None:
        db().add(CallHouseholdLink(callid=callid, household_id=household_id,
                                   linked_by_id=current_user.id, linked_at=utcnow()))
    else:
        link.household_id, link.linked_by_id, link.linked_at = household_id, current_user.id, utcnow()
    db().commit()
    _audit("call_linked", f"household:{household_id}", callid)
    flash(_("The call is now in this household's history."), "ok")
    return redirect(url_for("search.household_card", household_id=household_id))


def link_choices() -> list[Call]:
    interface = None if current_user.role in SUPERVISOR_ROLES else current_user.phone_interface
    if interface is None and current_user.role not in SUPERVISOR_ROLES:
        return []
    return calls_to_link(db(), interface)


@bp.route("/households/<int:household_id>/walk-in", methods=["GET", "POST"],
          defaults={"channel": "walk_in"})
@bp.route("/households/<int:household_id>/letter", methods=["GET", "POST"],
          defaults={"channel": "letter"})
@login_required
def contact_order(household_id: int, channel: str):
    """A work order for a walk-in (来访) or a letter (来信): no call, the card opened by search."""
    from workflow import orders as service
    from agent_console.forms import WorkOrderForm
    from agent_console.intake_form import intake_from_form
    from agent_console.work_orders import _office_time
    from workflow import intake
    from workflow.errors import WorkflowError

    if channel not in CHANNELS:
        abort(404)
    if household_id not in session.get(OPENED_CARDS_KEY, []):
        # The card first (it is audited as opened without a call), then its order buttons.
        return redirect(url_for("search.household_card", household_id=household_id))
    _household_or_404(household_id)
    form = WorkOrderForm() if request.method == "POST" else WorkOrderForm(formdata=None)
    action = url_for("agent.card.contact_order", household_id=household_id, channel=channel)
    if request.method == "GET":
        form.token.data = secrets.token_urlsafe(24)
        form.address.data = _rooms_text(household_id)
        return render_template("contact_order.html", form=form, channel=channel,
                               form_action=action, household_id=household_id)
    form.callid.data, form.household_id.data = "", str(household_id)
    if not form.validate_on_submit():
        return render_template("contact_order.html", form=form, channel=channel,
                               form_action=action, household_id=household_id), 400
    data = service.OrderInput(
        kind=form.kind.data, category=form.category.data, description=form.description.data,
        address=form.address.data or "", contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        preferred_visit=form.preferred_visit.data or "", paid=bool(form.paid.data),
        complaint_tier=form.complaint_tier.data or None,
        resident_deadline=_office_time(form.resident_deadline.data), household_id=household_id)
    try:
        order, created = intake.register(
            db(), current_user, data, intake_from_form(form, _office_time, channel=channel),
            form.token.data, utcnow(), office_zone=ZoneInfo(settings().office_timezone))
    except (ConsoleError, WorkflowError) as error:
        flash(refusal_message(error), "error")
        return render_template("contact_order.html", form=form, channel=channel,
                               form_action=action, household_id=household_id), 400
    if created:
        _audit(f"work_order_{channel}", f"work_order:{order.id} household:{household_id}", None)
        flash(_("Work order %(id)s created.", id=order.id), "ok")
    return redirect(url_for("work_orders.show_order", order_id=order.id))


def _rooms_text(household_id: int) -> str:
    from models.households import Room

    return ", ".join(sorted(db().scalars(select(Room.code).where(Room.household_id == household_id))))
