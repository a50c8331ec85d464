"""The reports written out: JSON (codes and ISO times, for scripts) and an Excel
workbook (openpyxl, in the reader's language, times on the office clock, rates as
percentages, durations as [h]:mm:ss, a bar chart beside each breakdown).

The words come through a `Wording` the caller builds (the console's catalogue in
a request, or in the CLI's app context): no Flask import here.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Callable, Optional, Union
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from reports import texts
from reports.records import (
    Breakdown, MonthlyAnalysis, RepairTimeliness, WeeklyComplaintReport,
)

Report = Union[WeeklyComplaintReport, MonthlyAnalysis, RepairTimeliness]
_BOLD = Font(bold=True)
RATE = "0.0%"
DURATION = "[h]:mm:ss"
TIME = "yyyy-mm-dd hh:mm"


def kind_of(report: Report) -> str:
    return {WeeklyComplaintReport: "weekly-complaints", MonthlyAnalysis: "monthly",
            RepairTimeliness: "repair-timeliness"}[type(report)]


@dataclasses.dataclass(frozen=True)
class Wording:
    translate: Callable[[str], str]
    code_label: Callable[[str, str], str]
    zone: dt.tzinfo

    @classmethod
    def plain(cls, time_zone: str) -> "Wording":
        """English message ids and raw codes (tests, and a cron job that wants codes)."""
        return cls(lambda text: text, lambda code, group: code, ZoneInfo(time_zone))

    def text(self, table: dict, key: str) -> str:
        return self.translate(table[key])

    def key(self, breakdown: Breakdown, key: str) -> str:
        if not key:
            return self.translate(texts.WORDS["unknown"])
        return key if breakdown.label_group is None else self.code_label(key, breakdown.label_group)

    def local(self, moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
        """Excel has no zones: the office's wall-clock time."""
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None


# ---- JSON ----

def _plain(value, zone: dt.tzinfo):
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, dict):
        return {key: _plain(item, zone) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, zone) for item in value]
    return value


def to_json(report: Report) -> dict:
    """The record as JSON-ready data: codes as they are, times ISO in the office zone."""
    zone = ZoneInfo(report.period.time_zone)
    data = _plain(dataclasses.asdict(report), zone)
    return {"report": kind_of(report), **data}


# ---- Excel ----

def _header(sheet: Worksheet, values: list) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD


def _formats(sheet: Worksheet, formats: dict[int, str], from_row: int) -> None:
    for row in sheet.iter_rows(min_row=from_row):
        for cell in row:
            if cell.column in formats and cell.value is not None:
                cell.number_format = formats[cell.column]


