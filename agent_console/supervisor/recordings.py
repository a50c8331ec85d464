"""Recordings played in the browser (HTTP Range) and the QA form.

Supervisors may play any call; an agent only calls answered on their own phone.
Every opening of a recording leaves an AuditLog row. A Range request counts as
the continuation of a playback (no new row) only if every range it asks for starts
after byte 0 and the same user opened the same recording within PLAYBACK_WINDOW_S;
anything else - `bytes=0-` however spelt (`bytes=00-`, `BYTES = 0-`), a suffix
range (`bytes=-N`, the last N bytes), several ranges, an unparsable header - is an
opening.
"""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.http import parse_range_header

from agent_console.extensions import db, redis_client, roles_required, settings
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue import qa
from call_queue.errors import QaError, RecordingError
from models.calls import Call
from models.supervision import QaScore

log = logging.getLogger(__name__)

# A browser seeks within a recording for as long as the page is open.
PLAYBACK_WINDOW_S = 3600
PLAYBACK_KEY = "hotline:console:playback:{user_id}:{callid}"


def _call_or_404(callid: str) -> Call:
    call = db().scalar(select(Call).where(Call.callid == callid))
    if call is None:
        abort(404)
    return call


def _may_hear(call: Call) -> bool:
    if current_user.role in SUPERVISOR_ROLES:
        return True
    return bool(current_user.phone_interface) and call.agent_interface == current_user.phone_interface


def _continues_a_playback(callid: str) -> bool:
    """A Range request that only continues a playback this user opened lately."""
    ranges = parse_range_header(request.headers.get("Range"))
    if ranges is None or ranges.units != "bytes" or len(ranges.ranges) != 1:
        return False
    start, _stop = ranges.ranges[0]
    if start <= 0:  # 0 is the start; a negative start is a suffix range (the last bytes)
        return False
    return bool(redis_client().exists(_playback_key(callid)))


def _playback_key(callid: str) -> str:
    return PLAYBACK_KEY.format(user_id=current_user.id, callid=callid)


def _note_opening(callid: str, file_name: str) -> None:
    qa.audit(db(), current_user, "recording_opened", callid, file_name)
    db().commit()
    redis_client().set(_playback_key(callid), 1, ex=PLAYBACK_WINDOW_S)


@bp.get("/recordings/<callid>")
@login_required
def recording(callid: str):
    call = _call_or_404(callid)
    if not _may_hear(call):
        log.warning("%s refused the recording of %s", current_user.username, callid)
        abort(403)
    try:
        path = qa.recording_file(call, settings().recordings_dir)
    except RecordingError as error:
        log.warning("recording of %s not served: %s", callid, error)
        abort(404)
    if not _continues_a_playback(callid):
        _note_opening(callid, str(path.name))
    return send_file(path, conditional=True, mimetype="audio/wav", max_age=0)


@bp.route("/qa/<callid>", methods=["GET", "POST"])
@roles_required(*SUPERVISOR_ROLES)
def qa_form(callid: str):
    call = _call_or_404(callid)
    error = None
    if request.method == "POST":
        try:
            scores = qa.parse_criteria(request.form)
            qa.save_score(db(), callid, scores, current_user.id, request.form.get("comment", ""))
            db().commit()
            flash(_("QA score saved for call %(callid)s.", callid=callid), "info")
            return redirect(_back_to_list() or url_for("supervisor.qa_form", callid=callid))
        except QaError as error_:
            error = str(error_)
    scores = db().scalars(select(QaScore).where(QaScore.callid == callid)
                          .order_by(QaScore.scored_at.desc())).all()
    return render_template("supervisor/qa.html", call=call, criteria=qa.CRITERIA,
                           max_total=qa.MAX_TOTAL, scores=scores, error=error,
                           form=request.form, back=_back_to_list()), 400 if error else 200


def _back_to_list() -> str | None:
    """The call list page the form was opened from; only that page, never another site."""
    back = request.values.get("back", "")
    list_path = url_for("supervisor.call_list")
    if back == list_path or back.startswith(list_path + "?"):
        return back
    return None
