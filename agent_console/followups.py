"""Follow-up calls (回访): the list owed, placing the call, recording the result."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agent_console import work_order_service as service
from agent_console.commands import run_command
from agent_console.errors import ConsoleError
from agent_console.extensions import db, settings
from agent_console.forms import EmptyForm, FollowUpForm
from models.base import utcnow
from models.console import FollowUp

bp = Blueprint("followups", __name__, url_prefix="/follow-ups")


def _follow_up_or_404(follow_up_id: int) -> FollowUp:
    follow_up = db().get(FollowUp, follow_up_id)
    if follow_up is None:
        abort(404)
    return follow_up


@bp.get("")
@login_required
def list_follow_ups():
    pending = db().scalars(select(FollowUp).where(FollowUp.result == "pending")
                           .order_by(FollowUp.due_at)).all()
    recent = db().scalars(select(FollowUp).where(FollowUp.result != "pending")
                          .order_by(FollowUp.called_at.desc()).limit(50)).all()
    now = utcnow()
    return render_template("followups.html", pending=pending, recent=recent, now=now,
                           stats=service.follow_up_stats(db(), now), form=FollowUpForm(),
                           empty_form=EmptyForm())


@bp.post("/<int:follow_up_id>/call")
@login_required
def place_call(follow_up_id: int):
    """Originate: the agent's phone rings first, then the resident's number is dialled."""
    follow_up = _follow_up_or_404(follow_up_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    number = "".join(ch for ch in follow_up.work_order.contact_phone if ch.isdigit())
    if not current_user.phone_interface or not number:
        return jsonify(ok=False, message=_("No phone bound, or no number to call.")), 400
    answer = run_command(settings(), "originate_call",
                         agent_interface=current_user.phone_interface, number=number,
                         caller_id=settings().hotline_number)
    return jsonify(ok=bool(answer.get("ok")), message=str(answer.get("message", "")))


@bp.post("/<int:follow_up_id>/result")
@login_required
def record_result(follow_up_id: int):
    follow_up = _follow_up_or_404(follow_up_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        flash(_("Invalid follow-up result."), "error")
        return redirect(url_for("followups.list_follow_ups")), 303
    try:
        service.record_follow_up(db(), follow_up, current_user, form.result.data,
                                 form.satisfaction.data, form.notes.data or "", utcnow())
    except ConsoleError as error:
        db().rollback()
        flash(str(error), "error")
        return redirect(url_for("followups.list_follow_ups")), 303
    flash(_("Follow-up recorded."), "ok")
    return redirect(url_for("followups.list_follow_ups"))
