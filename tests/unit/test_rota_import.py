"""The rota from Excel on SQLite and PostgreSQL: an office's sheet imported (names or
user names, 白班/中班/夜班, date and time cells, a night shift to the next morning),
again without duplicates; a bad sheet refused whole with every problem by row and
column and nothing lost; hostile files refused by the imports' hardened reader; and
the overlap check holding when two supervisors add at the same instant."""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from call_queue import rota, rota_import
from models.console import User
from models.rota import RotaShift
from tests.support.hostile_sheets import entity_sheet, far_cell_sheet
from tests.support.rota_sheets import good_rows, write_rota_sheet

OFFICE = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 7)


@pytest.fixture
def agents(session_factory):
    with session_factory() as session:
        people = [User(username=name, password_hash="x", role="agent", display_name=shown,
                       phone_interface=phone)
                  for name, shown, phone in (("a1", "王芳", "PJSIP/8001"),
                                             ("a2", "李强", "PJSIP/8002"))]
        session.add_all(people)
        session.commit()
        return {user.username: user.id for user in people}


def shifts(session_factory) -> list[tuple]:
    with session_factory() as session:
        return [(s.user_id, s.day, s.kind, s.starts_at.astimezone(OFFICE).strftime("%d %H:%M"),
                 s.ends_at.astimezone(OFFICE).strftime("%d %H:%M"))
                for s in session.scalars(select(RotaShift).order_by(RotaShift.starts_at))]


def test_an_office_sheet_imports_and_again_adds_nothing(session_factory, agents, tmp_path):
    sheet = write_rota_sheet(tmp_path / "rota.xlsx", good_rows(DAY))
    with session_factory() as session:
        preview = rota_import.preview_rota(session, sheet, OFFICE)
        assert preview.ok, [str(p) for p in preview.problems]
        assert [(r.row, r.name, r.draft.kind, r.unchanged) for r in preview.rows] == [
            (4, "王芳", "day", False), (5, "李强", "evening", False), (6, "王芳", "night", False)]
        assert [p.header for p in preview.table.ignored] == ["备注"]
    with session_factory.begin() as session:
        _, imported = rota_import.import_rota(session, sheet, OFFICE, None)
    assert imported == rota_import.RotaImported(added=3, unchanged=0)
    a1, a2 = agents["a1"], agents["a2"]
    assert shifts(session_factory) == [
        (a1, DAY, "day", "07 08:00", "07 16:00"), (a2, DAY, "evening", "07 16:00", "07 23:30"),
        (a1, DAY + dt.timedelta(days=1), "night", "08 17:30", "09 08:30")]
    with session_factory.begin() as session:
        again, imported = rota_import.import_rota(session, sheet, OFFICE, None)
    assert imported == rota_import.RotaImported(added=0, unchanged=3)
    assert all(row.unchanged for row in again.rows) and len(shifts(session_factory)) == 3


def problems(preview) -> list[tuple]:
    return [(p.row, p.column, str(p.message)) for p in preview.problems]


def test_a_bad_sheet_is_refused_whole_by_row_and_column(session_factory, agents, tmp_path):
    with session_factory.begin() as session:
        rota.add_shift(session, rota.check_shift(session, rota.ShiftForm(
            str(agents["a2"]), DAY.isoformat(), "day", "09:00", "17:00"), OFFICE), None)
    before = shifts(session_factory)
    rows = good_rows(DAY) + [
        ["张三", DAY.isoformat(), "白班", "08:00", "16:00", ""],          # row 7: nobody
        ["a1", "下周一", "白班", "08:00", "16:00", ""],                    # row 8: no date
        ["a1", DAY.isoformat(), "加班", "25:00", "16:00", ""],            # row 9: kind, time
        ["王芳", DAY.isoformat(), "中班", "12:00", "18:00", ""],          # row 10: row 4's
        ["a2", DAY.isoformat(), "白班", "=NOW()", "16:00", ""],           # row 11: formula
        ["a1", DAY.isoformat(), "白班", "22:00", "06:00", ""],            # row 12: not night
        ["", DAY.isoformat(), "白班", "08:00", "16:00", ""],              # row 13: empty agent
    ]
    sheet = write_rota_sheet(tmp_path / "bad.xlsx", rows)
    with session_factory.begin() as session:
        preview, imported = rota_import.import_rota(session, sheet, OFFICE, None)
    assert imported is None
    assert problems(preview) == [
        (5, "start", "this agent already has a shift at that time"),
        (7, "agent", "no active agent of that name or user name"),
        (8, "day", "'下周一' is not a date like 2024-03-01"),
        (9, "kind", "not a shift: 白班, 中班 or 夜班 (day, evening, night)"),
        (9, "start", "not a time like 08:30"),
        (10, "start", "overlaps row 4 of this sheet (the same agent)"),
        (11, "start", "formulas are not imported ('=NOW()'); paste values instead"),
        (12, "end", "the shift ends before it starts (only a night shift may end the next "
                    "morning)"),
        (13, "agent", "required cell is empty"),
    ]
    assert shifts(session_factory) == before  # nothing written, nothing lost
    assert preview.table.places["agent"].letter == "A"
    assert preview.table.places["start"].header == "开始"


