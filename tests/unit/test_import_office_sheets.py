"""Sheets made the way an office makes them import (issue 16 item 7): a title row
above the header, a 备注 column, a building merged over two rows, full-width
digits, several phones in one cell, 号楼/单元/室 in the numbers, Excel date
serials and 2021年3月8日. Still all or nothing, still idempotent; hostile
merges still refused. Data-layer tests run on SQLite and PostgreSQL
(session_factory)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from households import import_values as values
from households.errors import ImportRejected
from households.import_ledger import room_code
from households.importing import (
    import_households_file, import_ledger_file, preview_households_file,
)
from households.samples import SAMPLE_AREA_CODE
from households.sheet_files import ImportLimits
from households.tabular import column_letter
from models.fees import Charge, Payment
from models.households import Building, Household, Person, Phone, Room
from tests.support.hostile_sheets import SHEET, replace_member
from tests.support.office_sheets import (
    TITLE, office_cells, office_rooms, write_office_csv, write_office_xlsx,
)

AREA = SAMPLE_AREA_CODE


def counts(session) -> dict:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Household, Room, Person, Phone, Building)}


def phones_of(session, room: str) -> set[str]:
    household = session.scalar(select(Household).join(Room).where(Room.code == room))
    return {phone.normalized for person in household.people for phone in person.phones}


@pytest.mark.parametrize("writer", [write_office_xlsx, write_office_csv], ids=["xlsx", "csv"])
def test_an_office_sheet_imports_whole(session_factory, tmp_path, writer):
    rooms = office_rooms(6)
    path = writer(tmp_path / ("office." + ("xlsx" if writer is write_office_xlsx else "csv")),
                  office_cells(rooms))
    with session_factory() as session:
        report = import_households_file(session, path, local_area_code=AREA)
        assert report.rows == 12 and report.header_row == (3 if writer is write_office_xlsx
                                                           else 2)
        # 备注 is the office's column: reported with its letter, not imported, not refused.
        assert [(p.letter, p.header) for p in report.ignored] == [("J", "备注")]
        assert counts(session) == {"Household": 12, "Room": 12, "Person": 12, "Phone": 18,
                                   "Building": 6}
        assert sorted(session.scalars(select(Building.number))) == ["1", "2", "3", "4", "5",
                                                                      "6"]
        for room in rooms:
            assert phones_of(session, room.code) == set(room.phones), room
        handed = dict(session.execute(select(Room.code, Household.key_handover_on)
                                      .join(Household, Room.household_id == Household.id)).all())
        assert {room.code: room.handed_over for room in rooms} == handed


def test_title_row_header_found_in_the_first_rows(session_factory, tmp_path):
    path = write_office_xlsx(tmp_path / "title.xlsx", office_cells(office_rooms(1)))
    with session_factory() as session:
        preview = preview_households_file(session, path, local_area_code=AREA)
    assert preview.ok and preview.rows == 2
    assert preview.table.header_row == 3
    assert preview.table.places["owner_phones"].letter == "F"
    assert preview.table.places["owner_phones"].header == "联系电话"


def test_a_header_too_far_down_is_not_guessed(session_factory, tmp_path):
    # Eleven lines of prose above the header: the first of them is taken as the header.
    rows = [[f"说明第{n}行"] for n in range(11)] + [["楼号", "单元", "房号"]]
    path = tmp_path / "far.xlsx"
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    with session_factory() as session:
        preview = preview_households_file(session, path, local_area_code=AREA)
    assert [str(p) for p in preview.problems] == [
        "row 1: missing required column(s): building, unit, room, floor_area, owner_name, "
        "owner_phones"]


def test_building_merged_over_two_rows_is_filled_down(session_factory, tmp_path):
    rooms = office_rooms(2)
    path = write_office_xlsx(tmp_path / "merged.xlsx", office_cells(rooms))
    sheet = openpyxl.load_workbook(path).active
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:J1", "A4:A5", "A6:A7"]
    assert sheet["A5"].value is None  # what the old importer called "required cell is empty"
    with session_factory() as session:
        import_households_file(session, path, local_area_code=AREA)
        assert sorted(session.scalars(select(Room.code))) == ["1-1-301", "1-2-302", "2-1-301",
                                                              "2-2-302"]


def test_unmerged_empty_building_is_still_refused(session_factory, tmp_path):
    cells = office_cells(office_rooms(1))
    cells[1][0] = None
    path = write_office_xlsx(tmp_path / "hole.xlsx", cells, merge_buildings=False)
    with session_factory() as session:
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, path, local_area_code=AREA)
        assert counts(session)["Household"] == 0
    assert [str(p) for p in caught.value.problems] == [
        "row 5, column building: required cell is empty"]


@pytest.mark.parametrize("text, expected", [
    ("１３８１２３４５６７８", ["13812345678"]),
    ("13812345678/13987654321", ["13812345678", "13987654321"]),
    ("13812345678、13987654321", ["13812345678", "13987654321"]),
    ("13812345678，13987654321", ["13812345678", "13987654321"]),
    ("13812345678；13987654321", ["13812345678", "13987654321"]),
    ("13812345678,13987654321", ["13812345678", "13987654321"]),
    ("13812345678;13987654321", ["13812345678", "13987654321"]),
    ("１３８１２３４５６７８／１３９８７６５４３２１", ["13812345678", "13987654321"]),
    ("138 1234 5678 / 010-62345678", ["13812345678", "01062345678"]),
])
def test_phones_normalised_and_split(text, expected):
    assert [n.key for n in values.parse_phones(text, AREA)] == expected


@pytest.mark.parametrize("text, expected", [
    ("2号楼", "2"), ("2#楼", "2"), ("3栋", "3"), ("3幢", "3"), ("B座", "B"), ("2单元", "2"),
    ("第2单元", "2"), ("301室", "301"), ("０３０１室", "301"), ("12-1", "12-1"), ("5", "5"),
])
def test_usual_suffixes_stripped(text, expected):
    assert values.code_for(Room.number)(text) == expected


@pytest.mark.parametrize("text", ["二号楼", "2号楼301", "楼", "2单元室"])
def test_not_a_number_even_without_its_suffix(text):
    with pytest.raises(ValueError, match="is not a building/unit/room number"):
        values.code_for(Room.number)(text)


@pytest.mark.parametrize("text, expected", [
    ("44263", dt.date(2021, 3, 8)), ("44263.5", dt.date(2021, 3, 8)),
    ("2021年3月8日", dt.date(2021, 3, 8)), ("2021年03月08日", dt.date(2021, 3, 8)),
    ("２０２１年３月８日", dt.date(2021, 3, 8)), ("2021年3月8号", dt.date(2021, 3, 8)),
    ("2021/3/8", dt.date(2021, 3, 8)), ("20210308", dt.date(2021, 3, 8)),
    ("2021-03-08T00:00:00", dt.date(2021, 3, 8)),
])
def test_excel_serials_and_chinese_dates(text, expected):
    assert values.parse_date(text) == expected


@pytest.mark.parametrize("text", ["2021", "9999", "2021年13月1日", "三月八日"])
def test_not_a_date(text):
    with pytest.raises(ValueError, match="is not a date"):
        values.parse_date(text)


def test_xlsx_serial_cell_is_a_date(session_factory, tmp_path):
    cells = office_cells(office_rooms(1))
    cells[0][7] = 44263  # a number cell, no date format
    path = write_office_xlsx(tmp_path / "serial.xlsx", cells)
    with session_factory() as session:
        import_households_file(session, path, local_area_code=AREA)
        assert session.scalar(select(Household.key_handover_on).join(Room).where(
            Room.code == "1-1-301")) == dt.date(2021, 3, 8)


def test_office_sheet_is_still_all_or_nothing_with_rows_and_columns_named(session_factory,
                                                                          tmp_path):
    cells = office_cells(office_rooms(5))
    cells[3][5] = "1381234567"      # row 7: ten digits
    cells[6][3] = "八十"             # row 10: area in words
    path = write_office_xlsx(tmp_path / "bad.xlsx", cells)
    with session_factory() as session:
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, path, local_area_code=AREA)
        assert counts(session) == {"Household": 0, "Room": 0, "Person": 0, "Phone": 0,
                                   "Building": 0}
    problems = caught.value.problems
    assert [(p.row, p.column) for p in problems] == [(7, "owner_phones"), (10, "floor_area")]
    places = caught.value.table.places
    assert (places["owner_phones"].letter, places["floor_area"].header) == ("F", "建筑面积(㎡)")
    assert [(p.letter, p.header) for p in caught.value.ignored] == [("J", "备注")]


def test_office_sheet_reimport_is_idempotent(session_factory, tmp_path):
    rooms = office_rooms(4)
    xlsx = write_office_xlsx(tmp_path / "again.xlsx", office_cells(rooms))
    csv_copy = write_office_csv(tmp_path / "again.csv", office_cells(rooms))
    with session_factory() as session:
        import_households_file(session, xlsx, local_area_code=AREA)
        first = counts(session)
        phone_ids = sorted(session.scalars(select(Phone.id)))
        for path in (xlsx, csv_copy):
            report = import_households_file(session, path, local_area_code=AREA)
            assert (report.result.households_created, report.result.households_updated) == (0, 8)
        assert counts(session) == first
        assert sorted(session.scalars(select(Phone.id))) == phone_ids


def test_postgres_lengths_hold_for_split_phones(session_factory, tmp_path):
    # A cell of phones over Phone.raw's length is refused per phone, never at commit
    # (PostgreSQL enforces VARCHAR lengths that SQLite ignores).
    cells = office_cells(office_rooms(1))
    cells[0][5] = "13812345678/" + "1" * 60
    path = write_office_xlsx(tmp_path / "long.xlsx", cells)
    with session_factory() as session:
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, path, local_area_code=AREA)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "owner_phones")]


def test_merged_range_past_the_caps_is_refused(session_factory, tmp_path):
    path = write_office_xlsx(tmp_path / "ok.xlsx", office_cells(office_rooms(1)))
    hostile = replace_member(path, tmp_path / "far_merge.xlsx", SHEET, lambda xml: xml.replace(
        b'<mergeCell ref="A4:A5" />', b'<mergeCell ref="A4:XFD1048576"/>'))
    with session_factory() as session:
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, hostile, limits=ImportLimits(),
                                   local_area_code=AREA)
        assert counts(session)["Household"] == 0
    [problem] = [str(p) for p in caught.value.problems]
    assert re.fullmatch(r"row 1048576: merged range A4:XFD1048576 is past the importer's "
                        r"caps: more than \d+ rows .* and more than \d+ columns .*", problem)


def test_too_many_merged_ranges_are_refused(session_factory, tmp_path):
    path = write_office_xlsx(tmp_path / "ok.xlsx", office_cells(office_rooms(1)))
    many = b"".join(b'<mergeCell ref="B%d:C%d"/>' % (n % 20 + 1, n % 20 + 1)
                    for n in range(41))
    hostile = replace_member(path, tmp_path / "merges.xlsx", SHEET, lambda xml: xml.replace(
        b'<mergeCell ref="A4:A5" />', many))
    with session_factory() as session:
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, hostile, limits=ImportLimits(max_rows=20),
                                   local_area_code=AREA)
    assert [str(p) for p in caught.value.problems] == [
        "file: the sheet has more than 40 merged ranges"]


def test_column_letters():
    assert [column_letter(n) for n in (1, 3, 26, 27, 52, 703)] == ["A", "C", "Z", "AA", "AZ",
                                                                    "AAA"]


def test_office_ledger_sheet(session_factory, tmp_path):
    rooms = office_rooms(1)
    households = write_office_xlsx(tmp_path / "households.xlsx", office_cells(rooms))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["阳光花园小区2026年收费台账"])
    sheet.append(["房号", "收费项目", "所属期", "应收金额", "实收金额", "收据号", "缴费日期",
                  "备注"])
    sheet.append(["1号楼1单元301室", "物业管理费", "２０２６Ｑ３", "１，１５６.５０", 1156.5,
                  "R-1", "2026年7月5日", "现金"])
    sheet.append(["1-2-302", "物业管理费", "2026年7月", "385.50", None, None, None, None])
    sheet.append(["１－２－３０２", "停车费", "2026Q3", 300, 300, "R-2", 46208, None])
    ledger = tmp_path / "ledger.xlsx"
    workbook.save(ledger)
    with session_factory() as session:
        import_households_file(session, households, local_area_code=AREA)
        report = import_ledger_file(session, ledger)
        assert [(p.letter, p.header) for p in report.ignored] == [("H", "备注")]
        assert (report.result.charges_written, report.result.payments_written) == (3, 2)
        import_ledger_file(session, ledger)  # again: updated, not duplicated
        assert session.scalar(select(func.count()).select_from(Charge)) == 3
        payments = dict(session.execute(select(Payment.receipt_number, Payment.paid_on)).all())
        assert payments == {"R-1": dt.date(2026, 7, 5), "R-2": dt.date(2026, 7, 5)}
        assert session.scalar(select(func.sum(Charge.amount))) == Decimal("1842.00")


@pytest.mark.parametrize("text, expected", [
    ("3号楼2单元1502室", "3-2-1502"), ("3栋2单元1502", "3-2-1502"), ("3*2*1502", "3-2-1502"),
    ("３－２－１５０２", "3-2-1502"), ("3-2-1502", "3-2-1502"), ("B座1单元0301室", "B-1-301"),
])
def test_ledger_room_codes(text, expected):
    assert room_code(text) == expected


def test_title_text_is_not_a_column():
    assert TITLE not in office_cells(office_rooms(1))[0]


def test_cli_names_the_ignored_column(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import models
    from hotline.cli import main
    from hotline.settings import get_settings
    from models.session import make_engine

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    path = write_office_xlsx(tmp_path / "office.xlsx", office_cells(office_rooms(3)))
    cells = office_cells(office_rooms(3))
    cells[3][5] = "1381234567"
    bad = write_office_xlsx(tmp_path / "bad.xlsx", cells)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(main, ["import", "households", str(bad)])
        run = CliRunner().invoke(main, ["import", "households", str(path)])
    finally:
        get_settings.cache_clear()
    assert refused.exit_code == 1
    assert "rejected, nothing imported; ignored column(s): J 备注. Problems:" in refused.output
    assert "row 7, column F 联系电话: '1381234567' is not a phone number" in refused.output
    assert run.exit_code == 0, run.output
    assert "6 rows imported (6 households created" in run.output
    assert run.output.rstrip().endswith("; ignored column(s): J 备注")


def test_the_other_headers_offices_write(session_factory, tmp_path):
    path = tmp_path / "headers.csv"
    path.write_text("栋号,单元号,室号,面积（㎡）,户主,手机号,备注\n"
                    "7栋,1单元,0502室,96.3,孙丽,13912345678/13712345678,\n", encoding="utf-8")
    with session_factory() as session:
        import_households_file(session, path, local_area_code=AREA)
        assert session.scalar(select(Room.code)) == "7-1-502"
        assert phones_of(session, "7-1-502") == {"13912345678", "13712345678"}


def test_two_header_rows_the_lower_one_names_the_columns(session_factory, tmp_path):
    # 房屋信息 over A-D and 业主信息 over E-F (merged), the real headers below them.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in ([TITLE], ["房屋信息", None, None, None, "业主信息", None],
                ["楼号", "单元", "房号", "面积", "姓名", "电话"],
                ["1号楼", "1单元", "101室", 90, "王伟", "13812345678"]):
        sheet.append(row)
    sheet.merge_cells("A1:F1")
    sheet.merge_cells("A2:D2")
    sheet.merge_cells("E2:F2")
    workbook.save(tmp_path / "two.xlsx")
    with session_factory() as session:
        report = import_households_file(session, tmp_path / "two.xlsx", local_area_code=AREA)
        assert (report.rows, report.header_row, report.ignored) == (1, 3, [])
        assert phones_of(session, "1-1-101") == {"13812345678"}
