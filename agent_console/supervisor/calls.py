"""The call list page: a day's calls to listen to and score (issue 14, point 2).

Rows link their recording (played by agent_console/supervisor/recordings.py with
HTTP Range), their work orders and the QA form, which comes back to the same
filtered page after a score is saved.
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l

from agent_console.errors import InvalidCallFilter
from agent_console.extensions import db, roles_required, settings
from agent_console.labels import CATALOGUE
from agent_console.supervisor import bp, call_list
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue.qa import MAX_TOTAL, scored_this_month
from models.calls import CALL_OUTCOMES

log = logging.getLogger(__name__)

FILTER_ERRORS = {
    "day": _l("The day must be a date such as 2026-03-01."),
    "outcome": _l("Choose an outcome from the list."),
    "page": _l("The page must be a whole number from 1."),
    "min_talk": _l("Talk time: give seconds or m:ss, such as 90 or 1:30."),
    "max_talk": _l("Talk time: give seconds or m:ss, no shorter than the minimum."),
    "household": _l("No household has that number."),
}
SPEEDS = ("0.75", "1", "1.25", "1.5", "2")


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(settings().office_timezone)).date()


def _queues() -> list[str]:
    """The queues a supervisor can pick: the configured one and any the catalogue names."""
    return sorted({settings().queue_name, *CATALOGUE["queue"]})


def _page_url(page: int) -> str:
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return url_for("supervisor.call_list", page=page, **args)


@bp.get("/calls", endpoint="call_list")
@roles_required(*SUPERVISOR_ROLES)
def call_list_page():
    zone = settings().office_timezone
    session = db()
    error, result, wanted = None, None, None
    try:
        wanted = call_list.parse_filter(request.args, _today())
        result = call_list.find_calls(session, wanted, zone)
    except InvalidCallFilter as problem:
        log.info("call list filter refused: %s", problem)
        error = FILTER_ERRORS[problem.field]
    scored = scored_this_month(session, dt.datetime.now(dt.timezone.utc), zone)
    return render_template(
        "supervisor/calls.html", result=result, wanted=wanted, error=error,
        args=request.args, today=_today(), agents=call_list.agent_names(session),
        queues=_queues(), outcomes=CALL_OUTCOMES, speeds=SPEEDS, max_total=MAX_TOTAL,
        qa_counts=call_list.qa_counts(session, scored), norm=(call_list.QA_NORM_MIN,
                                                              call_list.QA_NORM_MAX),
        page_url=_page_url, list_url=request.full_path.rstrip("?")), 400 if error else 200

