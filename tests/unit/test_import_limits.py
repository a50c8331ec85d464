"""Spreadsheets and CSV files the importer must refuse before they cost memory:
a cell at XFD1048576, a zip bomb, an XML entity, too many rows or columns, huge
lines. The hostile spreadsheets go through `hotline import households` in a child
process under a 1 GB address-space ceiling and a timeout, and the child's peak
memory and time are measured against the sample file's import.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

import models
from households.errors import ImportRejected
from households.importing import import_households_file
from households.samples import SAMPLE_AREA_CODE
from households.sheet_files import DEFAULT_LIMITS, ImportLimits
from models.households import Household
from models.session import make_engine
from tests.support.hostile_sheets import (
    FIXTURES, bomb_sheet, entity_sheet, far_cell_sheet, sample_rows, write_sample_xlsx,
)
from tests.support.limited_run import run_limited

CEILING_MB = 1024
TIMEOUT_S = 60


def refusal(session, path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_households_file(session, path, limits=limits, local_area_code=SAMPLE_AREA_CODE)
    assert session.scalar(select(func.count()).select_from(Household)) == 0
    return [str(problem) for problem in caught.value.problems]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{folder / 'cli.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_IMPORT_")}
    env.update(HOTLINE_DATABASE_URL=url, HOTLINE_STATE_DIR=str(folder))
    return env


def cli_import(env: dict, path: Path):
    return run_limited([sys.executable, "-m", "hotline.cli", "import", "households", str(path)],
                       memory_mb=CEILING_MB, timeout_s=TIMEOUT_S, env=env)


@pytest.fixture(scope="module")
def sample_run(cli_env, tmp_path_factory):
    """The sample sheet's import: the yardstick for the refused ones."""
    path = write_sample_xlsx(tmp_path_factory.mktemp("sample") / "sample.xlsx")
    run = cli_import(cli_env, path)
    assert run.returncode == 0, run.stderr
    print(f"\nsample import: peak RSS {run.peak_rss_mb:.1f} MB, {run.seconds:.2f} s")
    return run


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    unpacked_mb = DEFAULT_LIMITS.max_uncompressed_mb + 1
    return bomb_sheet(tmp_path_factory.mktemp("bomb"), unpacked_mb)


def households_in(env: dict) -> int:
    with make_engine(env["HOTLINE_DATABASE_URL"]).connect() as connection:
        return connection.scalar(select(func.count()).select_from(Household))


def assert_refused_cheaply(run, sample_run, env: dict, *phrases: str) -> None:
    print(f"\nrefused import: peak RSS {run.peak_rss_mb:.1f} MB, {run.seconds:.2f} s "
          f"(sample: {sample_run.peak_rss_mb:.1f} MB, {sample_run.seconds:.2f} s)")
    assert not run.timed_out, f"still running after {TIMEOUT_S} s"
    assert run.returncode == 1, run.stderr[-2000:]
    assert "rejected, nothing imported" in run.stderr, run.stderr[-2000:]
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr[-2000:]
    # Refusing must cost about what importing the five-row sample costs.
    assert run.peak_rss_mb < sample_run.peak_rss_mb + 40
    assert run.seconds < sample_run.seconds + 10
    assert households_in(env) == 5  # the sample's, nothing more


def test_far_cell_is_refused_before_any_cell_is_made(cli_env, sample_run, tmp_path):
    run = cli_import(cli_env, far_cell_sheet(tmp_path))
    assert_refused_cheaply(run, sample_run, cli_env, "A1:XFD1048576", "HOTLINE_IMPORT_MAX_ROWS")


def test_zip_bomb_sheet_is_refused_unread(cli_env, sample_run, bomb):
    assert bomb.stat().st_size < 2 * 1024 * 1024
    run = cli_import(cli_env, bomb)
    assert_refused_cheaply(run, sample_run, cli_env, "xl/worksheets/sheet1.xml",
                           "HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB")


def test_huge_csv_line_is_refused_with_bounded_memory(cli_env, sample_run, tmp_path):
    path = tmp_path / "huge_line.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("楼号,单元,房号,建筑面积,业主姓名,业主电话\n3,2,1502,90,")
        handle.write("王" * (15 * 1024 * 1024))  # 45 MB of UTF-8, one cell, one line
        handle.write(",13800138000\n")
    run = cli_import(cli_env, path)
    assert_refused_cheaply(run, sample_run, cli_env, "row 2: a line longer than 100150 characters")


@pytest.mark.parametrize("claim, cell", [(True, False), (False, True)],
                         ids=["dimension-claim-only", "far-cell-only"])
def test_far_cell_or_its_claim_alone_is_refused(sqlite_session_factory, tmp_path, claim, cell):
    with sqlite_session_factory() as session:
        problems = refusal(session, far_cell_sheet(tmp_path, claim=claim, cell=cell))
    assert len(problems) == 1
    assert ("A1:XFD1048576" if claim else "XFD1048576") in problems[0]
    assert "100000 rows" in problems[0] and "50 columns" in problems[0]


def test_zip_bomb_in_process(sqlite_session_factory, bomb):
    with sqlite_session_factory() as session:
        problems = refusal(session, bomb)
    assert len(problems) == 1
    assert problems[0].startswith("file: xl/worksheets/sheet1.xml unpacks to ")
    assert problems[0].endswith(f"more than {DEFAULT_LIMITS.max_uncompressed_mb} MB "
                                "(HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB)")


