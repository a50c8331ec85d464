"""The live wallboard: the board against the norms, today's half hours, the wall mode.

The page is rendered with the stored board (call_queue.live) and then kept live
by namespace /wallboard (agent_console.supervisor.sockets); every figure comes
with its level against the norms (call_queue.norms, from the settings). The
intraday chart reads today's calls from the database (call_queue.intraday), the
night cover the rota (call_queue.rota.night_cover), both refreshed every minute.
Listen/whisper/barge are posted to `supervisor.spy` (views.py).
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import jsonify, render_template, request
from sqlalchemy import func, select

from agent_console.extensions import db, redis_client, roles_required, settings
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue import intraday, rota
from call_queue.live import read_wallboard
from call_queue.norms import Norms
from call_queue.qa import scored_this_month
from models.calls import Call
from workflow import abandoned

log = logging.getLogger(__name__)


def wallboard_norms() -> Norms:
    return Norms.from_settings(settings())


def stored_calls_today(now: dt.datetime) -> dict[str, int]:
    """Calls each agent answered today (office day), from the stored calls: the board's
    own count starts again when the bridge rebuilds it, the database's does not."""
    zone = ZoneInfo(settings().office_timezone)
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone)
    return dict(db().execute(
        select(Call.agent_interface, func.count(Call.id))
        .where(Call.answered_at >= midnight, Call.answered_at < midnight + dt.timedelta(days=1),
               Call.agent_interface.is_not(None))
        .group_by(Call.agent_interface)).all())


def night_cover_json(now: dt.datetime) -> list[dict]:
    """The rota's night cover as the board shows it: name, extension, office times."""
    zone = ZoneInfo(settings().office_timezone)
    return [{"name": cover.name,
             "phone": (cover.interface or "").split("/")[-1],
             "starts": cover.starts_at.astimezone(zone).strftime("%H:%M"),
             "ends": cover.ends_at.astimezone(zone).strftime("%H:%M"),
             "day": cover.starts_at.astimezone(zone).date().isoformat(),
             "now": cover.now} for cover in rota.night_cover(db(), now)]


@bp.get("/wallboard")
@roles_required(*SUPERVISOR_ROLES)
def wallboard():
    now = dt.datetime.now(dt.timezone.utc)
    board = read_wallboard(redis_client(), norms=wallboard_norms())
    return render_template("supervisor/wallboard.html", board=board,
                           qa_counts=scored_this_month(db(), now, settings().office_timezone),
                           lost=abandoned.recovery_in_last_day(db(), now, settings().short_abandon_s),
                           office_timezone=settings().office_timezone,
                           night_cover=night_cover_json(now),
                           calls_today=stored_calls_today(now),
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
                        day=today.isoformat(), lost_open=lost.open,
                        night_cover=night_cover_json(dt.datetime.now(dt.timezone.utc)),
                        calls_today=stored_calls_today(dt.datetime.now(dt.timezone.utc))))
