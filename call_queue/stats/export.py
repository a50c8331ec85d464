"""The statistics report as an Excel workbook (openpyxl) and as plain text.

One sheet per table (by bucket, per queue, per agent), measures as columns with
the norm in the second header row and out-of-norm cells shaded, plus a sheet of
definitions so that Asterisk's SL and SL2 are not mistaken for the service level.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from call_queue.stats.measures import MEASURES

_MISSED = PatternFill("solid", fgColor="F4CCCC")
_BOLD = Font(bold=True)


def _cell_value(measure, value):
    if value is None:
        return None
    return round(value, 4) if measure.unit in ("rate", "number", "s") else value


def _sheet(workbook: Workbook, title: str, key_name: str, rows: list[dict]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append([key_name] + [measure.label for measure in MEASURES])
    sheet.append(["norm"] + [measure.norm_text for measure in MEASURES])
    for cell in sheet[1]:
        cell.font = _BOLD
    for row in rows:
        sheet.append([row[key_name]] + [_cell_value(m, row[m.key]["value"]) for m in MEASURES])
        for column, measure in enumerate(MEASURES, start=2):
            if row[measure.key]["ok"] is False:
                sheet.cell(row=sheet.max_row, column=column).fill = _MISSED
            if measure.unit == "rate":
                sheet.cell(row=sheet.max_row, column=column).number_format = "0.0%"


def to_excel(report: dict) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    total_row = {"bucket": "total", **report["total"]}
    _sheet(workbook, f"by {report['by']}", "bucket", report.get("rows", []) + [total_row])
    if report.get("by_queue"):
        _sheet(workbook, "per queue", "queue", report["by_queue"])
    if report.get("by_agent"):
        _sheet(workbook, "per agent", "agent", report["by_agent"])
    if report.get("by_host"):
        _sheet(workbook, "per host", "host", report["by_host"])
    definitions = workbook.create_sheet("definitions")
    definitions.append(["measure", "norm", "definition"])
    for measure in MEASURES:
        definitions.append([measure.label, measure.norm_text, measure.definition])
    settings = report["settings"]
    definitions.append([])
    definitions.append(["period", report["from"], report["to"], report["time_zone"]])
    for name, value in settings.items():
        definitions.append([name, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _format(measure, value) -> str:
    if value is None:
        return "—"
    if measure.unit == "rate":
        return f"{value * 100:.1f} %"
    if measure.unit in ("s", "number"):
        return f"{value:.1f}"
    return str(value)


def to_text(report: dict) -> str:
    """The total beside each norm, one measure a line (the CLI without --json)."""
    lines = [f"{report['from']} .. {report['to']} ({report['time_zone']} days)  "
             f"queue={report['queue'] or 'all'}  agent={report['agent'] or 'all'}"]
    for measure in MEASURES:
        cell = report["total"][measure.key]
        flag = {True: "ok", False: "MISSED", None: ""}[cell["ok"]]
        lines.append(f"  {measure.label:<40} {_format(measure, cell['value']):>10}  "
                     f"norm {measure.norm_text:<22} {flag}")
    return "\n".join(lines)
