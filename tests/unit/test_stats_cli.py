"""`hotline stats` and `hotline stats verify` from the command line."""
from __future__ import annotations

import io
import json

from click.testing import CliRunner
from openpyxl import load_workbook

from hotline.cli import main
from hotline.settings import get_settings


def run(monkeypatch, tmp_path, url, *args):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, ["stats", *args])
    finally:
        get_settings.cache_clear()


def test_json_and_excel(monkeypatch, tmp_path, sqlite_url):
    excel = tmp_path / "stats.xlsx"
    result = run(monkeypatch, tmp_path, sqlite_url, "--from", "2026-11-01", "--to",
                 "2026-11-08", "--by", "week", "--json", "--excel", str(excel))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["by"] == "week" and report["total"]["received"]["value"] == 0
    assert report["total"]["service_level"] == {"value": None, "ok": None}
    workbook = load_workbook(io.BytesIO(excel.read_bytes()))
    assert workbook.sheetnames[0] == "by week" and "definitions" in workbook.sheetnames
    assert workbook["by week"]["B2"].value == "—"


def test_bad_period_is_one_line_and_status_2(monkeypatch, tmp_path, sqlite_url):
    result = run(monkeypatch, tmp_path, sqlite_url, "--from", "2026-11-08", "--to", "2026-11-01")
    assert result.exit_code == 2
    assert "must be after" in result.output


def test_verify_fails_when_the_database_lacks_the_calls(monkeypatch, tmp_path, sqlite_url,
                                                        shared_ami_dir):
    result = run(monkeypatch, tmp_path, sqlite_url, "verify", "--queue-log",
                 str(shared_ami_dir / "queue_log.sample"))
    assert result.exit_code == 2
    assert "measures differ from queue_log" in result.output