def test_xml_entities_are_refused(sqlite_session_factory, tmp_path):
    assert openpyxl.xml.DEFUSEDXML is True  # openpyxl parses through defusedxml
    with sqlite_session_factory() as session:
        problems = refusal(session, entity_sheet(tmp_path))
    assert problems == ["file: not a readable .xlsx workbook (EntitiesForbidden)"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_row_cap_counts_the_header(sqlite_session_factory, tmp_path, suffix):
    rows = sample_rows()  # header + 5 rooms
    path = tmp_path / f"sample{suffix}"
    if suffix == ".csv":
        path.write_bytes((FIXTURES / "households_sample.csv").read_bytes())
    else:
        write_sample_xlsx(path, rows)
    with sqlite_session_factory() as session:
        problems = refusal(session, path, ImportLimits(max_rows=len(rows) - 1))
        assert len(problems) == 1 and f"more than {len(rows) - 1} rows" in problems[0]
        assert import_households_file(session, path,
                                      limits=ImportLimits(max_rows=len(rows)), local_area_code=SAMPLE_AREA_CODE).rows == 5


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_column_cap(sqlite_session_factory, tmp_path, suffix):
    rows = sample_rows()
    rows[2] = rows[2] + [""] * (50 - len(rows[2])) + ["far"]  # a value in column 51 (AY)
    path = tmp_path / f"wide{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    else:
        write_sample_xlsx(path, rows)
    with sqlite_session_factory() as session:
        problems = refusal(session, path)
    assert len(problems) == 1
    # The workbook's honest dimension (A1:AY6) already says so; the CSV's line 3.
    where = "file: the sheet's dimension claims A1:AY6: " if suffix == ".xlsx" else "row 3: "
    assert problems[0].startswith(where), problems[0]
    assert problems[0].endswith("more than 50 columns (HOTLINE_IMPORT_MAX_COLUMNS)")


def test_trailing_empty_csv_cells_do_not_count_as_columns(sqlite_session_factory, tmp_path):
    text = (FIXTURES / "households_sample.csv").read_text(encoding="utf-8")
    path = tmp_path / "padded.csv"
    path.write_text("".join(line + "," * 80 + "\n" for line in text.splitlines()),
                    encoding="utf-8")
    with sqlite_session_factory() as session:
        assert import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE).rows == 5


def test_csv_over_the_file_cap(sqlite_session_factory, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as handle:  # sparse: no disk spent
        handle.truncate(51 * 1024 * 1024)
    with sqlite_session_factory() as session:
        problems = refusal(session, path)
    assert problems == [f"file: the file is {51 * 1024 * 1024} bytes, more than 52428800"]


def test_undecodable_byte_offset_is_where_it_is(sqlite_session_factory, tmp_path):
    # Past the first read chunk, so a streamed decoder must count the bytes before it.
    path = tmp_path / "late_bad_byte.csv"
    good = (FIXTURES / "households_sample.csv").read_bytes()
    filler = b"".join(b"3,2,%d,90,X,13800138000\n" % (3000 + i) for i in range(60000))
    path.write_bytes(good + filler + b"3,2,1,90,\xff\xfe\x80,1\n")
    with sqlite_session_factory() as session:
        problems = refusal(session, path)
    assert problems == [f"file: not UTF-8 or GBK text (undecodable byte at offset "
                        f"{len(good) + len(filler) + 9}); save the CSV as 'CSV UTF-8' or as .xlsx"]


def test_nul_bytes_late_in_the_file(sqlite_session_factory, tmp_path):
    path = tmp_path / "nul.csv"
    filler = b"".join(b"3,2,%d,90,X,13800138000\n" % (3000 + i) for i in range(60000))
    path.write_bytes((FIXTURES / "households_sample.csv").read_bytes() + filler + b"\x00\n")
    with sqlite_session_factory() as session:
        problems = refusal(session, path)
    assert problems == ["file: the file holds NUL bytes: not a CSV text file"]


def test_utf16_csv_still_reads(sqlite_session_factory, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes((FIXTURES / "households_sample.csv").read_text(encoding="utf-8")
                     .encode("utf-16"))
    with sqlite_session_factory() as session:
        report = import_households_file(session, path, local_area_code=SAMPLE_AREA_CODE)
    assert report.rows == 5 and report.note == "read as UTF-16"


def test_settings_carry_the_caps(monkeypatch):
    from hotline.errors import SettingsError
    from hotline.settings import load_settings

    for name in ("HOTLINE_IMPORT_MAX_ROWS", "HOTLINE_IMPORT_MAX_COLUMNS",
                 "HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert ImportLimits.from_settings(settings) == DEFAULT_LIMITS
    monkeypatch.setenv("HOTLINE_IMPORT_MAX_ROWS", "7")
    monkeypatch.setenv("HOTLINE_IMPORT_MAX_COLUMNS", "20")
    monkeypatch.setenv("HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB", "12")
    assert ImportLimits.from_settings(load_settings()) == ImportLimits(7, 20, 12)
    monkeypatch.setenv("HOTLINE_IMPORT_MAX_COLUMNS", "0")
    with pytest.raises(SettingsError, match="HOTLINE_IMPORT_MAX_COLUMNS"):
        load_settings()


def test_cli_reads_the_caps_from_settings(cli_env, tmp_path):
    env = dict(cli_env, HOTLINE_IMPORT_MAX_ROWS="3")
    run = run_limited([sys.executable, "-m", "hotline.cli", "import", "households",
                       str(FIXTURES / "households_sample.csv")],
                      memory_mb=CEILING_MB, timeout_s=TIMEOUT_S, env=env)
    assert run.returncode == 1, run.stderr
    assert "more than 3 rows" in run.stderr and "HOTLINE_IMPORT_MAX_ROWS" in run.stderr
