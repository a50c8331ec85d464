"""The reports written out: the workbook opened back with openpyxl (words in
Chinese from the console's catalogue, times on the office clock, rates and
durations as numbers Excel formats), the JSON, and every word in the catalogue."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from reports import figures, periods, render, texts
from reports.cli import catalogue_wording
from tests.support.report_data import ZONE_NAME, at, seed_november

NOW = at("2026-12-01 09:00")
TRANSLATIONS = "agent_console/translations/{}/LC_MESSAGES/messages.po"


@pytest.fixture
def november(sqlite_session_factory):
    with sqlite_session_factory() as session:
        ids = seed_november(session)
        month = periods.month("2026-11", ZONE_NAME)
        reports = {
            "weekly": figures.weekly_complaints(session, periods.week("2026-W46", ZONE_NAME), NOW),
            "monthly": figures.monthly_analysis(session, month, NOW),
            "timeliness": figures.repair_timeliness(
                session, periods.days(dt.date(2026, 11, 1), dt.date(2026, 11, 30), ZONE_NAME), NOW),
        }
    return ids, reports


def _book(report, tmp_path, language="zh"):
    with catalogue_wording(tmp_path, language, ZONE_NAME) as wording:
        return load_workbook(io.BytesIO(render.to_xlsx(report, wording)))


def _column(sheet, title):
    headers = [cell.value for cell in sheet[1]]
    return headers.index(title) + 1


def test_weekly_workbook_in_chinese(november, tmp_path):
    ids, reports = november
    book = _book(reports["weekly"], tmp_path)
    assert book.sheetnames == ["概览", "按等级", "按类别", "按部门", "投诉"]
    overview = book["概览"]
    assert overview["A1"].value == "投诉周报表"
    assert overview["B2"].value == "2026-W46" and overview["C2"].value == "2026-11-09 – 2026-11-15"
    figures_by_name = {row[0].value: row[1] for row in overview.iter_rows(min_row=6, max_row=14)}
    assert figures_by_name["登记投诉数"].value == 3 and figures_by_name["有效投诉"].value == 2
    assert figures_by_name["有效投诉率"].value == pytest.approx(2 / 3)
    assert figures_by_name["有效投诉率"].number_format == "0.0%"
    assert figures_by_name["有效投诉处理率"].value == 0.5
    assert figures_by_name["已过处理时限仍未完结"].value == 1
    tiers = book["按等级"]
    assert [[c.value for c in row] for row in tiers.iter_rows(min_row=1, max_row=3)] == [
        ["按等级", "投诉", "有效投诉", "已处理", "按时", "未完结", "已处理有效投诉", "有效投诉率",
         "有效投诉处理率"],
        ["一般投诉", 2, 1, 2, 2, 0, 1, 0.5, 1], ["重要投诉", 1, 1, 0, 0, 1, 0, 1, 0]]
    assert tiers["H2"].number_format == "0.0%"
    assert tiers._charts, "a bar chart beside the table"
    lines = book["投诉"]
    assert lines.max_row == 4
    assert lines.cell(2, 1).value == ids["C1"]
    # 09:00 office time, written as the office's wall clock (Excel has no zones).
    assert lines.cell(2, _column(lines, "来电时间")).value == dt.datetime(2026, 11, 10, 9, 0)
    assert lines.cell(2, _column(lines, "房号")).value == "3-2-1201"
    assert lines.cell(2, _column(lines, "部门")).value == "安保"
    assert lines.cell(4, _column(lines, "有效")).value == "否"
    assert lines.cell(3, _column(lines, "处理完毕时间")).value is None  # C2: after the week


def test_monthly_workbook_lists_recurring_problems(november, tmp_path):
    ids, reports = november
    book = _book(reports["monthly"], tmp_path)
    recurring = book["重复出现的问题"]
    assert [c.value for c in recurring[2]][:6] == [
        "房号", "翠湖花园", "3-2-1201", "给排水", 4,
        ", ".join(f"#{ids[n]}" for n in ("R0", "R1", "R2", "R3"))]
    assert [c.value for c in recurring[3]][:5] == ["楼栋", "翠湖花园", "3", "电梯", 3]
    overview = book["概览"]
    values = {row[0].value: row[1].value for row in overview.iter_rows(min_row=6)}
    assert values["应回访"] == 11 and values["满意度"] == 0.7 and values["平均分(满分 5)"] == 3.8
    community = book["投诉 按小区"]
    assert [[c.value for c in row][:3] for row in community.iter_rows(min_row=2)] == [
        ["翠湖花园", 4, 4], ["枫林苑", 1, 0]]


def test_timeliness_workbook_durations(november, tmp_path):
    ids, reports = november
    book = _book(reports["timeliness"], tmp_path, language="en")
    departments = book["By department"]
    header = [c.value for c in departments[1]]
    assert header[:3] == ["By department", "Repairs", "Dispatched"]
    engineering = [c for c in departments[2]]
    assert engineering[0].value == "Engineering" and engineering[1].value == 7
    median = engineering[header.index("Call to done: median")]
    # R1 R2 R3 R4 R5 R7 done: 7200 9000 10800 14400 18000 90000 s -> median 12600 s = 3:30:00.
    # Written as a fraction of a day formatted [h]:mm:ss, read back as a duration.
    assert median.value == dt.timedelta(seconds=12600) and median.number_format == "[h]:mm:ss"
    lines = book["Repairs"]
    r7 = next(row for row in lines.iter_rows(min_row=2) if row[0].value == ids["R7"])
    assert r7[_column(lines, "Call to done") - 1].value == dt.timedelta(hours=25)
    assert r7[_column(lines, "Reopened for rework") - 1].value == "yes"


def test_json_keeps_codes_and_office_times(november):
    ids, reports = november
    weekly = render.to_json(reports["weekly"])
    assert weekly["report"] == "weekly-complaints"
    assert weekly["period"]["label"] == "2026-W46"
    assert weekly["period"]["start"] == "2026-11-09T00:00:00+08:00"
    assert weekly["lines"][0]["call_at"] == "2026-11-10T09:00:00+08:00"
    minor = weekly["breakdowns"][0]["rows"][0]
    assert (minor["key"], minor["effective_rate"], minor["handling_rate"]) == ("minor", 0.5, 1.0)
    monthly = render.to_json(reports["monthly"])
    assert monthly["recurring"][0]["order_ids"] == [ids[n] for n in ("R0", "R1", "R2", "R3")]
    timeliness = render.to_json(reports["timeliness"])
    assert timeliness["total"]["call_to_dispatch"]["median_s"] == 210.0


def test_every_report_word_is_in_the_catalogue():
    with open(TRANSLATIONS.format("zh"), "rb") as handle:
        zh = read_po(handle, locale="zh")
    with open(TRANSLATIONS.format("en"), "rb") as handle:
        en = read_po(handle, locale="en")
    ids = texts.all_message_ids()
    assert not sorted(i for i in ids if zh.get(i) is None or not zh.get(i).string)
    assert not sorted(i for i in ids if en.get(i) is None)