def test_a_missing_column_and_an_empty_sheet_are_told(session_factory, agents, tmp_path):
    sheet = tmp_path / "no-end.xlsx"
    write_rota_sheet(sheet, [["王芳", DAY.isoformat(), "白班", "08:00"]])
    from openpyxl import load_workbook
    workbook = load_workbook(sheet)
    workbook.active["E3"] = None
    workbook.save(sheet)
    with session_factory() as session:
        missing = rota_import.preview_rota(session, sheet, OFFICE)
        empty = rota_import.preview_rota(session, write_rota_sheet(tmp_path / "e.xlsx", []),
                                         OFFICE)
    assert problems(missing) == [(3, None, "missing required column(s): end")]
    assert problems(empty) == [(None, None, "the sheet has no shifts under its header")]


@pytest.mark.parametrize("hostile", [far_cell_sheet, entity_sheet])
def test_hostile_files_are_refused_by_the_hardened_reader(session_factory, agents, tmp_path,
                                                          hostile):
    with session_factory() as session:
        preview = rota_import.preview_rota(session, hostile(tmp_path), OFFICE)
    assert not preview.ok and preview.rows == ()
    assert [p.row for p in preview.problems] == [None]
    assert shifts(session_factory) == []


def test_two_supervisors_adding_at_the_same_instant_get_one_shift(session_factory, agents):
    """A holds the agent's rota (checked, shift added, not committed); B checks the
    same time meanwhile: B waits for A, then sees A's shift and is refused."""
    form = rota.ShiftForm(str(agents["a1"]), DAY.isoformat(), "day", "08:00", "16:00")
    later = rota.ShiftForm(str(agents["a1"]), DAY.isoformat(), "evening", "12:00", "20:00")
    a_holds, b_done = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def supervisor_b():
        a_holds.wait(10)
        with session_factory() as session:
            try:
                rota.add_shift(session, rota.check_shift(session, later, OFFICE), None)
                session.commit()
                outcome["b"] = "added"
            except rota.ShiftRefused as refused:
                session.rollback()
                outcome["b"] = refused.errors
        b_done.set()

    thread = threading.Thread(target=supervisor_b)
    thread.start()
    with session_factory() as session:
        rota.add_shift(session, rota.check_shift(session, form, OFFICE), None)
        a_holds.set()
        assert not b_done.wait(1.5), "B did not wait for A's lock on the agent's rota"
        session.commit()
    thread.join(15)
    assert outcome["b"] == {"start": "overlap"}
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RotaShift)) == 1


def test_every_rota_import_problem_is_in_the_catalogue():
    from babel.messages.extract import extract_from_dir

    from tests.support.console_pages import po_catalogue

    folder = Path(rota_import.__file__).parent
    ids = {message for name, _l, message, _c, _x in extract_from_dir(
        str(folder), [("rota_import.py", "python")], keywords={"msg": None})}
    zh, en = po_catalogue("zh"), po_catalogue("en")
    assert len(ids) >= 10
    assert sorted(m for m in ids if zh.get(m) is None or not zh.get(m).string) == []
    assert sorted(m for m in ids if en.get(m) is None) == []
