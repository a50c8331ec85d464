"""The night duty log (夜间值班记录表) on the console: the night shift logs calls and
events; at the morning handover each open entry becomes an order or is closed
with a reason (workflow.night_log)."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint, abort, flash, redirect, render_template, request, send_file, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agent_console.extensions import db, settings
from agent_console.forms import EmptyForm
from agent_console.supervisor.call_list import households_by_number
from households.matching import match_caller
from models.base import utcnow
from models.households import Household
from models.console import User
from models.night_log import REASON_MAX_CHARS, SOURCE_LINE, SUMMARY_MAX_CHARS, NightLogEntry
from workflow import night_log as rules
from workflow.errors import WorkflowError

bp = Blueprint("night_log", __name__, url_prefix="/night-log")

REFUSALS = {
    "say what happened": lambda: _("Say what happened."),
    "the summary is too long": lambda: _("The summary is too long."),
    "this entry was already handed over": lambda: _("This entry was already handed over."),
    "choose what kind of order": lambda: _("Choose what kind of order."),
    "say why no order is needed": lambda: _("Say why no order is needed."),
    "the reason is too long": lambda: _("The reason is too long."),
}


def _refusal(error: Exception) -> str:
    known = REFUSALS.get(str(error))
    return known() if known else _("The request was refused.")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings().office_timezone)


def _page(status: int = 200, typed: dict | None = None, error: str = ""):
    now = utcnow()
    calls = rules.unlogged_night_calls(db(), now, _zone())
    households = households_by_number(db(), {c.caller_number for c in calls if c.caller_number})
    entries = rules.open_entries(db())
    numbers = dict(db().query(Household.id, Household.number).filter(
        Household.id.in_({e.household_id for e in entries if e.household_id})).all()) if entries else {}
    duty_ids = {e.duty_user_id for e in entries if e.duty_user_id}
    duty_names = {u.id: u.display_name or u.username for u in db().query(User).filter(
        User.id.in_(duty_ids))} if duty_ids else {}
    return render_template("night_log.html", entries=entries, calls=calls, households=households,
                           household_numbers=numbers, duty_names=duty_names,
                           form=EmptyForm(), typed=typed or {},
                           error=error, kinds=rules.ORDER_KINDS_FROM_LOG,
                           summary_max=SUMMARY_MAX_CHARS, reason_max=REASON_MAX_CHARS), status


@bp.get("")
@login_required
def show():
    return _page()


@bp.post("")
@login_required
def add_entry():
    if not EmptyForm().validate_on_submit():
        abort(400)
    typed = {"summary": request.form.get("summary", ""), "urgent": bool(request.form.get("urgent")),
             "callid": request.form.get("callid", ""), "caller_number": request.form.get("caller_number", "")}
    # The screen-pop's rule: the number normalised, one household only.
    household_id = match_caller(db(), typed["caller_number"], settings().local_area_code).household_id
    try:
        rules.log_entry(db(), current_user, rules.EntryInput(
            summary=typed["summary"], urgent=typed["urgent"], callid=typed["callid"] or None,
            caller_number=typed["caller_number"], household_id=household_id), utcnow())
    except WorkflowError as error:
        db().rollback()
        return _page(422, typed, _refusal(error))  # what was typed stays in the form
    db().commit()
    flash(_("Logged."), "ok")
    return redirect(url_for("night_log.show"), 303)


def _entry_or_404(entry_id: int) -> NightLogEntry:
    entry = db().get(NightLogEntry, entry_id)
    if entry is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return entry


@bp.post("/<int:entry_id>/order")
@login_required
def make_order(entry_id: int):
    entry = _entry_or_404(entry_id)
    try:
        if entry.source == SOURCE_LINE:
            rules.write_what_was_heard(entry, request.form.get("summary", ""))
        order = rules.turn_into_order(db(), entry, current_user, request.form.get("kind", ""),
                                      utcnow(), _zone())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return redirect(url_for("night_log.show"), 303)
    db().commit()
    flash(_("Work order %(id)s created.", id=order.id), "ok")
    return redirect(url_for("night_log.show"), 303)


@bp.post("/<int:entry_id>/close")
@login_required
def close(entry_id: int):
    entry = _entry_or_404(entry_id)
    try:
        rules.close_entry(db(), entry, current_user, request.form.get("reason", ""), utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return redirect(url_for("night_log.show"), 303)
    db().commit()
    flash(_("Closed with its reason."), "ok")
    return redirect(url_for("night_log.show"), 303)


@bp.get("/<int:entry_id>/<which>.wav")
@login_required
def sound(entry_id: int, which: str):
    """The night call's recording or its voicemail, from the recordings folder."""
    entry = db().get(NightLogEntry, entry_id)
    if which not in ("recording", "voicemail"):
        abort(404)
    relative = getattr(entry, which, "") if entry is not None else ""
    folder = Path(settings().recordings_dir).resolve()
    path = (folder / relative).resolve() if relative else None
    if path is None or folder not in path.parents or not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", conditional=True)
