"""Follow-up calls (回访): the list owed, placing the call, recording the result."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workflow import orders as service
from agent_console.order_refusals import refusal_message
from agent_console.commands import run_command
from agent_console.errors import ConsoleError
from agent_console.extensions import db, settings
from agent_console.forms import EmptyForm, FollowUpForm
from models.base import utcnow
from models.console import FollowUp
from workflow import followups as rules
from workflow.errors import WorkflowError

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
                           empty_form=EmptyForm(), max_attempts=rules.MAX_ATTEMPTS,
                           supervisor_items=rules.needing_supervisor(db()),
                           may_retry=current_user.role in service.MANAGING_ROLES)


def _problem_solved() -> bool | None:
    """The "problem solved?" radio: yes, no, or not asked."""
    return {"yes": True, "no": False}.get(request.form.get("solved", ""))


@bp.post("/<int:follow_up_id>/call")
@login_required
def place_call(follow_up_id: int):
    """Originate: the agent's phone rings first, then the resident's number is dialled.
    The page's form gets the list back with the outcome in the user's language (never
    Asterisk's own words); a script asking for JSON gets the same words as JSON."""
    follow_up = _follow_up_or_404(follow_up_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    number = "".join(ch for ch in follow_up.work_order.contact_phone if ch.isdigit())
    if not current_user.phone_interface or not number:
        return _call_outcome(False, _("No phone bound, or no number to call."), 400)
    answer = run_command(settings(), "originate_call",
                         agent_interface=current_user.phone_interface, number=number,
                         caller_id=settings().hotline_number)
    if answer.get("ok"):
        return _call_outcome(True, _("Your phone rings first; answer it and the resident "
                                     "%(number)s is dialled.", number=number))
    return _call_outcome(False, _("The call could not be placed: the telephone system did "
                                  "not take it."), 502)


def _call_outcome(ok: bool, message: str, status: int = 200):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=ok, message=message), status
    flash(message, "ok" if ok else "error")
    return redirect(url_for("followups.list_follow_ups"), 303)


@bp.post("/<int:follow_up_id>/result")
@login_required
def record_result(follow_up_id: int):
    follow_up = _follow_up_or_404(follow_up_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        flash(_("Invalid follow-up result."), "error")
        return redirect(url_for("followups.list_follow_ups")), 303
    now = utcnow()
    if follow_up.offered_at is not None and now < follow_up.offered_at:
        flash(_("Not yet: this attempt is offered from %(when)s.",
                when=current_app_localtime(follow_up.offered_at)), "error")
        return redirect(url_for("followups.list_follow_ups")), 303
    try:
        outcome = rules.record_attempt(
            db(), follow_up, current_user, form.result.data, form.satisfaction.data,
            _problem_solved(), form.notes.data or "", now,
            office_zone=ZoneInfo(settings().office_timezone))
    except (ConsoleError, WorkflowError) as error:
        db().rollback()
        flash(refusal_message(error), "error")
        return redirect(url_for("followups.list_follow_ups")), 303
    flash(_outcome_message(outcome), "ok")
    return redirect(url_for("followups.list_follow_ups"))


def _outcome_message(outcome: rules.Outcome) -> str:
    if outcome.reopened:
        return _("Follow-up recorded: the order is reopened for rework.")
    if outcome.needs_supervisor:
        return _("Follow-up recorded: unreachable %(count)d times, the supervisor is told.",
                 count=outcome.follow_up.attempt)
    if outcome.next_attempt is not None:
        return _("Follow-up recorded: next attempt %(when)s.",
                 when=current_app_localtime(outcome.next_attempt.offered_at))
    return _("Follow-up recorded.")


def current_app_localtime(moment) -> str:
    return current_app.jinja_env.filters["localtime"](moment)


@bp.post("/<int:follow_up_id>/retry")
@login_required
def retry(follow_up_id: int):
    """The supervisor puts an order that needed them back on the list."""
    follow_up = _follow_up_or_404(follow_up_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if current_user.role not in service.MANAGING_ROLES:
        abort(403)
    try:
        rules.give_another_round(db(), follow_up, current_user, utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(refusal_message(error), "error")
        return redirect(url_for("followups.list_follow_ups")), 303
    flash(_("The order is back on the follow-up list."), "ok")
    return redirect(url_for("followups.list_follow_ups"))
