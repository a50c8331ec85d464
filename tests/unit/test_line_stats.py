"""Blocked calls and the wait estimate's quality on the statistics (issue 16): queue_log
followed into the database (call_queue.line_import) and reported by queue, host and
day beside the calls, on SQLite and PostgreSQL (db_url runs each test on both)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from call_queue import line_import
from call_queue.errors import QueueLogError
from call_queue.stats import export as stats_export, report as stats
from call_queue.stats.line_queries import nearest_rank
from hotline.cli import main
from hotline.settings import get_settings
from models.line_figures import BlockedCall, WaitEstimate
from tests.support.line_stats_data import (
    B_LOG, DAY, EXPECTED_B, EXPECTED_MAIN, EXPECTED_TOTAL, MAIN_LOG, line_calls,
)
from tests.support.settings import make_settings

SETTINGS = make_settings(service_level_s=20, short_abandon_s=5)
LINE_KEYS = tuple(EXPECTED_TOTAL)


def _import(session_factory, tmp_path, name: str, text: str, host: str):
    path = tmp_path / name
    path.write_text(text)
    return line_import.LineFollower(path, host).import_new(session_factory)


@pytest.fixture
def loaded(session_factory, tmp_path):
    with session_factory.begin() as session:
        session.add_all(line_calls())
    _import(session_factory, tmp_path, "main_queue_log", MAIN_LOG, "main")
    _import(session_factory, tmp_path, "b_queue_log", B_LOG, "b")
    return session_factory


def report_for(session_factory, **filters):
    period = stats.make_period(DAY.replace(hour=0), DAY.replace(hour=0) + dt.timedelta(days=1),
                               "day", **filters)
    with session_factory() as session:
        return stats.compute_stats(session, period, SETTINGS)


def line_values(row: dict) -> dict:
    values = stats.flat_values(row)
    return {key: values[key] for key in LINE_KEYS}


def test_the_follower_stores_each_blocked_call_and_each_told_caller_once(session_factory,
                                                                         tmp_path):
    first = _import(session_factory, tmp_path, "queue_log", MAIN_LOG, "main")
    assert (first.blocked, first.estimates) == (1, 4)  # m-1 was told 0: stored, not judged
    again = _import(session_factory, tmp_path, "queue_log", MAIN_LOG, "main")  # a restart
    assert again.lines == first.lines
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(BlockedCall)) == 1
        estimates = {row.callid: (row.estimated_s, row.waited_s)
                     for row in session.scalars(select(WaitEstimate))}
        blocked = session.scalars(select(BlockedCall)).one()
    assert estimates == {"m-1": (0, 40), "m-2": (10, 90), "m-4": (30, 20), "m-5": (27, 200)}
    assert (blocked.callid, blocked.queue, blocked.caller_number) == ("m-b1", "hotline",
                                                                      "13800000009")
    assert blocked.blocked_at == DAY + dt.timedelta(seconds=500)


def test_a_growing_file_is_read_on_from_where_it_was_with_the_estimate_carried_on(
        session_factory, tmp_path):
    lines = MAIN_LOG.splitlines(keepends=True)
    path = tmp_path / "queue_log"
    # Cut inside a line: Asterisk is still writing it; it is read when it is whole.
    cut = "".join(lines[:6]) + lines[6][:7]
    path.write_text(cut)
    follower = line_import.LineFollower(path, "main")
    assert follower.import_new(session_factory).estimates == 2
    path.write_text(MAIN_LOG)
    assert follower.import_new(session_factory).estimates == 2
    with session_factory() as session:
        told = dict(session.execute(select(WaitEstimate.callid, WaitEstimate.estimated_s)).all())
    assert told == {"m-1": 0, "m-2": 10, "m-4": 30, "m-5": 27}


def test_a_rotated_file_is_read_from_its_start(session_factory, tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(MAIN_LOG)
    follower = line_import.LineFollower(path, "main")
    follower.import_new(session_factory)
    path.write_text(B_LOG.replace("b-", "r-"))  # logrotate: a new, shorter file
    result = follower.import_new(session_factory)
    assert (result.blocked, result.estimates) == (2, 2)


def test_an_unreadable_queue_log_is_one_clear_error_and_the_follower_tries_again(
        session_factory, tmp_path, caplog):
    missing = tmp_path / "nowhere" / "queue_log"
    follower = line_import.LineFollower(missing, "main")
    with pytest.raises(QueueLogError, match="cannot read queue_log .*nowhere/queue_log"):
        follower.import_new(session_factory)
    slept = []
    line_import.follow(follower, session_factory, 5, rounds=2, sleep=slept.append)
    assert slept == [5] and "trying again in 5 s" in caplog.text


def test_junk_lines_are_skipped_and_the_rest_stored(session_factory, tmp_path):
    junk = MAIN_LOG.replace("\n", "\nnot a line\n", 1)
    result = _import(session_factory, tmp_path, "queue_log", junk + "\x00\x01||\n", "main")
    assert (result.blocked, result.estimates) == (1, 4)


def test_total_host_queue_and_day_rows(loaded):
    report = report_for(loaded)
    assert line_values(report["total"]) == pytest.approx(EXPECTED_TOTAL)
    by_host = {row["host"]: line_values(row) for row in report["by_host"]}
    assert by_host == {"main": pytest.approx(EXPECTED_MAIN), "b": pytest.approx(EXPECTED_B)}
    assert [line_values(row) for row in report["by_queue"]] == [pytest.approx(EXPECTED_TOTAL)]
    assert [line_values(row) for row in report["rows"]] == [pytest.approx(EXPECTED_TOTAL)]
    # 30 % blocked is outside 1-3 %; the estimate has no norm of its own.
    assert report["total"]["blocked_rate"]["ok"] is False
    assert report["total"]["estimate_p90_error_s"]["ok"] is None


def test_agents_have_no_blocked_calls_or_estimates(loaded):
    report = report_for(loaded)
    for row in report["by_agent"]:
        assert set(line_values(row).values()) == {None}
    assert set(line_values(report_for(loaded, agent="PJSIP/8001")["total"]).values()) == {None}


def test_a_queue_and_a_host_filter(loaded):
    assert line_values(report_for(loaded, queue="other")["total"])["blocked"] == 0
    period = stats.make_period(DAY.replace(hour=0), DAY.replace(hour=0) + dt.timedelta(days=1),
                               "day")
    with loaded() as session:
        report = stats.compute_stats(session, dataclasses.replace(period, host="b"), SETTINGS)
    assert line_values(report["total"]) == pytest.approx(EXPECTED_B)


def test_a_period_with_calls_and_no_blocked_call_is_zero_and_within_the_norm(session_factory):
    with session_factory.begin() as session:
        session.add_all(line_calls())
    total = report_for(session_factory)["total"]
    assert total["blocked"]["value"] == 0
    assert total["blocked_rate"] == {"value": 0.0, "ok": True}
    assert total["estimate_told"]["value"] == 0 and total["estimate_median_error_s"]["value"] is None


def test_the_excel_lists_the_new_measures_per_queue_and_per_host(loaded):
    workbook = load_workbook(io.BytesIO(stats_export.to_excel(report_for(loaded))))
    assert "per host" in workbook.sheetnames
    header = [cell.value for cell in workbook["per host"][1]]
    rows = {row[0]: dict(zip(header, row)) for row in
            workbook["per host"].iter_rows(min_row=3, values_only=True)}
    assert rows["b"]["Blocked rate"] == 0.5 and rows["main"]["Wait estimate: median error"] == 80
    assert "Wait estimate within ±60 s" in [cell.value for cell in workbook["per queue"][1]]


def test_nearest_rank():
    assert nearest_rank({}, 0.5) is None
    assert nearest_rank({5: 1}, 0.9) == 5
    assert nearest_rank({1: 1, 2: 1, 3: 1, 4: 1}, 0.5) == 2
    assert nearest_rank({1: 9, 100: 1}, 0.9) == 1 and nearest_rank({1: 9, 100: 2}, 0.9) == 100


def test_the_command_imports_once(monkeypatch, tmp_path, sqlite_url):
    path = tmp_path / "queue_log"
    path.write_text(MAIN_LOG)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["stats", "import-line", "--queue-log", str(path),
                                           "--host", "main"])
        missing = CliRunner().invoke(main, ["stats", "import-line", "--queue-log",
                                            str(tmp_path / "none")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 blocked calls, 4 wait estimates" in result.output
    assert missing.exit_code != 0 and "cannot read queue_log" in missing.output
