"""Rota sheets as an office makes them (a title row above the header, 白班/夜班,
date and time cells, a name or a user name) for the rota import's tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HEADER = ["坐席", "日期", "班次", "开始", "结束", "备注"]


def write_rota_sheet(path: Path, rows: list[list], title: str = "客服中心12月排班表") -> Path:
    """A workbook whose first sheet has the title, a blank row, HEADER and `rows`
    (row 4 of the sheet is rows[0])."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def good_rows(day: dt.date) -> list[list]:
    """王芳 (by name) a day and a night shift; a2 (by user name) the evening."""
    return [
        ["王芳", dt.datetime.combine(day, dt.time()), "白班", dt.time(8, 0), dt.time(16, 0), ""],
        ["a2", day.isoformat(), "中班", "16:00", "23:30", "替班"],
        ["王芳", f"{day.year}年{day.month}月{day.day + 1}日", "夜班", "17:30", "08:30", ""],
    ]
