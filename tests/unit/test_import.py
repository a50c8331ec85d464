"""Importing households: good files, re-imports, and every kind of broken file.

A broken file must give one clear problem per bad row (or one for the file) and
leave the database exactly as it was.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from households import import_households
from households.errors import ImportRejected
from households.import_values import column_length
from households.importing import import_households_file
from households.matching import match_caller, record_call
from households.samples import SAMPLE_AREA_CODE
from households.sheet_files import MAX_CELL_CHARS
from models.households import (
    Building, Community, Household, Occupancy, Person, Phone, Room, Unit,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
HEADER = ["楼号", "单元", "房号", "建筑面积", "业主姓名", "业主电话", "收房日期"]
GOOD_ROW = ["3", "2", "1502", "128.5", "王伟", "13800138000", "2019-06-01"]


def counts(session) -> dict:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Household, Room, Person, Phone)}


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    import csv

    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def rejected(session, path: Path) -> list[str]:
    """Import a file that must fail; return its problems and check nothing changed."""
    before = counts(session)
    with pytest.raises(ImportRejected) as caught:
        import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE)
    assert counts(session) == before
    assert caught.value.problems
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("name", ["households_sample.csv", "households_sample.xlsx",
                                  "households_gbk.csv"])
def test_sample_file_imports(session_factory, name):
    with session_factory() as session:
        report = import_households_file(session, FIXTURES / name, local_area_code=SAMPLE_AREA_CODE)
        assert report.rows == 5
        assert counts(session) == {"Household": 5, "Room": 5, "Person": 7, "Phone": 9}
        wang = session.scalar(select(Household).where(Household.number == "MAIN-3-2-1502"))
        assert wang.occupancy == Occupancy.OWNER_OCCUPIED
        assert str(wang.key_handover_on) == "2019-06-01"
        assert [p.name for p in wang.people] == ["王伟", "李娜"]
        assert {ph.normalized for ph in wang.people[0].phones} == {"13800138000", "01062345678"}
        assert session.scalar(select(Household.occupancy).where(
            Household.number == "MAIN-3-2-1601")) == Occupancy.ENTRUSTED
        # The owner of two flats is a candidate for both.
        assert len(match_caller(session, "13800138000", "010").candidates) == 2
    if name == "households_gbk.csv":
        assert "GB18030" in report.note


def test_reimport_updates_and_never_duplicates(session_factory, tmp_path):
    with session_factory() as session:
        import_households_file(session, FIXTURES / "households_sample.csv", local_area_code=SAMPLE_AREA_CODE)
        record_call(session, "13900139000", None, local_area_code=SAMPLE_AREA_CODE)
        session.commit()
        first = counts(session)
        report = import_households_file(session, FIXTURES / "households_sample.xlsx", local_area_code=SAMPLE_AREA_CODE)
        assert counts(session) == first
        assert report.result.households_created == 0
        assert report.result.households_updated == 5
        changed = (FIXTURES / "households_sample.csv").read_text(encoding="utf-8") \
            .replace("13700137000", "13711112222").replace("89.20,刘洋", "90.00,刘洋")
        path = tmp_path / "changed.csv"
        path.write_text(changed, encoding="utf-8")
        import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE)
        assert counts(session) == first
        assert match_caller(session, "13700137000", "010").unknown
        assert not match_caller(session, "13711112222", "010").unknown
        assert str(session.scalar(select(Room.floor_area).where(Room.code == "3-2-1504"))) \
            in ("90.00", "90")
        # Kept numbers keep their rows (and the time they last called).
        kept = session.scalar(select(Phone).where(Phone.normalized == "13900139000"))
        assert kept.last_called_at is not None


def test_removing_a_tenant_column_value_removes_the_tenant(session_factory, tmp_path):
    with session_factory() as session:
        import_households_file(session, FIXTURES / "households_sample.csv", local_area_code=SAMPLE_AREA_CODE)
        text = (FIXTURES / "households_sample.csv").read_text(encoding="utf-8") \
            .replace("赵磊,15011112222", ",")
        path = tmp_path / "no_tenant.csv"
        path.write_text(text, encoding="utf-8")
        import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE)
        assert session.scalar(select(func.count()).select_from(Person)
                              .where(Person.name == "赵磊")) == 0


def test_broken_sample_reports_every_bad_row(session_factory):
    with session_factory() as session:
        problems = rejected(session, FIXTURES / "households_broken.csv")
    joined = "\n".join(problems)
    assert "row 3, column room: required cell is empty" in joined
    assert "row 4, column floor_area" in joined
    assert "row 5, column owner_name: cell starts like a formula" in joined
    assert "row 6, column room: room 3-2-1502 is already on row 2" in joined
    assert "row 7, column owner_phones" in joined
    assert "row 8, column key_handover_on" in joined
    assert len(problems) == 6


def test_wrong_columns(session_factory, tmp_path):
    path = write_csv(tmp_path / "wrong.csv", [["building", "unit", "colour", "owner"],
                                              ["3", "2", "red", "王伟"]])
    with session_factory() as session:
        problems = rejected(session, path)
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE)
    # An unknown column is ignored (named with its letter), never a problem itself.
    assert [(p.letter, p.header) for p in caught.value.ignored] == [("C", "colour")]
    assert not any("colour" in p for p in problems)
    assert any("missing required column(s): room, floor_area, owner_phones" in p
               for p in problems)


def test_empty_required_cells(session_factory, tmp_path):
    path = write_csv(tmp_path / "empty.csv", [HEADER, GOOD_ROW, ["3", "2", "1503", "", "",
                                                                 "13900000000", ""]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert problems == ["row 3, column floor_area: required cell is empty",
                        "row 3, column owner_name: required cell is empty"]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_ten_megabyte_cell(session_factory, tmp_path, writer):
    huge = "王" * (10 * 1024 * 1024 // 3)
    path = writer(tmp_path / ("huge" + (".csv" if writer is write_csv else ".xlsx")),
                  [HEADER, GOOD_ROW, ["3", "2", "1503", "90", huge, "13900000000", ""]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert len(problems) == 1
    if writer is write_csv:  # refused unread: no line of a table is that long
        assert re.fullmatch(r"row 3: a line longer than \d+ characters .*: not a table",
                            problems[0])
        return
    # openpyxl cuts a cell at Excel's 32,767 characters while reading; still refused.
    assert re.fullmatch(rf"row 3, column owner_name: cell holds \d+ characters, "
                        rf"more than {MAX_CELL_CHARS}", problems[0])


@pytest.mark.parametrize("value", ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)",
                                   "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                                   "\t=1+1"])
def test_formula_text_in_csv_is_refused(session_factory, tmp_path, value):
    path = write_csv(tmp_path / "formula.csv",
                     [HEADER, GOOD_ROW, ["3", "2", "1503", "90", value, "13900000000", ""]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert len(problems) == 1 and "formula" in problems[0] and "owner_name" in problems[0]


def test_formula_cell_in_xlsx_is_refused(session_factory, tmp_path):
    path = write_xlsx(tmp_path / "formula.xlsx",
                      [HEADER, GOOD_ROW, [3, 2, 1503, "=A2*40", "张三", 13900000000, None]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert problems == ["row 3, column floor_area: formulas are not imported ('=A2*40'); "
                        "paste values instead"]


def test_duplicate_rooms(session_factory, tmp_path):
    path = write_csv(tmp_path / "dup.csv", [HEADER, GOOD_ROW, ["3", "02", "1502", "90",
                                                               "张三", "13900000000", ""]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert problems == ["row 3, column room: room 3-2-1502 is already on row 2"]


def test_undecodable_csv_gives_a_clear_error(session_factory, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(",".join(HEADER).encode("utf-8") + b"\n3,2,1502,\x80\xff\x81,\xff\n")
    with session_factory() as session:
        problems = rejected(session, path)
    assert len(problems) == 1 and problems[0].startswith("file: not UTF-8 or GBK text")


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", b"", "the file is empty"),
    ("notes.txt", b"hello", "only .xlsx and .csv"),
    ("fake.xlsx", b"PK\x03\x04 not a zip", "not a readable .xlsx workbook"),
    ("nul.csv", b"a,b\n\x00\x00\n", "NUL bytes"),
])
def test_unreadable_files(session_factory, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with session_factory() as session:
        problems = rejected(session, path)
    assert len(problems) == 1 and message in problems[0]


def test_a_failure_while_writing_leaves_nothing(session_factory, tmp_path, monkeypatch):
    shutil.copy(FIXTURES / "households_sample.csv", tmp_path / "ok.csv")
    real_write = import_households._Writer.write
    written = []

    def write_then_fail(self, row):
        real_write(self, row)
        written.append(row)
        if len(written) == 3:
            self.session.flush()
            raise RuntimeError("disk full")

    monkeypatch.setattr(import_households._Writer, "write", write_then_fail)
    with session_factory() as session:
        with pytest.raises(RuntimeError):
            import_households_file(session, tmp_path / "ok.csv", local_area_code=SAMPLE_AREA_CODE)
        assert counts(session) == {"Household": 0, "Room": 0, "Person": 0, "Phone": 0}


def test_cli_reports_problems_and_imports_nothing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import models
    from hotline.cli import main
    from hotline.settings import get_settings
    from models.session import make_engine

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        bad = runner.invoke(main, ["import", "households", str(FIXTURES / "households_broken.csv")])
        good = runner.invoke(main, ["import", "households",
                                    str(FIXTURES / "households_sample.xlsx")])
    finally:
        get_settings.cache_clear()
    assert bad.exit_code == 1
    assert "rejected, nothing imported" in bad.output
    assert "row 6, column C 房号: room 3-2-1502 is already on row 2" in bad.output
    assert good.exit_code == 0, good.output
    assert "5 rows imported (5 households created" in good.output


def test_every_bad_row_is_listed(session_factory, tmp_path):
    rows = [HEADER, GOOD_ROW] + [["3", "2", str(2000 + i), "90", "", f"1390000{i:04d}", ""]
                                 for i in range(3000)]
    path = write_csv(tmp_path / "many.csv", rows)
    with session_factory() as session:
        problems = rejected(session, path)
    assert len(problems) == 3000
    assert problems[-1] == "row 3002, column owner_name: required cell is empty"


def test_headers_with_units_spaces_and_english_names(session_factory, tmp_path):
    header = ["Building", "unit", "房号", "建筑面积(㎡)", "业主姓名*", " owner_phones ", "收房日期"]
    path = write_csv(tmp_path / "headers.csv", [header, GOOD_ROW])
    with session_factory() as session:
        assert import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE).rows == 1


def test_phones_without_a_name(session_factory, tmp_path):
    path = write_csv(tmp_path / "nameless.csv", [HEADER + ["租户", "租户电话"],
                                                 GOOD_ROW + ["", "13911112222"]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert problems == ["row 2, column tenant_name: phones given without a name"]


def test_cell_over_the_cell_cap_in_a_csv_names_its_row_and_column(session_factory, tmp_path):
    path = write_csv(tmp_path / "long.csv", [HEADER, GOOD_ROW, ["3", "2", "1503", "90",
                                                                "王" * 1500, "13900000000", ""]])
    with session_factory() as session:
        problems = rejected(session, path)
    assert problems == [f"row 3, column owner_name: cell holds 1500 characters, "
                        f"more than {MAX_CELL_CHARS}"]


# Texts bounded by their database column: the limits come from the models, and
# PostgreSQL (which enforces them) gets the same answer as SQLite.
LONG_HEADER = HEADER + ["身份证号", "编号"]


def long_row(room: str, name: str, identity: str, number: str) -> list[str]:
    return ["3", "2", room, "90", name, "13900000000", "", identity, number]


def test_texts_at_their_column_length_import_and_one_more_is_refused(session_factory,
                                                                     tmp_path):
    name_max, id_max, number_max = (column_length(Person.name),
                                    column_length(Person.identity_number),
                                    column_length(Household.number))
    fits = write_csv(tmp_path / "fits.csv", [LONG_HEADER, long_row(
        "1503", "王" * name_max, "1" * id_max, "H" * number_max)])
    over = write_csv(tmp_path / "over.csv", [LONG_HEADER, long_row(
        "1504", "王" * (name_max + 1), "1" * (id_max + 1), "H" * (number_max + 1))])
    with session_factory() as session:
        problems = rejected(session, over)
        assert import_households_file(session, fits, local_area_code=SAMPLE_AREA_CODE).rows == 1
        person = session.scalar(select(Person))
        assert (len(person.name), len(person.identity_number)) == (name_max, id_max)
    assert problems == [
        f"row 2, column household_number: {number_max + 1} characters, more than the "
        f"{number_max} that households.number holds",
        f"row 2, column owner_name: {name_max + 1} characters, more than the {name_max} "
        "that people.name holds",
        f"row 2, column owner_id_number: {id_max + 1} characters, more than the {id_max} "
        "that people.identity_number holds",
    ]


def test_a_default_household_number_too_long_for_its_column(session_factory, tmp_path):
    # Building, unit and room at their column lengths make a room code that fits
    # rooms.code, but "MAIN-" + that code does not fit households.number.
    building, unit, room = ("B" * column_length(Building.number),
                            "U" * column_length(Unit.number), "R" * column_length(Room.number))
    code = f"{building}-{unit}-{room}"
    assert len(code) <= column_length(Room.code)
    row = [building, unit, room, "90", "王伟", "13900000000", "", "", ""]
    without_number = write_csv(tmp_path / "no_number.csv", [LONG_HEADER, row])
    with_number = write_csv(tmp_path / "number.csv", [LONG_HEADER, row[:-1] + ["H-1"]])
    with session_factory() as session:
        problems = rejected(session, without_number)
        assert import_households_file(session, with_number, local_area_code=SAMPLE_AREA_CODE).rows == 1
        assert session.scalar(select(Room.code)) == code
    assert problems == [f"row 2, column household_number: 'MAIN-{code}': {len(code) + 5} "
                        f"characters, more than the {column_length(Household.number)} that "
                        "households.number holds; give the household number (编号)"]


def test_a_community_code_too_long_for_its_column(session_factory):
    code = "C" * (column_length(Community.code) + 1)
    with session_factory() as session:
        with pytest.raises(ImportRejected) as caught:
            import_households_file(session, FIXTURES / "households_sample.csv", code, local_area_code=SAMPLE_AREA_CODE)
        assert counts(session) == {"Household": 0, "Room": 0, "Person": 0, "Phone": 0}
    assert [str(p) for p in caught.value.problems] == [
        f"file: community code {code[:40]!r}: {len(code)} characters, more than the "
        f"{column_length(Community.code)} that communities.code holds"]
