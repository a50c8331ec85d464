"""`hotline reports` from the command line: through click's CliRunner on SQLite and
PostgreSQL, and once as the real program a cron job runs."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from hotline.cli import main
from hotline.settings import get_settings
from tests.support.report_data import seed_november

HOTLINE = Path(sys.executable).with_name("hotline")


def run(monkeypatch, tmp_path, url, *args):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_OFFICE_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, ["reports", *args])
    finally:
        get_settings.cache_clear()


def test_each_report_as_excel_and_json(monkeypatch, tmp_path, db_url, session_factory):
    with session_factory() as session:
        ids = seed_november(session)
    weekly = tmp_path / "weekly.xlsx"
    result = run(monkeypatch, tmp_path, db_url, "weekly-complaints", "--week", "2026-W46",
                 "--out", str(weekly))
    assert result.exit_code == 0, result.output
    assert "weekly-complaints 2026-W46 (2026-11-09 – 2026-11-15, Asia/Shanghai)" in result.output
    book = load_workbook(io.BytesIO(weekly.read_bytes()))
    assert book["概览"]["A1"].value == "投诉周报表"
    assert [row[0].value for row in book["投诉"].iter_rows(min_row=2)] == [
        ids["C1"], ids["C2"], ids["C3"]]

    result = run(monkeypatch, tmp_path, db_url, "monthly", "--month", "2026-11", "--format",
                 "json")
    assert result.exit_code == 0, result.output
    monthly = json.loads(result.output)
    assert monthly["follow_ups"]["owed"] == 11 and len(monthly["recurring"]) == 2

    out = tmp_path / "timeliness.xlsx"
    result = run(monkeypatch, tmp_path, db_url, "repair-timeliness", "--from", "2026-11-01",
                 "--to", "2026-11-30", "--out", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    overview = load_workbook(io.BytesIO(out.read_bytes()))["Overview"]
    assert overview["A1"].value == "Repair timeliness" and overview["B7"].value == 8


def test_bad_input_is_one_line_and_status_2(monkeypatch, tmp_path, sqlite_url):
    result = run(monkeypatch, tmp_path, sqlite_url, "weekly-complaints", "--week", "48")
    assert result.exit_code == 2
    assert "week: '48' is not an ISO week such as 2026-W48" in result.output
    result = run(monkeypatch, tmp_path, sqlite_url, "weekly-complaints", "--week", "2026-W48")
    assert result.exit_code == 2 and "an Excel file needs --out" in result.output
    result = run(monkeypatch, tmp_path, sqlite_url, "repair-timeliness", "--from", "2026-11-30",
                 "--to", "2026-11-01", "--format", "json")
    assert result.exit_code == 2 and "is before 2026-11-30" in result.output


def test_the_real_command_as_cron_runs_it(tmp_path, sqlite_url, sqlite_session_factory):
    with sqlite_session_factory() as session:
        seed_november(session)
    out = tmp_path / "monthly.xlsx"
    env = {**os.environ, "HOTLINE_DATABASE_URL": sqlite_url, "HOTLINE_STATE_DIR": str(tmp_path),
           "HOTLINE_OFFICE_TIMEZONE": "Asia/Shanghai"}
    done = subprocess.run([str(HOTLINE), "reports", "monthly", "--month", "2026-11", "--out",
                           str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{out}: monthly 2026-11" in done.stdout
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert "重复出现的问题" in book.sheetnames
    assert book["概览"]["B2"].value == "2026-11"