def _days(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else seconds / 86400


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width


def _summary(book: Workbook, report: Report, w: Wording, figures: list[tuple[str, object]],
             definitions: list[str]) -> None:
    sheet = book.active
    sheet.title = w.text(texts.WORDS, "summary")[:31]
    sheet.append([w.text(texts.TITLES, kind_of(report))])
    sheet["A1"].font = Font(bold=True, size=14)
    period = report.period
    sheet.append([w.text(texts.WORDS, "period"), period.label,
                  f"{period.first_day.isoformat()} – {period.last_day.isoformat()}"])
    sheet.append([w.text(texts.WORDS, "time_zone"), period.time_zone])
    sheet.append([w.text(texts.WORDS, "generated"), w.local(report.generated_at)])
    sheet.cell(sheet.max_row, 2).number_format = TIME
    sheet.append([])
    for name, value in figures:
        sheet.append([w.text(texts.FIGURES, name), value])
        if name.endswith("_rate"):
            sheet.cell(sheet.max_row, 2).number_format = RATE
        elif name == "mean_satisfaction" and value is not None:
            sheet.cell(sheet.max_row, 2).number_format = "0.00"
    sheet.append([])
    sheet.append([w.text(texts.WORDS, "definitions")])
    sheet.cell(sheet.max_row, 1).font = _BOLD
    for key in definitions:
        sheet.append([w.text(texts.WORDS, key)])
    _widths(sheet, [38, 22, 26])


def _figures(record, names: list[str]) -> list[tuple[str, object]]:
    return [(name, getattr(record, name)) for name in names]


EFFECTIVE_FIGURES = ["registered", "effective", "invalid", "effective_rate", "effective_resolved",
                     "handling_rate", "resolved_on_time", "on_time_rate"]
COMPLAINT_COLUMNS = ["complaints", "effective", "resolved", "on_time", "still_open",
                     "effective_resolved", "effective_rate", "handling_rate"]
FOLLOW_UP_COLUMNS = ["owed", "reached", "unreachable", "refused", "pending", "coverage_rate",
                     "scored", "satisfied", "satisfaction_rate", "mean_satisfaction", "reopened"]
TIMELINESS_COLUMNS = ["repairs", "dispatched", "dispatched_within_3_min", "dispatch_3_min_rate",
                      "arrived", "done", "reopened"]


def _column_title(w: Wording, name: str) -> str:
    for table in (texts.COLUMNS, texts.STAGES, texts.FIGURES):
        if name in table:
            return w.text(table, name)
    raise KeyError(name)


def _breakdown_sheet(book: Workbook, w: Wording, title: str, breakdown: Breakdown,
                     columns: list[str], stages: bool = False) -> None:
    sheet = book.create_sheet(title[:31])
    headers = [w.text(texts.DIMENSIONS, breakdown.dimension)] + [
        w.text(texts.FIGURES, name) if name in texts.FIGURES else _column_title(w, name)
        for name in columns]
    stage_names = list(texts.STAGES) if stages else []
    for stage in stage_names:
        headers += [f"{w.text(texts.STAGES, stage)}: {w.text(texts.STAGE_MEASURES, m)}"
                    for m in texts.STAGE_MEASURES]
    _header(sheet, headers)
    formats = {}
    for row in breakdown.rows:
        values = [w.key(breakdown, row.key)] + [getattr(row, name) for name in columns]
        for stage in stage_names:
            figures = getattr(row, stage)
            values += [_days(getattr(figures, m)) for m in texts.STAGE_MEASURES]
        sheet.append(values)
    for index, name in enumerate(columns, start=2):
        if name.endswith("_rate"):
            formats[index] = RATE
        elif name == "mean_satisfaction":
            formats[index] = "0.00"
    for index in range(len(columns) + 2, len(headers) + 1):
        formats[index] = DURATION
    _formats(sheet, formats, 2)
    _widths(sheet, [24] + [14] * (len(headers) - 1))
    sheet.freeze_panes = "B2"
    if breakdown.rows:
        chart = BarChart()
        chart.title = title
        chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=len(breakdown.rows) + 1),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2,
                                       max_row=len(breakdown.rows) + 1))
        chart.height, chart.width = 7, 16
        sheet.add_chart(chart, f"A{len(breakdown.rows) + 4}")


def _lines_sheet(book: Workbook, w: Wording, title: str, columns: list[str], rows: list[list],
                 formats: dict[int, str], widths: list[int]) -> None:
    sheet = book.create_sheet(title[:31])
    _header(sheet, [_column_title(w, name) for name in columns])
    for values in rows:
        sheet.append(values)
    _formats(sheet, formats, 2)
    _widths(sheet, widths)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _yes_no(w: Wording, value: Optional[bool]) -> str:
    if value is None:
        return ""
    return w.text(texts.WORDS, "yes" if value else "no")


