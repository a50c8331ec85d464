"""The agent's screen: state buttons, the pop, household search during a call."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agent_console.commands import run_command, state_command
from agent_console.extensions import db, redis_client, settings
from agent_console.forms import PAUSE_REASONS, AgentStateForm, EmptyForm
from agent_console.live import AgentLiveStore
from households.terms import HouseholdTerms
from agent_console import card, wrapup
from call_queue import transfer_context
from models.base import utcnow
from models.console import AccessAuditEntry, AgentStateLog
from models.wrapup import WRAPUP_REASONS

log = logging.getLogger(__name__)
bp = Blueprint("agent", __name__)
bp.register_blueprint(wrapup.bp)
bp.register_blueprint(card.bp)

SEARCH_MAX_CHARS = 60
SEARCH_MAX_RESULTS = 20


def live_store() -> AgentLiveStore:
    return AgentLiveStore(redis_client())


def is_supervisor() -> bool:
    return current_user.role in ("supervisor", "admin")


def call_part_or_404(callid: str) -> dict:
    """The agent's stored part of that call; 404 for a call that is not theirs.

    Supervisors and admins may look at any call; they get an empty part.
    """
    if not callid or len(callid) > 64:
        abort(404)
    part = None
    if current_user.phone_interface:
        part = (live_store().call_part(current_user.phone_interface, callid)
                or _transferred_part(callid, current_user.phone_interface))
    if part is None and not is_supervisor():
        abort(404)
    return part or {"callid": callid}


def _transferred_part(callid: str, interface: str) -> dict | None:
    """A call transferred to this agent's phone is theirs too: the order they file
    for it links the same call, with the household the sender chose."""
    context = transfer_context.for_receiver(redis_client(), callid, interface)
    if context is None:
        return None
    return {"callid": callid, "household_id": context.household_id, "transferred": True}


def audit(action: str, target: str, callid: str | None) -> None:
    db().add(AccessAuditEntry(user_id=current_user.id, action=action, target=target,
                              callid=callid))
    db().commit()


@bp.get("/")
def index():
    return redirect(url_for("agent.console"))


@bp.get("/console")
@login_required
def console():
    return render_template("console.html", state_form=AgentStateForm(), empty_form=EmptyForm(),
                           wrapup_s=settings().wrapup_s, wrapup_form=wrapup.WrapupForm(),
                           wrapup_required=settings().wrapup_required,
                           wrapup_reasons=WRAPUP_REASONS)


@bp.post("/agent/state")
@login_required
def change_state():
    form = AgentStateForm()
    if not form.validate_on_submit():
        return jsonify(ok=False, message=_("Invalid request.")), 400
    interface = current_user.phone_interface
    if not interface:
        return jsonify(ok=False, message=_("No phone is bound to your account.")), 400
    if form.action.data == "pause" and form.reason.data not in PAUSE_REASONS:
        return jsonify(ok=False, message=_("Choose a pause reason.")), 400
    if form.action.data == "ready" and settings().wrapup_required:
        missing = wrapup.pending_wrapup(db(), live_store(), interface, utcnow())
        if missing is not None:
            text = _("Save the wrap-up of your last call (reason and summary) before going ready.")
            return jsonify(ok=False, message=text, console_message=text,
                           wrapup_callid=missing.callid,
                           wrapup_household_id=missing.household_id), 409
    name, arguments = state_command(form.action.data, interface, settings().queue_name,
                                    current_user.display_name or current_user.username,
                                    form.reason.data or "")
    answer = run_command(settings(), name, **arguments)
    db().add(AgentStateLog(user_id=current_user.id, interface=interface,
                           action=form.action.data, reason=form.reason.data or "",
                           ok=bool(answer.get("ok")), message=str(answer["message"])[:255]))
    db().commit()
    return jsonify(ok=bool(answer.get("ok")), message=str(answer["message"]))


@bp.get("/api/households/search")
@login_required
def household_search():
    callid = request.args.get("callid", "")
    call_part_or_404(callid)
    text = request.args.get("q", "").strip()
    if not text:
        return jsonify(results=[])
    if len(text) > SEARCH_MAX_CHARS:
        return jsonify(error=_("Search text is too long.")), 400
    from households.lookup import search_households

    results = search_households(db(), text, local_area_code=settings().local_area_code
                                )[:SEARCH_MAX_RESULTS]
    audit("household_search", text, callid)
    return jsonify(results=[_json_ready(result) for result in results])


@bp.get("/api/households/<int:household_id>/pop")
@login_required
def household_pop(household_id: int):
    callid = request.args.get("callid", "")
    call_part_or_404(callid)
    from households.errors import HouseholdNotFound
    from households.screen_pop import build_screen_pop

    try:
        pop = build_screen_pop(db(), household_id, callid,
                               terms=HouseholdTerms.from_settings(settings()))
    except HouseholdNotFound:
        abort(404)
    audit("household_open", f"household:{household_id}", callid)
    return jsonify(pop)


@bp.post("/api/calls/<callid>/household")
@login_required
def choose_household(callid: str):
    """The agent picked the caller's household (among candidates or from search)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    call_part_or_404(callid)
    raw = request.form.get("household_id", "")
    if not raw.isdigit():
        return jsonify(ok=False, message=_("Invalid household.")), 400
    interface = current_user.phone_interface
    store = live_store()
    current = store.get(interface) if interface else {}
    for name in ("ringing", "call", "wrapup"):
        part = current.get(name)
        if part and part.get("callid") == callid:
            part["household_id"] = int(raw)
            store.put(interface, **{name: part})
    return jsonify(ok=True)


def _json_ready(result) -> dict:
    if isinstance(result, dict):
        return result
    if hasattr(result, "as_dict"):
        return result.as_dict()
    return {key: value for key, value in vars(result).items() if not key.startswith("_")}
