"""Fuzzing the household and ledger importers with hypothesis.

test_import*.py hold one hand-made file per kind of breakage; here hypothesis
writes the files: cells from plausible values, formulas, over-long text, control
characters and any Unicode, in the expected columns or not, and raw bytes under
.csv and .xlsx names. Whatever the file, the importer either imports every row
or rejects the file with problems that each name a row (or the file) and leaves
the database exactly as it was; no other exception ever escapes.
"""
from __future__ import annotations

import csv
import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

import models
from households.errors import ImportRejected
from households.importing import import_households_file, import_ledger_file
from households.samples import SAMPLE_AREA_CODE
from models.fees import Charge, Payment
from models.households import Household, Person, Phone, Room
from models.session import make_engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
HOUSEHOLD_HEADER = ["楼号", "单元", "房号", "建筑面积", "业主姓名", "业主电话", "收房日期"]
LEDGER_HEADER = ["房号", "费用类型", "期间", "应收金额", "实收金额", "收据号", "缴费日期"]
_names = itertools.count()

nasty = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1", "\r", "",
                     " ", "NaN", "1e999", "-0", "０１２", "１５０２", "None", "null"]),
    # Over-long cells (the limit is 1000 characters), cheap to generate.
    st.builds(lambda text, times: (text * times)[:times], st.text(min_size=1, max_size=3),
              st.integers(990, 1100)),
)
household_cells = [
    st.one_of(st.sampled_from(["1", "3", "12"]), nasty),
    st.one_of(st.sampled_from(["1", "2"]), nasty),
    st.one_of(st.sampled_from(["101", "1502", "2201"]), nasty),
    st.one_of(st.sampled_from(["88.5", "128", "0", "-5"]), nasty),
    st.one_of(st.sampled_from(["王伟", "O'Brien", "张三丰"]), nasty),
    st.one_of(st.sampled_from(["13800138000", "010-62345678", "+86 139 0000 1111", ""]), nasty),
    st.one_of(st.sampled_from(["2019-06-01", "2019/6/1", "", "2019-02-30"]), nasty),
]
ledger_cells = [
    st.one_of(st.sampled_from(["3-2-1502", "1-1-101", "9-9-999"]), nasty),
    st.one_of(st.sampled_from(["物业管理费", "停车费", "水费"]), nasty),
    st.one_of(st.sampled_from(["2026Q3", "2026-07", "2026Q5", "2026"]), nasty),
    st.one_of(st.sampled_from(["1156.50", "0", "-1", "1e3", "1,156.50"]), nasty),
    st.one_of(st.sampled_from(["1156.50", "", "abc"]), nasty),
    st.one_of(st.sampled_from(["R2026-0001", "", "R2026-0002"]), nasty),
    st.one_of(st.sampled_from(["2026-07-05", "", "yesterday"]), nasty),
]


@pytest.fixture(scope="module")
def sessions():
    folder = Path(tempfile.mkdtemp(prefix="hotline-fuzz-import-"))
    engine = make_engine(f"sqlite:///{folder / 'fuzz.sqlite3'}")
    models.Base.metadata.create_all(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:  # the ledger needs households to charge
        import_households_file(session, FIXTURES / "households_sample.csv", local_area_code=SAMPLE_AREA_CODE)
    yield factory, folder
    engine.dispose()


def _counts(session) -> tuple:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Household, Room, Person, Phone, Charge, Payment))


def _write_csv(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / f"fuzz-{next(_names)}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def import_households(session, path: Path):
    return import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE)


def _import_checked(factory, importer, path: Path, data_rows: int) -> None:
    # Problems name the file's line (a quoted cell may span lines): within the file.
    last_line = len(path.read_bytes().decode("utf-8", "replace").splitlines()) + 1
    with factory() as session:
        before = _counts(session)
        try:
            report = importer(session, path)
        except ImportRejected as rejected:
            session.rollback()
            assert rejected.problems, "rejected without saying why"
            for problem in rejected.problems:
                assert str(problem).strip()
                assert problem.row is None or 1 <= problem.row <= last_line, problem
            assert _counts(session) == before, "a rejected file changed the database"
            return
        assert report.rows <= data_rows


fuzz_settings = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])


@fuzz_settings
@given(st.lists(st.tuples(*household_cells).map(list), max_size=6),
       st.permutations(HOUSEHOLD_HEADER), st.booleans())
def test_any_household_file_imports_whole_or_not_at_all(sessions, rows, header, shuffled):
    factory, folder = sessions
    path = _write_csv(folder, [header if shuffled else HOUSEHOLD_HEADER] + rows)
    _import_checked(factory, import_households, path, len(rows))


@fuzz_settings
@given(st.lists(st.tuples(*ledger_cells).map(list), max_size=6))
def test_any_ledger_file_imports_whole_or_not_at_all(sessions, rows):
    factory, folder = sessions
    path = _write_csv(folder, [LEDGER_HEADER] + rows)
    _import_checked(factory, import_ledger_file, path, len(rows))


@fuzz_settings
@given(st.lists(st.lists(nasty, max_size=9), max_size=5))
def test_any_header_and_any_cells(sessions, rows):
    factory, folder = sessions
    path = _write_csv(folder, rows)
    _import_checked(factory, import_households, path, max(0, len(rows) - 1))


@fuzz_settings
@given(st.binary(max_size=2000), st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_under_a_spreadsheet_name(sessions, content, suffix):
    factory, folder = sessions
    path = folder / f"fuzz-{next(_names)}{suffix}"
    path.write_bytes(content)
    _import_checked(factory, import_households, path, content.count(b"\n") + 1)
