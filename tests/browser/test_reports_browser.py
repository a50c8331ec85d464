"""The report pages in Debian's chromium at 1366x768, zh-CN, as a supervisor: reached
from the menu, the hand-counted November on screen with its chart drawn, the
Excel download opened back, no horizontal scroll, no raw codes or English; a bad
week told next to its field with the typed text kept. Screenshots go to
test-artifacts/reports/.

The console runs as `hotline console` over its own SQLite database and a private
redis-server. Run under the lab lock:
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_reports_browser.py`.
"""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.security import generate_password_hash

import models
from bench.support import private_console, stop_processes
from hotline.settings import load_settings
from models.console import User
from models.session import make_engine, session_factory
from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.console_pages import codes_to_flag, english_ids_translated_in_zh, problems
from tests.support.report_data import seed_november

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "reports"
PASSWORD = "browser test password"


@pytest.fixture
def console(tmp_path, private_redis_server):
    database_url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    models.Base.metadata.create_all(make_engine(database_url))
    with session_factory(database_url)() as session:
        seed_november(session)
        session.add(User(username="rep-supervisor", role="supervisor", display_name="主管",
                         language="zh", password_hash=generate_password_hash(PASSWORD)))
        session.commit()
    process = None
    try:
        base = dataclasses.replace(load_settings(), state_dir=tmp_path,
                                   office_timezone="Asia/Shanghai")
        settings, base_url, process = private_console(base, database_url,
                                                      private_redis_server.url, tmp_path)
        yield base_url, settings
    finally:
        stop_processes(process)


@pytest.fixture
def page():
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        yield context.new_page()
        context.close()


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _problems(page, app) -> list[str]:
    nodes = [line.strip() for line in page.inner_text("main").splitlines() if line.strip()]
    return problems(nodes, "zh", english_ids_translated_in_zh(), codes_to_flag(app, "zh"))


def test_report_pages_at_1366(console, page):
    from agent_console import create_app

    base_url, settings = console
    app = create_app(settings, testing=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(base_url + "/login")
    page.fill("#username", "rep-supervisor")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/console")
    open_supervisor_menu(page)
    page.click('nav.mainnav >> text="报表"')  # exact: 统计报表 (statistics) contains it
    page.wait_for_selector("#report-period")
    found = []
    for name, query, chart in (
            ("weekly-complaints", "?week=2026-W46", "category"),
            ("monthly", "?month=2026-11", "complaints-category"),
            ("repair-timeliness", "?from=2026-11-01&to=2026-11-30", "stages-category")):
        page.goto(f"{base_url}/supervisor/reports/{name}{query}")
        page.wait_for_selector(f"#report-chart[data-drawn='{chart}']")
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366x768.png"))
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366x768-full.png"), full_page=True)
        assert _overflow(page) <= 0, f"{name}: {_overflow(page)} px too wide"
        found += [f"{name}: {problem}" for problem in _problems(page, app)]
    assert not found, "\n".join(found)

    page.goto(f"{base_url}/supervisor/reports/weekly-complaints?week=2026-W46")
    figures = page.locator("#report-figures").inner_text()
    assert "登记投诉数\t3" in figures and "有效投诉率\t66.7 %" in figures, figures
    page.select_option("#report-chart-choice", label="有效投诉率与有效投诉处理率,按部门")
    page.wait_for_selector("#report-chart[data-drawn='effective-department']")
    page.screenshot(path=str(ARTIFACTS / "weekly-effective-chart-1366x768.png"))
    with page.expect_download() as download:
        page.click("#report-excel")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book["概览"]["A1"].value == "投诉周报表" and book["投诉"].max_row == 4

    # The monthly chart's choice switches the drawing (satisfaction against its norm).
    page.goto(f"{base_url}/supervisor/reports/monthly?month=2026-11")
    page.select_option("#report-chart-choice", label="各部门回访率与满意度")
    page.wait_for_selector("#report-chart[data-drawn='follow-ups-department']")
    assert "重复出现的问题" in page.inner_text("#recurring-heading")
    page.screenshot(path=str(ARTIFACTS / "monthly-satisfaction-chart-1366x768.png"))

    page.goto(f"{base_url}/supervisor/reports/weekly-complaints")
    page.fill("#week", "2026-W60")
    page.click("#report-period button[type=submit]")
    page.wait_for_selector("#week-error")
    assert page.inner_text("#week-error") == "请输入周次,如 2026-W48。"
    assert page.input_value("#week") == "2026-W60"
    assert _overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / "weekly-bad-week-1366x768.png"))
