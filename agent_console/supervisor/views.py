"""Listen/whisper/barge from the wallboard (its page: wallboard.py), and the statistics
page (table, chart, Excel)."""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import Response, jsonify, render_template, request
from flask_babel import gettext
from flask_login import current_user

from agent_console.command_routes import SPY_ACROSS_HOSTS, refusal
from agent_console.commands import RoutedCommands, route_of
from agent_console.extensions import db, redis_client, roles_required, settings
from agent_console.supervisor import bp
from agent_console.supervisor.call_list import agent_names
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue.stats import export as stats_export, report as stats
from call_queue.errors import CallQueueError, StatsError
from call_queue.live import read_wallboard
from call_queue.stats.groups import BREAKDOWNS, grouped
from call_queue.stats.presets import PRESETS, office_today, preset_range
from call_queue.stats.queries import Period
from call_queue.stats.sql import BUCKETS
from call_queue.supervision import request_spy

log = logging.getLogger(__name__)


def _command_client(agent: str) -> RoutedCommands:
    """Commands about `agent`, sent to its host's bridge (agent_console.command_routes)."""
    return RoutedCommands(settings(), agent)


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
    # ChanSpy runs on the spied call's Asterisk and rings the supervisor's phone from
    # there: both must be on the host of the agent's bridge.
    spied = route_of(settings(), interface)
    if not spied.running:
        return jsonify(refusal(spied)), 409
    supervisor = route_of(settings(), current_user.phone_interface or "")
    if current_user.phone_interface and supervisor.host != spied.host:
        log.info("%s may not spy on %s: phone on host %s, the call on %s",
                 current_user.username, interface, supervisor.host, spied.host)
        return jsonify({"ok": False, "message": SPY_ACROSS_HOSTS, "host": spied.host}), 409
    try:
        answer = request_spy(db(), _command_client(interface),
                             supervisor_interface=current_user.phone_interface or "",
                             spyee_channel=agent["channel"], mode=mode,
                             supervisor_user_id=current_user.id, callid=agent["callid"])
    except CallQueueError as error:
        return jsonify({"ok": False, "message": str(error)}), 409
    db().commit()
    log.info("%s started %s on %s", current_user.username, mode, agent["channel"])
    return jsonify({"ok": True, "message": answer.get("message", "")})


def _period_from_request() -> Period:
    """The query's period: a preset (today, last month...) or from/to; by default this
    month up to today, in the office's days."""
    zone = settings().office_timezone
    args = request.args
    now = dt.datetime.now(dt.timezone.utc)
    if args.get("preset"):
        days = preset_range(args["preset"], now, zone)
        start, end = days.utc_bounds(zone)
        return stats.make_period(start, end, args.get("by") or days.by, args.get("queue"),
                                 args.get("agent"), zone)
    today = office_today(now, zone)
    start = args.get("from") or today.replace(day=1).isoformat()
    end = args.get("to") or _day_after(args.get("until")) or (today + dt.timedelta(days=1)).isoformat()
    return stats.make_period(stats.parse_day(start, "from", zone),
                             stats.parse_day(end, "to", zone), args.get("by", "day"),
                             args.get("queue"), args.get("agent"), zone)


def _day_after(until: str | None) -> str | None:
    """The page's form names its last day (`until`, included); the period ends after it."""
    if not until:
        return None
    try:
        return (dt.date.fromisoformat(until) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        raise StatsError(f"until: {until!r} is not a date (YYYY-MM-DD)") from None


def _report():
    return stats.compute_stats(db(), _period_from_request(), settings())


def _page(report, error, status=200, errors=None):
    """The page; the form shows the period's first and end day as the office's dates
    (the report's bounds are UTC: Shanghai's midnight is the day before in UTC)."""
    days = {}
    if report:
        zone = ZoneInfo(report["time_zone"])
        days = {name: dt.datetime.fromisoformat(report[name]).astimezone(zone).date().isoformat()
                for name in ("from", "to")}
        days["until"] = (dt.date.fromisoformat(days["to"]) - dt.timedelta(days=1)).isoformat()
    return render_template("supervisor/stats.html", report=report, error=error, days=days,
                           errors=errors or {},
                           names=agent_names(db()) if report else {},
                           groups=grouped(), breakdowns=BREAKDOWNS, presets=PRESETS,
                           buckets=BUCKETS, args=request.args), status


def _form_errors(args) -> dict[str, str]:
    """The page form's fields that cannot be read, each with its message (in the user's
    language), so the page says them next to the field and keeps what was typed."""
    errors, dates = {}, {}
    for field in ("from", "until"):
        if args.get(field):
            try:
                dates[field] = dt.date.fromisoformat(args[field])
            except ValueError:
                errors[field] = gettext("Not a date: use the calendar (year-month-day).")
    if len(dates) == 2 and dates["until"] < dates["from"]:
        errors["until"] = gettext("The end date is before the start date.")
    if args.get("by") and args["by"] not in BUCKETS:
        errors["by"] = gettext("Choose one of the list.")
    if args.get("preset") and args["preset"] not in PRESETS:
        errors["preset"] = gettext("No such period.")
    return errors


@bp.get("/stats")
@roles_required(*SUPERVISOR_ROLES)
def stats_page():
    errors = _form_errors(request.args)
    if errors:
        return _page(None, None, 400, errors)
    try:
        report = _report()
    except CallQueueError as error:
        return _page(None, str(error), 400)
    return _page(report, None)


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
