"""The seeds' periodic reports in the statistics area (supervisors and admins): a
page per report (period form, figures, a chart, tables), its Excel workbook and
its JSON. The figures are reports.figures'; this module only picks the period,
words and draws.

Registered in agent_console/__init__.py BLUEPRINTS as
"agent_console.supervisor.reports_view:bp"; templates and script live beside the
supervisor pages (supervisor/reports.html, reports.js).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional
from zoneinfo import ZoneInfo

import flask_babel
from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext as _

from agent_console.extensions import db, roles_required, settings
from agent_console.labels import label
from agent_console.supervisor import report_charts
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from reports import figures, periods, render, texts
from reports.errors import ReportError

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__, url_prefix="/supervisor/reports")

BUILDERS = {"weekly-complaints": figures.weekly_complaints, "monthly": figures.monthly_analysis,
            "repair-timeliness": figures.repair_timeliness}
ENDPOINTS = {"weekly-complaints": "weekly_complaints", "monthly": "monthly",
             "repair-timeliness": "repair_timeliness"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _zone() -> str:
    return settings().office_timezone


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(_zone())).date()


def field_messages() -> dict[str, str]:
    """What to tell the user next to a field the period could not be read from."""
    return {"week": _("Enter an ISO week such as 2026-W48."),
            "month": _("Enter a month such as 2026-11."),
            "from": _("Enter the first day as a date (YYYY-MM-DD)."),
            "to": _("Enter the last day as a date on or after the first, at most a year later.")}


def period_for(kind: str, args) -> periods.ReportPeriod:
    zone = _zone()
    if kind == "weekly-complaints":
        week = (args.get("week") or "").strip()
        return periods.week(week, zone) if week else periods.week_before(_today(), zone)
    if kind == "monthly":
        month = (args.get("month") or "").strip()
        return periods.month(month, zone) if month else periods.month_before(_today(), zone)
    first_text, last_text = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    today = _today()
    first = periods.parse_day(first_text, "from") if first_text else today.replace(day=1)
    last = periods.parse_day(last_text, "to") if last_text else today
    return periods.days(first, last, zone)


def wording() -> render.Wording:
    return render.Wording(flask_babel.gettext, label, ZoneInfo(_zone()))


def _build(kind: str):
    period = period_for(kind, request.args)
    return BUILDERS[kind](db(), period, dt.datetime.now(dt.timezone.utc))


def _page(kind: str):
    report, error = None, None
    try:
        report = _build(kind)
    except ReportError as problem:
        error = {"field": problem.field, "message": field_messages()[problem.field]}
    charts = report_charts.charts(kind, report, wording()) if report else []
    status = 400 if error else 200
    return render_template("supervisor/reports.html", kind=kind, report=report, error=error,
                           args=request.args, charts=charts, texts=texts,
                           endpoints=ENDPOINTS, words=wording()), status


def _json(kind: str):
    try:
        return jsonify(render.to_json(_build(kind)))
    except ReportError as problem:
        return jsonify({"error": field_messages()[problem.field], "field": problem.field}), 400


def _excel(kind: str):
    try:
        report = _build(kind)
    except ReportError as problem:
        return Response(field_messages()[problem.field], status=400, mimetype="text/plain")
    filename = f"hotline-{kind}-{report.period.label.replace('..', '_')}.xlsx"
    log.info("report %s %s downloaded", kind, report.period.label)
    return Response(render.to_xlsx(report, wording()), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _register(kind: str) -> None:
    name = ENDPOINTS[kind]
    for suffix, view, endpoint in (("", _page, name), (".json", _json, f"{name}_json"),
                                   (".xlsx", _excel, f"{name}_excel")):
        def handler(view=view, kind=kind):
            return view(kind)
        handler.__name__ = endpoint
        bp.add_url_rule(f"/{kind}{suffix}", endpoint,
                        roles_required(*SUPERVISOR_ROLES)(handler), methods=["GET"])


for _kind in BUILDERS:
    _register(_kind)


@bp.app_template_filter("hms")
def hours_minutes_seconds(seconds: Optional[float]) -> str:
    """A duration as h:mm:ss (hours grow past 23, as in the workbook's [h]:mm:ss)."""
    if seconds is None:
        return "—"
    total = int(round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


@bp.app_template_filter("share")
def share(value: Optional[float]) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"
