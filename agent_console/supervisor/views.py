"""Listen/whisper/barge from the wallboard (its page: wallboard.py), and the statistics
page (table, chart, Excel)."""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import Response, jsonify, render_template, request
from flask_login import current_user

from agent_console.extensions import db, redis_client, roles_required, settings
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue.stats import export as stats_export, report as stats
from call_queue.errors import CallQueueError
from call_queue.live import read_wallboard
from call_queue.stats.measures import MEASURES
from call_queue.stats.queries import Period
from call_queue.stats.sql import BUCKETS
from call_queue.supervision import request_spy

log = logging.getLogger(__name__)


def _command_client():
    from telephony.commands import CommandClient

    return CommandClient(settings().redis_url, command_key=settings().command_key)


@bp.post("/spy")
@roles_required(*SUPERVISOR_ROLES)
def spy():
    """Listen, whisper or barge on an agent's current call (from the wallboard)."""
    data = request.get_json(silent=True) or request.form
    interface, mode = data.get("interface", ""), data.get("mode", "listen")
    agents = {agent["interface"]: agent for agent in read_wallboard(redis_client())["agents"]}
    agent = agents.get(interface)
    if agent is None:
        return jsonify({"ok": False, "message": f"{interface} is not on the board"}), 404
    try:
        answer = request_spy(db(), _command_client(),
                             supervisor_interface=current_user.phone_interface or "",
                             spyee_channel=agent["channel"], mode=mode,
                             supervisor_user_id=current_user.id, callid=agent["callid"])
    except CallQueueError as error:
        return jsonify({"ok": False, "message": str(error)}), 409
    db().commit()
    log.info("%s started %s on %s", current_user.username, mode, agent["channel"])
    return jsonify({"ok": True, "message": answer.get("message", "")})


def _period_from_request() -> Period:
    """The query's period; by default this month up to today, in the office's days."""
    zone = settings().office_timezone
    today = dt.datetime.now(ZoneInfo(zone)).date()
    start = request.args.get("from") or today.replace(day=1).isoformat()
    end = request.args.get("to") or (today + dt.timedelta(days=1)).isoformat()
    return stats.make_period(stats.parse_day(start, "from", zone),
                             stats.parse_day(end, "to", zone), request.args.get("by", "day"),
                             request.args.get("queue"), request.args.get("agent"), zone)


def _report():
    return stats.compute_stats(db(), _period_from_request(), settings())


@bp.get("/stats")
@roles_required(*SUPERVISOR_ROLES)
def stats_page():
    try:
        report = _report()
    except CallQueueError as error:
        return render_template("supervisor/stats.html", error=str(error), report=None,
                               measures=MEASURES, buckets=BUCKETS, args=request.args), 400
    return render_template("supervisor/stats.html", report=report, measures=MEASURES,
                           buckets=BUCKETS, args=request.args, error=None)


@bp.get("/stats.json")
@roles_required(*SUPERVISOR_ROLES)
def stats_json():
    try:
        return jsonify(_report())
    except CallQueueError as error:
        return jsonify({"error": str(error)}), 400


@bp.get("/stats.xlsx")
@roles_required(*SUPERVISOR_ROLES)
def stats_excel():
    try:
        report = _report()
    except CallQueueError as error:
        return Response(str(error), status=400, mimetype="text/plain")
    filename = f"hotline-stats-{report['from'][:10]}-{report['to'][:10]}.xlsx"
    return Response(stats_export.to_excel(report), headers={
        "Content-Disposition": f'attachment; filename="{filename}"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.app_template_filter("stat")
def format_stat(value, unit: str) -> str:
    """A measure's value for the table: rates as %, seconds and numbers to one decimal."""
    if value is None:
        return "—"
    if unit == "rate":
        return f"{value * 100:.1f} %"
    if unit in ("s", "number"):
        return f"{value:.1f}"
    return str(value)