def _weekly(book: Workbook, report: WeeklyComplaintReport, w: Wording) -> None:
    _summary(book, report, w, _figures(report.summary, EFFECTIVE_FIGURES)
             + [("overdue_open", report.overdue_open)], ["definition_effective"])
    for breakdown in report.breakdowns:
        _breakdown_sheet(book, w, w.text(texts.DIMENSIONS, breakdown.dimension), breakdown,
                         COMPLAINT_COLUMNS)
    columns = ["order", "called", "tier", "category", "community", "room", "department",
               "summary", "status", "effective", "resolved_at", "on_time", "result",
               "resident_told_at"]
    rows = [[line.order_id, w.local(line.call_at), w.code_label(line.tier, "complaint_tier"),
             w.code_label(line.category, "category"), line.community, line.room,
             w.code_label(line.department, "respondent_department") if line.department else "",
             line.summary, w.code_label(line.status, "order_status"),
             _yes_no(w, line.effective), w.local(line.resolved_at), _yes_no(w, line.on_time),
             line.result, w.local(line.resident_told_at)] for line in report.lines]
    _lines_sheet(book, w, w.text(texts.WORDS, "lines"), columns, rows,
                 {2: TIME, 11: TIME, 14: TIME}, [8, 17, 12, 12, 14, 12, 14, 40, 10, 8, 17, 8,
                                                 30, 17])


def _monthly(book: Workbook, report: MonthlyAnalysis, w: Wording) -> None:
    figures = _figures(report.complaints, EFFECTIVE_FIGURES) + _figures(
        report.follow_ups, FOLLOW_UP_COLUMNS)
    _summary(book, report, w, figures, ["definition_effective", "definition_follow_ups",
                                        "definition_recurring"])
    complaints, follow_ups = w.text(texts.WORDS, "complaints"), w.text(texts.WORDS, "follow_ups")
    for breakdown in report.complaint_breakdowns:
        _breakdown_sheet(book, w, f"{complaints} {w.text(texts.DIMENSIONS, breakdown.dimension)}",
                         breakdown, COMPLAINT_COLUMNS)
    for breakdown in report.follow_up_breakdowns:
        _breakdown_sheet(book, w, f"{follow_ups} {w.text(texts.DIMENSIONS, breakdown.dimension)}",
                         breakdown, FOLLOW_UP_COLUMNS)
    columns = ["scope", "community", "place", "category", "count", "orders", "first_at",
               "last_at"]
    rows = [[w.text(texts.WORDS, problem.scope), problem.community, problem.place,
             w.code_label(problem.category, "category"), problem.count,
             ", ".join(f"#{order}" for order in problem.order_ids), w.local(problem.first_at),
             w.local(problem.last_at)] for problem in report.recurring]
    _lines_sheet(book, w, w.text(texts.WORDS, "recurring_sheet"), columns, rows, {7: TIME, 8: TIME},
                 [10, 16, 14, 14, 8, 30, 17, 17])


def _timeliness(book: Workbook, report: RepairTimeliness, w: Wording) -> None:
    figures = _figures(report.total, TIMELINESS_COLUMNS)
    _summary(book, report, w, figures, ["definition_stages"])
    for breakdown in report.breakdowns:
        _breakdown_sheet(book, w, w.text(texts.DIMENSIONS, breakdown.dimension), breakdown,
                         TIMELINESS_COLUMNS, stages=True)
    columns = ["order", "called", "category", "department", "community", "room",
               "dispatched_at", "arrived_at", "done_at"] + list(texts.STAGES) + ["reopened"]
    rows = [[line.order_id, w.local(line.call_at), w.code_label(line.category, "category"),
             w.code_label(line.department, "department") if line.department else "",
             line.community, line.room, w.local(line.dispatched_at), w.local(line.arrived_at),
             w.local(line.done_at), _days(line.call_to_dispatch_s),
             _days(line.dispatch_to_arrival_s), _days(line.arrival_to_done_s),
             _days(line.call_to_done_s), _yes_no(w, line.reopened)] for line in report.lines]
    _lines_sheet(book, w, w.text(texts.WORDS, "repair_lines"), columns, rows,
                 {2: TIME, 7: TIME, 8: TIME, 9: TIME, 10: DURATION, 11: DURATION,
                  12: DURATION, 13: DURATION}, [8, 17, 12, 12, 14, 12, 17, 17, 17, 12, 12, 12,
                                                12, 8])


def to_xlsx(report: Report, wording: Wording) -> bytes:
    book = Workbook()
    {WeeklyComplaintReport: _weekly, MonthlyAnalysis: _monthly,
     RepairTimeliness: _timeliness}[type(report)](book, report, wording)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
