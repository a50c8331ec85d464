"""Call controls from the console: hang up, hold/retrieve, transfers, DTMF.

The browser names the call (callid) and, for safety, the channel it believes is
its own; the server takes the agent's channel from the live projection (the
phone's current "call" part) and refuses any other: an agent can act only on
the call their own phone is in. Commands go through the bridge's signed
command channel (agent_console.commands); Asterisk's answers become catalogue
messages. A transfer stores its context first (call_queue.transfer_context) and
then tells the receiving phone's console to pop the same household with the note.
"""
from __future__ import annotations

import logging
import re

from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from agent_console.commands import run_command
from agent_console.extensions import db, redis_client, settings
from agent_console.forms import EmptyForm
from agent_console.live import AgentLiveStore, channel_of_interface
from call_queue import transfer_context
from call_queue.live_schema import room_for
from households.errors import HouseholdNotFound
from households.numbers import format_number
from households.screen_pop import build_screen_pop
from households.terms import HouseholdTerms
from hotline.softphone import interface_for, softphone_extension
from models.calls import Call
from models.console import AccessAuditEntry, User
from telephony.call_control import DIGITS, EXTEN

log = logging.getLogger(__name__)
bp = Blueprint("call_control", __name__)

# console action -> bridge command
COMMANDS = {"hangup": "hangup", "hold": "hold", "retrieve": "retrieve",
            "blind_transfer": "blind_transfer", "consult": "attended_transfer",
            "complete": "attended_complete", "cancel": "attended_cancel", "dtmf": "dtmf"}
DONE = {"hangup": _l("The call is ended."), "hold": _l("The caller is on hold (music)."),
        "retrieve": _l("The caller is back on the line."),
        "blind_transfer": _l("The call is transferred."),
        "consult": _l("Calling the transfer target; the caller is on hold."),
        "complete": _l("The call is transferred."),
        "cancel": _l("Transfer cancelled: you are back with the caller."),
        "dtmf": _l("Keys sent.")}
REFUSED = {"not_yours": _l("This is not a call on your phone."),
           "no_call": _l("Your phone has no call now."),
           "bad_number": _l("Enter a valid number (digits only)."),
           "bad_digits": _l("Only the keys 0-9, * and # can be sent."),
           "bad_note": _l("The note is too long (at most 500 characters)."),
           "bad_request": _l("Invalid request."),
           "gone": _l("The call has already ended."),
           "failed": _l("The telephone system refused the request."),
           "unreachable": _l("The telephone system did not answer. Try again.")}
_AGENT_PHONE = re.compile(r"^80[0-9]{2}$")


def own_channel(live: AgentLiveStore, interface: str, callid: str) -> str | None:
    """The agent's channel in that call, if the phone is in it now; else None."""
    part = live.get(interface).get("call") if interface else None
    if not part or part.get("callid") != callid or part.get("interface") != interface:
        return None
    channel = part.get("agent_channel") or ""
    return channel if channel_of_interface(channel, interface) else None


def arguments_for(action: str, form) -> dict | str:
    """The command's extra arguments from the form, or the REFUSED key."""
    if action in ("blind_transfer", "consult"):
        exten = (form.get("exten") or "").strip()
        return {"exten": exten} if EXTEN.match(exten) else "bad_number"
    if action == "dtmf":
        digits = (form.get("digits") or "").strip()
        return {"digits": digits} if DIGITS.match(digits) else "bad_digits"
    return {}


def _refused(key: str, status: int = 400):
    return jsonify(ok=False, code=key, message=str(REFUSED[key])), status


def answer_message(answer: dict) -> str:
    if answer.get("ok"):
        return ""
    text = str(answer.get("message", ""))
    if any(words in text for words in ("No such channel", "does not exist", "not found")):
        return "gone"
    if "did not answer" in text or "not reachable" in text or "not answering" in text:
        return "unreachable"
    return "failed"


@bp.post("/api/calls/<callid>/control")
@login_required
def control(callid: str):
    if not EmptyForm().validate_on_submit():
        return _refused("bad_request")
    action = request.form.get("action", "")
    if action not in COMMANDS or len(callid) > 64:
        return _refused("bad_request")
    interface = current_user.phone_interface or ""
    channel = own_channel(AgentLiveStore(redis_client()), interface, callid)
    claimed = request.form.get("channel")
    if channel is None or (claimed and claimed != channel):
        log.warning("user %s refused %s on call %s channel %r (own: %r)", current_user.username,
                    action, callid, claimed, channel)
        return _refused("not_yours" if claimed else "no_call", 403)
    extra = arguments_for(action, request.form)
    if isinstance(extra, str):
        return _refused(extra)
    if action in ("blind_transfer", "consult"):
        refusal = _store_context(callid, interface, extra["exten"], action)
        if refusal:
            return _refused(refusal)
    answer = run_command(settings(), COMMANDS[action], channel=channel, **extra)
    _audit(action, callid, extra, bool(answer.get("ok")))
    problem = answer_message(answer)
    if problem:
        return jsonify(ok=False, code=problem, message=str(REFUSED[problem])), 409
    if action in ("blind_transfer", "complete"):
        _announce_transfer(callid)
    return jsonify(ok=True, message=str(DONE[action]))


