"""Spreadsheets made the way a property office makes them (openpyxl): a title row
merged over the columns above the header, a 备注 column, the building merged
over the rows of its rooms, 号楼/单元/室 in the numbers, full-width digits, two
phones in a cell, Excel date serials and 2021年3月8日; and the CSV Excel saves
from it (GBK, the title row included, no merges)."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl

TITLE = "阳光花园小区业主信息登记表"
HEADER = ["楼号", "单元", "房号", "建筑面积(㎡)", "业主姓名", "联系电话", "身份证号",
          "收房日期", "入住状态", "备注"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = ["/", "、", "，", "；", ",", ";"]


@dataclasses.dataclass
class OfficeRoom:
    building: int
    unit: int
    room: int
    owner: str
    phones: list[str]
    handed_over: dt.date

    @property
    def code(self) -> str:
        return f"{self.building}-{self.unit}-{self.room}"


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def office_rooms(buildings: int, rooms_per_building: int = 2) -> list[OfficeRoom]:
    """Two rooms a building (301, 302 of unit 2...), each owner with one or two phones."""
    rooms = []
    for b in range(1, buildings + 1):
        for r in range(rooms_per_building):
            n = len(rooms)
            phones = [f"139{n:08d}"] + ([f"137{n:08d}"] if n % 2 else [])
            rooms.append(OfficeRoom(b, 1 + r % 2, 301 + r, SURNAMES[n % 20] + GIVEN[n // 20 % 20]
                                    + GIVEN[(n * 7) % 20], phones,
                                    dt.date(2021, 3, 8) + dt.timedelta(days=n % 300)))
    return rooms


def _phone_cell(room: OfficeRoom, n: int) -> str:
    if len(room.phones) == 1:
        return room.phones[0].translate(FULL_WIDTH) if n % 4 == 0 else room.phones[0]
    return SEPARATORS[n % len(SEPARATORS)].join(room.phones)


def _date_cell(day: dt.date, n: int):
    kind = n % 3
    if kind == 0:  # a date cell that lost its format: Excel's day number
        return (day - dt.date(1899, 12, 30)).days
    if kind == 1:
        return f"{day.year}年{day.month}月{day.day}日"
    return dt.datetime(day.year, day.month, day.day)


def office_cells(rooms: list[OfficeRoom]) -> list[list]:
    """The data rows, numbers written as the office writes them."""
    cells = []
    for n, room in enumerate(rooms):
        cells.append([f"{room.building}号楼", f"{room.unit}单元", f"{room.room}室", 88.5 + n % 40,
                      room.owner, _phone_cell(room, n), None, _date_cell(room.handed_over, n),
                      "自住" if n % 3 else "出租", "钥匙在物业" if n % 5 == 0 else None])
    return cells


def write_office_xlsx(path: Path, rows: list[list], merge_buildings: bool = True) -> Path:
    """Title in row 1 (merged over the columns), a blank row 2, the header in row 3,
    data from row 4; each building cell merged over its rows when it repeats."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "业主信息"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append([])
    sheet.append(HEADER)
    first = 4
    for row in rows:
        sheet.append(row)
    if merge_buildings:
        start = first
        for index in range(1, len(rows) + 1):
            if index == len(rows) or rows[index][0] != rows[start - first][0]:
                end = first + index - 1
                if end > start:
                    for number in range(start + 1, end + 1):
                        sheet.cell(number, 1).value = None  # Excel keeps the top-left only
                    sheet.merge_cells(start_row=start, start_column=1, end_row=end,
                                      end_column=1)
                start = first + index
    workbook.save(path)
    return path


def write_office_csv(path: Path, rows: list[list], encoding: str = "gb18030") -> Path:
    """Excel's 'CSV' from the same sheet: the title row too, dates as shown."""
    def shown(cell):
        if isinstance(cell, dt.datetime):
            return cell.strftime("%Y/%m/%d")
        return "" if cell is None else str(cell)

    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow([TITLE] + [""] * (len(HEADER) - 1))
        writer.writerow(HEADER)
        writer.writerows([[shown(c) for c in row] for row in rows])
    return path
