"""The statistics page shows the blocked rate (against 1–3 %, red when outside it), the
wait estimate's quality and the keep-my-place callbacks (none per agent), in Chinese and
English, per queue and per Asterisk host, with no sideways scroll at 1366×768;
screenshots in test-artifacts/line-stats/.

Run under the lab lock (Chromium is heavy on the shared machine):
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_line_stats_browser.py`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from call_queue.line_import import LineFollower
from models.session import session_factory
from tests.support.browser import launched_chromium, shot_without_sideways_scroll
from tests.support.console_stack import USERS, log_in, start_console_stack
from tests.support.line_stats_data import B_LOG, MAIN_LOG, callback_requests, line_calls

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "line-stats"
# DAY (tests.support.line_stats_data) is 2026-11-02 09:00 UTC, 17:00 in Shanghai.
PERIOD = "/supervisor/stats?from=2026-11-02&until=2026-11-02&by=day"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    folder = tmp_path_factory.mktemp("line-stats")
    for stack in start_console_stack(folder, ARTIFACTS):
        sessions = session_factory(stack.database_url)
        with sessions.begin() as session:
            session.add_all(line_calls() + callback_requests())
        for host, text in (("main", MAIN_LOG), ("b", B_LOG)):
            (folder / host).write_text(text)
            LineFollower(folder / host, host).import_new(sessions)
        yield stack


def card(page, measure: str):
    return page.locator(f'.stat-card[data-measure="{measure}"]')


def test_blocked_rate_and_estimate_cards(console):
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        log_in(page, console.base_url, USERS["supervisor"][0])
        page.wait_for_selector("html[lang=zh-CN]")  # a fresh console's supervisor reads Chinese
        page.goto(console.base_url + PERIOD)
        volume = page.locator('section.stats-group[data-group="volume"]')
        blocked = volume.locator('.stat-card[data-measure="blocked_rate"]')
        assert blocked.locator(".stat-name").inner_text() == "忙音率"
        assert blocked.locator(".stat-total").inner_text() == "30.0 %"
        assert "missed" in blocked.get_attribute("class")  # 30 % is far above 1-3 %
        assert "1–3 %" in blocked.locator(".stat-norm").inner_text()
        assert card(page, "blocked").locator(".stat-total").inner_text() == "3"
        speed = page.locator('section.stats-group[data-group="speed"]')
        assert speed.locator('.stat-card[data-measure="estimate_median_error_s"] .stat-total'
                             ).inner_text() == "10.0"
        assert card(page, "estimate_p90_error_s").locator(".stat-total").inner_text() == "173.0"
        assert card(page, "estimate_within_60_rate").locator(".stat-name").inner_text() == (
            "预计等待误差在±60秒内")
        assert card(page, "estimate_within_60_rate").locator(".stat-total").inner_text() == (
            "50.0 %")
        # Each card has its chart, like the others.
        assert page.evaluate("""['blocked_rate', 'estimate_p90_error_s'].every(m =>
            Chart.getChart(document.querySelector(`canvas[data-measure=${m}]`)))""")
        blocked.scroll_into_view_if_needed()
        shot_without_sideways_scroll(page, ARTIFACTS, "01-cards-zh-1366x768")
        # The two groups on their own, readable at full size.
        volume.screenshot(path=str(ARTIFACTS / "01a-volume-zh.png"))
        speed.screenshot(path=str(ARTIFACTS / "01b-speed-zh.png"))
        callbacks = {m: volume.locator(f'.stat-card[data-measure="callbacks_{m}"]')
                     for m in ("offered", "accepted", "completed", "failed")}
        assert {m: c.locator(".stat-total").inner_text() for m, c in callbacks.items()} == {
            "offered": "4", "accepted": "2", "completed": "1", "failed": "1"}
        offered = callbacks["offered"].locator(".stat-name")
        assert offered.inner_text() == "提示预约回电"
        assert "按1" in offered.get_attribute("title")  # the definition: waited or pressed 1
        assert callbacks["failed"].locator(".stat-name").inner_text() == "预约回电未接通"
        callbacks["failed"].scroll_into_view_if_needed()
        shot_without_sideways_scroll(page, ARTIFACTS, "04-callbacks-zh-1366x768")
        page.screenshot(path=str(ARTIFACTS / "04a-callbacks-zh-viewport.png"))
        hosts = page.locator("#breakdown-host")
        by_host = hosts.locator('tr[data-measure="callbacks_offered"] td').all_inner_texts()
        assert by_host[1:] == ["1", "3"]  # b, main
        agents = page.locator("#breakdown-agent")
        assert agents.locator('tr[data-measure="callbacks_accepted"] td').all_inner_texts()[
            1:] == ["—"]  # nobody's: the one agent's column is empty
        row = hosts.locator('tr[data-measure="blocked_rate"] td').all_inner_texts()
        headers = hosts.locator("thead th").all_inner_texts()
        # Columns in key order: host b, then main (shown by its name or as "main").
        assert len(headers) == 4 and headers[2] == "b"
        assert row[1:] == ["50.0 %", "16.7 %"]
        median = hosts.locator('tr[data-measure="estimate_median_error_s"] td').all_inner_texts()
        assert median[1:] == ["0.0", "80.0"]
        hosts.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "02-per-host-zh-1366x768.png"))
        page.click("text=English")
        page.goto(console.base_url + PERIOD)
        assert card(page, "blocked_rate").locator(".stat-name").inner_text() == "Blocked rate"
        assert card(page, "estimate_within_60_rate").locator(".stat-name").inner_text() == (
            "Wait estimate within ±60 s")
        assert card(page, "callbacks_offered").locator(".stat-name").inner_text() == (
            "Callbacks offered")
        card(page, "callbacks_failed").scroll_into_view_if_needed()
        shot_without_sideways_scroll(page, ARTIFACTS, "05-callbacks-en-1366x768")
        card(page, "estimate_told").scroll_into_view_if_needed()
        shot_without_sideways_scroll(page, ARTIFACTS, "03-cards-en-1366x768")
        context.close()