def _store_context(callid: str, interface: str, exten: str, action: str) -> str | None:
    raw_household = request.form.get("household_id", "")
    orders = [int(n) for n in request.form.getlist("work_order_id") if n.isdigit()][:20]
    try:
        context = transfer_context.TransferContext(
            callid=callid, from_user=current_user.username, from_interface=interface,
            target=exten,
            target_interface=receiving_interface(AgentLiveStore(redis_client()), exten),
            kind="blind" if action == "blind_transfer" else "attended",
            household_id=int(raw_household) if raw_household.isdigit() else None,
            note=(request.form.get("note") or "").strip(), work_order_ids=tuple(orders))
    except transfer_context.TransferContextError:
        return "bad_note"
    transfer_context.save(redis_client(), context)
    return None


def receiving_interface(live: AgentLiveStore, exten: str) -> str:
    """The phone a transfer to an agent's extension 80NN rings, "" for another number.

    An agent who works on the console's softphone is logged in to the queue on
    PJSIP/webrtc-80NN: the transfer rings that (the dialplan's hotline-transfer
    picks the same interface from the queue's members), and the pop goes to the
    browser signed in on it. Anyone else (a desk phone, a supervisor outside
    the queue) is rung on the desk phone PJSIP/80NN, as before.
    """
    if not _AGENT_PHONE.match(exten):
        return ""
    softphone = interface_for(exten)
    return softphone if (live.get(softphone).get("state") or {}).get("present") else \
        f"PJSIP/{exten}"


def _announce_transfer(callid: str) -> None:
    """Tell the receiving phone's console (if an agent's) to pop the transferred call."""
    context = transfer_context.load(redis_client(), callid)
    if context is None or not context.target_interface:
        return
    current_app.extensions["socketio"].emit(
        "transfer_pop", {"callid": callid}, namespace="/agent",
        to=room_for(context.target_interface))


def _audit(action: str, callid: str, extra: dict, ok: bool) -> None:
    target = f"call_control:{action}" + (f":{extra['exten']}" if "exten" in extra else "")
    db().add(AccessAuditEntry(user_id=current_user.id, action="call_control",
                              target=f"{target}:{'ok' if ok else 'refused'}"[:120], callid=callid))
    db().commit()


@bp.get("/api/transfers/<callid>")
@login_required
def transferred_pop(callid: str):
    """The receiving agent's pop: the same household, the note, who sent it."""
    context = transfer_context.for_receiver(redis_client(), callid,
                                            current_user.phone_interface or "")
    if context is None:
        return jsonify(ok=False, message=str(REFUSED["not_yours"])), 404
    pop = None
    if context.household_id is not None:
        try:
            pop = build_screen_pop(db(), context.household_id, callid,
                                   terms=HouseholdTerms.from_settings(settings()))
        except HouseholdNotFound:
            pop = None
        db().add(AccessAuditEntry(user_id=current_user.id, action="household_open",
                                  target=f"household:{context.household_id}", callid=callid))
        db().commit()
    caller = db().scalar(select(Call.caller_number).where(Call.callid == callid))
    sender = db().scalar(select(User).where(User.username == context.from_user))
    return jsonify(ok=True, callid=callid, note=context.note,
                   from_user=(sender.display_name if sender else "") or context.from_user,
                   caller_number=format_number(caller),
                   kind=context.kind, household_id=context.household_id,
                   work_order_ids=list(context.work_order_ids), pop=pop)


@bp.get("/api/transfer-targets")
@login_required
def transfer_targets():
    """Agents logged in to the queue now (the live projection) and supervisors, by phone."""
    live = AgentLiveStore(redis_client())
    users = db().scalars(select(User).where(User.phone_interface.is_not(None))
                         .order_by(User.role.desc(), User.username)).all()
    targets = []
    for user in users:
        # A softphone agent (PJSIP/webrtc-80NN) is transferred to by the same 80NN.
        exten = softphone_extension(user.phone_interface) or \
            (user.phone_interface or "").removeprefix("PJSIP/")
        if user.id == current_user.id or not _AGENT_PHONE.match(exten):
            continue
        if user.role == "agent" and not live.get(user.phone_interface).get("state"):
            continue  # not logged in to the queue: nobody would answer
        role = _l("Supervisor") if user.role != "agent" else _l("Agent")
        targets.append({"exten": exten, "label": f"{role} {user.display_name or user.username}"
                        f" ({exten})", "role": user.role})
    return jsonify(targets=targets)
