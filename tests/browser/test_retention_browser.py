"""The data-retention page in Debian's chromium at 1366×768: the supervisor reaches it
from the supervisors' menu and reads two purge runs (what each took per kind, oldest
to newest, under which period) in Chinese, then in English. No horizontal scroll.
Screenshots in test-artifacts/retention/.

The data is the purge tests' (March 2026 calls, seen from June 2027).
Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_retention_browser.py`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import models
from maintenance.policy import load_policy
from maintenance.purge import purge
from models.session import make_engine
from tests.support.browser import open_supervisor_menu, shot_without_sideways_scroll
from tests.support.console_stack import log_in
from tests.support.seeded_console import add_user, seeded_console
from tests.support.maintenance_data import PURGE_NOW, fill_for_purge

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "retention"


@pytest.fixture
def console(tmp_path, private_redis_server):
    def fill(session):
        add_user(session, "ret-sup", "supervisor", "赵主管")
        session.commit()
        purge(session, load_policy(), filled.recordings_dir, PURGE_NOW, "hotline")
        purge(session, load_policy(), filled.recordings_dir,
              PURGE_NOW + dt.timedelta(days=1), "hotline")

    # The purge tests' rows are written by URL, before the console's session fills
    # in the supervisor and the two purge runs.
    database_url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    models.Base.metadata.create_all(make_engine(database_url))
    filled = fill_for_purge(database_url, tmp_path / "monitor")
    with seeded_console(tmp_path, private_redis_server.url, fill) as console:
        yield console.base_url


def _shot(page, name: str) -> None:
    shot_without_sideways_scroll(page, ARTIFACTS, name)


def _counts(page) -> list[list[str]]:
    return [[cell.inner_text().split("\n")[0].strip()
             for cell in row.locator("td.count").all()]
            for row in page.locator("#purge-log tbody tr").all()]


def test_purge_log_in_the_browser(console, page):
    base_url = console
    log_in(page, base_url, "ret-sup")
    page.goto(base_url + "/supervisor/ivr-lockouts")
    open_supervisor_menu(page)  # the link is in the 主管 menu
    page.click("#nav-supervisor >> text=个人信息保存期限")
    page.wait_for_selector("#purge-log")
    assert page.inner_text("h1") == "个人信息保存期限"
    assert page.locator("#purge-log thead th").all_text_contents() == [
        "执行时间", "执行人", "通话录音", "来电号码", "租户身份证号", "审计日志"]
    # Newest first: the second run found nothing left.
    assert _counts(page) == [["0", "0", "0", "0"], ["2", "8", "1", "1"]]
    first = page.locator("#purge-log tbody tr").last
    assert "2027-06-01 10:00" in first.locator("td").first.inner_text()
    assert "2026-03-09 23:59 – 2026-03-10 00:00" in first.locator(
        'td[data-kind="recordings"]').inner_text()
    assert "通话录音 180天" in page.inner_text("#periods")
    _shot(page, "01-purge-log-zh")

    page.click("button[lang=en]")
    page.wait_for_load_state()
    page.goto(base_url + "/supervisor/retention")
    assert page.inner_text("h1") == "Data retention"
    assert page.locator("#purge-log thead th").all_text_contents() == [
        "Run", "Run by", "Recordings", "Caller numbers", "Tenants' identity numbers", "Audit log"]
    assert "Recordings 180 days" in page.inner_text("#periods")
    _shot(page, "02-purge-log-en")
