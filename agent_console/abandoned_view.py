"""Lost calls (放弃/未接来电) on the agent desktop: the day's list, one click to call
the resident back through the agent's own phone, and the result of each attempt.

The call goes as the follow-ups' does: the bridge originates to the agent's phone
first, then dials the resident with the hotline's number shown.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agent_console.commands import run_command
from agent_console.extensions import db, settings
from agent_console.forms import EmptyForm
from agent_console.supervisor.call_list import households_by_number
from models.base import utcnow
from line_callback import store as callback_store
from line_callback.errors import LineCallbackError
from models.callbacks import CALLBACK_RESULTS, NOTES_MAX_CHARS, CallbackAttempt
from workflow import abandoned as rules
from workflow.errors import WorkflowError

bp = Blueprint("abandoned", __name__, url_prefix="/lost-calls")

# The refusals of workflow.abandoned, in the user's language.
REFUSALS = {
    "not a lost call": lambda: _("This call is not a lost call."),
    "the number was withheld: there is nothing to call back":
        lambda: _("The number was withheld: there is nothing to call back."),
    "an earlier call-back of this call has no result yet":
        lambda: _("Say how the earlier call-back went first."),
    "unknown result": lambda: _("Choose how the call-back went."),
    "notes too long": lambda: _("The note is too long."),
    "say why no call is needed": lambda: _("Say why no call is needed."),
}


def _refusal(error: WorkflowError) -> str:
    known = REFUSALS.get(str(error))
    return known() if known else _("The request was refused.")


def _office_day(text: str | None) -> tuple[dt.date | None, dt.datetime, dt.datetime]:
    """The office day asked for and its start and end in UTC; without one, the last
    24 hours, so a call lost at 23:59 is still on the night shift's list at 00:01."""
    now = utcnow()
    zone = ZoneInfo(settings().office_timezone)
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        day = None
    if day is None:
        return None, now - dt.timedelta(hours=24), now
    start = dt.datetime.combine(day, dt.time(), zone)
    return day, start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


def _back(day: dt.date | None):
    return redirect(url_for("abandoned.list_lost_calls", day=day.isoformat() if day else None), 303)


@bp.get("")
@login_required
def list_lost_calls():
    day, start, end = _office_day(request.args.get("day"))
    calls = rules.lost_calls_between(db(), start, end, settings().short_abandon_s)
    lost = rules.with_status(db(), calls, households_by_number(
        db(), {call.caller_number for call in calls if call.caller_number}))
    show_all = request.args.get("show") == "all"
    return render_template(
        "lost_calls.html", day=day, lost=lost if show_all else [
            item for item in lost if item.status in ("waiting", "tried")],
        show_all=show_all, summary=rules.recovery(lost),
        results=CALLBACK_RESULTS, notes_max=NOTES_MAX_CHARS, form=EmptyForm(),
        has_phone=bool(current_user.phone_interface), short_abandon_s=settings().short_abandon_s,
        failed_callbacks=callback_store.failed_requests(db()),
        auto_callback=settings().lost_call_auto_callback)


@bp.post("/callbacks/<int:request_id>/close")
@login_required
def close_callback(request_id: int):
    """A keep-my-place callback that reached nobody (line_callback/), dealt with by hand."""
    day = _office_day(request.form.get("day"))[0]
    if not EmptyForm().validate_on_submit():
        abort(400)
    note = request.form.get("notes", "").strip()
    if not note:
        flash(_("Say how it was dealt with."), "error")
        return _back(day)
    try:
        callback_store.close(db(), request_id, current_user.id, note, utcnow())
    except LineCallbackError:
        db().rollback()
        flash(_("This callback is not waiting for an agent."), "error")
        return _back(day)
    flash(_("Callback closed."), "ok")
    return _back(day)


@bp.post("/<callid>/call")
@login_required
def call_back(callid: str):
    day = _office_day(request.form.get("day"))[0]
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not current_user.phone_interface:
        flash(_("No phone is bound to your account: ask the supervisor."), "error")
        return _back(day)
    try:
        call = rules.lost_call(db(), callid, settings().short_abandon_s)
        attempt = rules.place_callback(db(), call, current_user, utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return _back(day)
    answer = run_command(settings(), "originate_call", agent_interface=current_user.phone_interface,
                         number=attempt.number, caller_id=settings().hotline_number)
    if not answer.get("ok"):
        # Nothing rang: the attempt is kept, as not reached, so the list says it was tried.
        rules.record_result(db(), attempt, "no_answer", "", utcnow())
        db().commit()
        flash(_("The call could not be placed: the telephone system did not take it."), "error")
        return _back(day)
    db().commit()
    flash(_("Your phone rings first; answer it and the resident %(number)s is dialled.",
            number=attempt.number), "ok")
    return _back(day)


@bp.post("/attempts/<int:attempt_id>/result")
@login_required
def record_result(attempt_id: int):
    day = _office_day(request.form.get("day"))[0]
    attempt = db().get(CallbackAttempt, attempt_id)
    if attempt is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rules.record_result(db(), attempt, request.form.get("result", ""),
                            request.form.get("notes", ""), utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return _back(day)
    db().commit()
    flash(_("Call-back result saved."), "ok")
    return _back(day)


@bp.post("/<callid>/close")
@login_required
def close(callid: str):
    day = _office_day(request.form.get("day"))[0]
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        call = rules.lost_call(db(), callid, settings().short_abandon_s)
        rules.close_without_call(db(), call, current_user, request.form.get("notes", ""), utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return _back(day)
    db().commit()
    flash(_("Closed without a call."), "ok")
    return _back(day)
