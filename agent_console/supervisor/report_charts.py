"""The charts of the report pages, as data for reports.js (Chart.js): each a set of
bars per group, in the reader's language, with the seed's norm as a line where
there is one (satisfaction 90 %, follow-up coverage 100 %, dispatch in 3 minutes)."""
from __future__ import annotations

import dataclasses
from typing import Optional

from flask_babel import gettext as _

from reports import texts
from reports.records import Breakdown


@dataclasses.dataclass(frozen=True)
class Dataset:
    label: str
    data: list


@dataclasses.dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str                      # axis title
    labels: list[str]
    datasets: list[Dataset]
    norm: Optional[float] = None   # drawn as a line, in the axis unit
    norm_label: str = ""


def _counts(key: str, title: str, breakdown: Breakdown, names: list[str], words) -> Chart:
    return Chart(key, title, _("Number"), [words.key(breakdown, row.key) for row in breakdown.rows],
                 [Dataset(words.text(texts.FIGURES if n in texts.FIGURES else texts.COLUMNS, n),
                          [getattr(row, n) for row in breakdown.rows]) for n in names])


def _percent(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value * 100, 1)


def _minutes(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value / 60, 1)


def _effective(key: str, breakdown: Breakdown, words) -> Chart:
    """The effective-complaint rate and handling rate per group, the handling norm 100 %."""
    rows = breakdown.rows
    return Chart(
        key, _("Effective-complaint rate and handling rate, %(by)s",
               by=words.text(texts.DIMENSIONS, breakdown.dimension)), "%",
        [words.key(breakdown, row.key) for row in rows],
        [Dataset(words.text(texts.FIGURES, "effective_rate"),
                 [_percent(row.effective_rate) for row in rows]),
         Dataset(words.text(texts.FIGURES, "handling_rate"),
                 [_percent(row.handling_rate) for row in rows])],
        100.0, _("Handling norm 100 %"))


def _weekly(report, words) -> list[Chart]:
    tier, category, department = report.breakdowns
    names = ["complaints", "effective", "resolved", "on_time"]
    return [_counts("category", words.text(texts.DIMENSIONS, "category"), category, names, words),
            _effective("effective-department", department, words),
            _counts("tier", words.text(texts.DIMENSIONS, "tier"), tier, names, words),
            _counts("department", words.text(texts.DIMENSIONS, "department"), department, names,
                    words)]


def _monthly(report, words) -> list[Chart]:
    category, department, community = report.complaint_breakdowns
    names = ["complaints", "effective", "resolved", "on_time"]
    charts = [_counts("complaints-category", _("Complaints by category"), category, names, words),
              _counts("complaints-community", _("Complaints by community"), community, names,
                      words)]
    charts.append(_effective("effective-department", department, words))
    follow_department = report.follow_up_breakdowns[2]
    rows = follow_department.rows
    charts.append(Chart(
        "follow-ups-department", _("Follow-up coverage and satisfaction by department"), "%",
        [words.key(follow_department, row.key) for row in rows],
        [Dataset(words.text(texts.FIGURES, "coverage_rate"),
                 [_percent(row.coverage_rate) for row in rows]),
         Dataset(words.text(texts.FIGURES, "satisfaction_rate"),
                 [_percent(row.satisfaction_rate) for row in rows])],
        90.0, _("Satisfaction norm 90 %")))
    return charts


def _timeliness(report, words) -> list[Chart]:
    charts = []
    for breakdown in report.breakdowns:
        rows = breakdown.rows
        charts.append(Chart(
            f"stages-{breakdown.dimension}",
            _("Median minutes per stage, %(by)s",
              by=words.text(texts.DIMENSIONS, breakdown.dimension)),
            _("Minutes"), [words.key(breakdown, row.key) for row in rows],
            [Dataset(words.text(texts.STAGES, stage),
                     [_minutes(getattr(row, stage).median_s) for row in rows])
             for stage in texts.STAGES]))
    department = report.breakdowns[1]
    charts.append(Chart(
        "dispatch-3-min", _("Dispatched within 3 minutes by department"), "%",
        [words.key(department, row.key) for row in department.rows],
        [Dataset(words.text(texts.FIGURES, "dispatch_3_min_rate"),
                 [_percent(row.dispatch_3_min_rate) for row in department.rows])],
        100.0, _("Norm: every repair within 3 minutes")))
    return charts


def charts(kind: str, report, words) -> list[dict]:
    made = {"weekly-complaints": _weekly, "monthly": _monthly,
            "repair-timeliness": _timeliness}[kind](report, words)
    return [dataclasses.asdict(chart) for chart in made]
