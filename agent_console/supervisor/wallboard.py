"""The live wallboard: the board against the norms, today's half hours, the wall mode.

The page is rendered with the stored board (call_queue.live) and then kept live
by namespace /wallboard (agent_console.supervisor.sockets); every figure comes
with its level against the norms (call_queue.norms, from the settings). The
intraday chart reads today's calls from the database (call_queue.intraday).
Listen/whisper/barge are posted to `supervisor.spy` (views.py).
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import jsonify, render_template, request

from agent_console.extensions import db, redis_client, roles_required, settings
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue import intraday
from call_queue.live import read_wallboard
from call_queue.norms import Norms
from call_queue.qa import scored_this_month
from workflow import abandoned

log = logging.getLogger(__name__)


def wallboard_norms() -> Norms:
    return Norms.from_settings(settings())


@bp.get("/wallboard")
@roles_required(*SUPERVISOR_ROLES)
def wallboard():
    now = dt.datetime.now(dt.timezone.utc)
    board = read_wallboard(redis_client(), norms=wallboard_norms())
    return render_template("supervisor/wallboard.html", board=board,
                           qa_counts=scored_this_month(db(), now, settings().office_timezone),
                           lost=abandoned.recovery_in_last_day(db(), now, settings().short_abandon_s),
                           office_timezone=settings().office_timezone,
                           wall=request.args.get("wall") == "1")


@bp.get("/wallboard/intraday.json")
@roles_required(*SUPERVISOR_ROLES)
def wallboard_intraday():
    """Today's offered, answered and abandoned calls and service level by half hour."""
    config = settings()
    today = dt.datetime.now(ZoneInfo(config.office_timezone)).date()
    slots = intraday.half_hours(db(), today, config.office_timezone,
                                service_level_s=config.service_level_s,
                                short_abandon_s=config.short_abandon_s,
                                queue=request.args.get("queue") or None)
    lost = abandoned.recovery_in_last_day(db(), dt.datetime.now(dt.timezone.utc),
                                          config.short_abandon_s)
    return jsonify(dict(intraday.to_json(slots, config.norm_service_level_pct),
                        day=today.isoformat(), lost_open=lost.open))
