"""Wrap-up: the reason (category) and a short summary of every answered call.

Saved per call (models.wrapup.CallWrapup) and shown in the household's call
history. With settings.wrapup_required the "ready" action is refused while the
agent's last answered call has none (agent_views.change_state asks
`pending_wrapup`). The countdown in the form is settings.wrapup_s, the value
rendered into queues.conf `wrapuptime`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired

from agent_console.extensions import db
from agent_console.forms import at_most, options
from agent_console.live import AgentLiveStore
from models.base import utcnow
from models.calls import Call
from models.wrapup import SUMMARY_MAX_CHARS, WRAPUP_REASONS, CallWrapup

log = logging.getLogger(__name__)
bp = Blueprint("wrapup", __name__)

# A call answered longer ago than a shift does not hold the agent back from "ready".
OBLIGATION_WINDOW = dt.timedelta(hours=12)


class WrapupForm(FlaskForm):
    reason = SelectField(_l("Call reason"), choices=options(WRAPUP_REASONS, blank=True),
                         validators=[DataRequired(_l("Choose the call's reason."))])
    summary = TextAreaField(_l("Summary"), validators=[
        DataRequired(_l("Write a short summary of the call.")), at_most(SUMMARY_MAX_CHARS)])
    household_id = HiddenField(validators=[at_most(12)])


@dataclasses.dataclass(frozen=True)
class PendingWrapup:
    callid: str
    household_id: int | None


def _wrapped_up(session: Session, callid: str) -> bool:
    return session.scalar(select(CallWrapup.id).where(CallWrapup.callid == callid)) is not None


def _live_household(part: dict) -> int | None:
    household = ((part.get("pop") or {}).get("household") or {}).get("household") or {}
    return part.get("household_id") or household.get("id")


def pending_wrapup(session: Session, store: AgentLiveStore, interface: str,
                   now: dt.datetime) -> PendingWrapup | None:
    """The agent's last answered call without a wrap-up: the live after-call work
    (the bridge may not have stored the call yet), else the newest answered call on
    this phone within the window."""
    part = store.get(interface).get("wrapup") or {}
    if part.get("callid") and not _wrapped_up(session, part["callid"]):
        return PendingWrapup(part["callid"], _live_household(part))
    callid = session.scalar(
        select(Call.callid).where(Call.agent_interface == interface,
                                  Call.answered_at >= now - OBLIGATION_WINDOW)
        .order_by(Call.answered_at.desc()).limit(1))
    if callid and not _wrapped_up(session, callid):
        return PendingWrapup(callid, None)
    return None


def save_wrapup(session: Session, user, callid: str, reason: str, summary: str,
                household_id: int | None) -> CallWrapup:
    """Store (or correct) the call's wrap-up; one row per call."""
    wrapup = session.scalar(select(CallWrapup).where(CallWrapup.callid == callid))
    if wrapup is None:
        wrapup = CallWrapup(callid=callid, user_id=user.id)
        session.add(wrapup)
    wrapup.user_id, wrapup.interface = user.id, user.phone_interface or ""
    wrapup.reason, wrapup.summary = reason, summary.strip()
    wrapup.household_id = household_id or wrapup.household_id
    wrapup.saved_at = utcnow()
    session.commit()
    log.info("%s wrapped up call %s (%s)", user.username, callid, reason)
    return wrapup


def _may_wrap_up(callid: str) -> bool:
    """The call is (or was) on the agent's own phone: live or as stored."""
    from agent_console.agent_views import live_store

    interface = current_user.phone_interface
    if not interface or not callid or len(callid) > 64:
        return False
    if live_store().call_part(interface, callid) is not None:
        return True
    return db().scalar(select(Call.id).where(Call.callid == callid,
                                             Call.agent_interface == interface)) is not None


@bp.get("/api/wrapup/pending")
@login_required
def pending():
    from agent_console.agent_views import live_store

    interface = current_user.phone_interface
    found = pending_wrapup(db(), live_store(), interface, utcnow()) if interface else None
    return jsonify(pending=dataclasses.asdict(found) if found else None)


@bp.post("/api/calls/<callid>/wrapup")
@login_required
def save(callid: str):
    if not _may_wrap_up(callid):
        log.warning("%s refused the wrap-up of %r", current_user.username, callid)
        return jsonify(ok=False, message=_("This call was not on your phone.")), 404
    form = WrapupForm()
    if not form.validate_on_submit():
        errors = {name: [str(e) for e in field.errors] for name, field in form._fields.items()
                  if field.errors}
        return jsonify(ok=False, message=_("The wrap-up was not saved: see the marked fields."),
                       errors=errors), 400
    raw = form.household_id.data or ""
    save_wrapup(db(), current_user, callid, form.reason.data, form.summary.data,
                int(raw) if raw.isdigit() else None)
    return jsonify(ok=True, message=_("Wrap-up saved."))
