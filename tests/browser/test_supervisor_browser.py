"""The supervisor's desk in Debian's chromium at 1366×768 and 1920×1080: the statistics
(measures in groups, a small chart each against its norm, the table behind it, the date
presets, the export), the rota from Excel (a refused sheet by row and column, then
an import), the live view normal and full-screen, and the call list. No page
scrolls sideways at 1366×768; every step is saved to test-artifacts/supervisor/.

Run under the lab lock (Chromium is heavy on the shared machine):
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_supervisor_browser.py`.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from call_queue.stats.groups import GROUPS
from models.call_quality import CallQuality
from models.calls import Call
from models.console import User
from models.rota import RotaShift
from models.session import session_factory
from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.console_stack import USERS, log_in, start_console_stack
from tests.support.rota_sheets import write_rota_sheet
from tests.support.stats_data import seed_stats_days

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "supervisor"
SIZES = ((1366, 768), (1920, 1080))
OFFICE_ZONE = "Asia/Shanghai"  # the default office_timezone the console runs with
SUPERVISOR = USERS["supervisor"][0]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("supervisor"), ARTIFACTS):
        now = dt.datetime.now(dt.timezone.utc)
        with session_factory(stack.database_url).begin() as session:
            days = seed_stats_days(session, OFFICE_ZONE, now)
            alice = session.scalar(select(User).where(User.username == USERS["agent"][0]))
            start = (now - dt.timedelta(hours=3)).replace(minute=30, second=0, microsecond=0)
            session.add(RotaShift(user_id=alice.id, kind="night", starts_at=start,
                                  day=start.astimezone(ZoneInfo(OFFICE_ZONE)).date(),
                                  ends_at=start + dt.timedelta(hours=15)))
        yield stack, days


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="UTC", accept_downloads=True)
    page = context.new_page()
    log_in(page, stack[0].base_url, SUPERVISOR)
    if page.locator("button[lang=zh-CN]").count():  # a test before left the user in English
        page.click("button[lang=zh-CN]")
    page.wait_for_selector("html[lang=zh-CN]")
    yield page
    context.close()


def shoot(page, name: str) -> None:
    """The page at both sizes (full length), with no sideways scroll at 1366×768."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # charts redraw on resize
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width}×{height}"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_statistics_grouped_with_charts_presets_and_export(stack, page):
    console, days = stack
    page.goto(console.base_url + "/supervisor/stats")
    page.click("#preset-yesterday")
    page.wait_for_selector('#preset-yesterday[aria-current="page"]')
    assert page.input_value("#stats-from") == days.yesterday.isoformat()
    assert page.input_value("#stats-by") == "halfhour"
    headings = page.locator(".stats-group > h2").all_inner_texts()
    assert headings == ["话务量", "接听速度", "服务质量", "坐席", "工单与回访"][:len(GROUPS)]
    # Every card's canvas holds a chart; the service level's bars against an 80 % line.
    drawn = page.evaluate("""[...document.querySelectorAll('.stat-chart canvas')]
        .map(c => Chart.getChart(c) ? 1 : 0).reduce((a, b) => a + b, 0)""")
    assert drawn == page.locator(".stat-chart canvas").count() > 30
    service_level = page.evaluate("""(() => {
        const chart = Chart.getChart(document.querySelector('canvas[data-measure=service_level]'));
        return {bars: chart.data.datasets[0].data.filter(v => v !== null),
                norm: chart.data.datasets[1].data[0], labels: chart.data.labels};
    })()""")
    assert service_level["norm"] == 80
    assert sorted(set(service_level["bars"])) == [0, 100]  # mornings in norm, afternoons not
    assert "09:00" in service_level["labels"]
    card = page.locator('.stat-card[data-measure="service_level"]')
    assert card.locator(".stat-total").inner_text() == "50.0 %"
    assert "missed" in card.get_attribute("class")
    shoot(page, "01-statistics-yesterday")

    table = page.locator('details.stats-table[data-group="speed"]')
    table.locator("summary").click()
    row = table.locator('tr[data-measure="service_level"] td').all_inner_texts()
    assert row[1] == "50.0 %"  # the total, after the norm
    assert "100.0 %" in row and "0.0 %" in row
    shoot(page, "02-statistics-table-open")

    with page.expect_download() as download:
        page.click("#stats-excel")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["by halfhour"]
    assert sheet.cell(row=3, column=1).value == f"{days.yesterday.isoformat()} 09:00"

    page.click("#preset-today")
    page.wait_for_selector('#preset-today[aria-current="page"]')
    answered = page.locator('.stat-card[data-measure="answered"] .stat-total').inner_text()
    an_hour_ago = dt.datetime.now(ZoneInfo(OFFICE_ZONE)) - dt.timedelta(hours=1)
    seeded_call = 1 if an_hour_ago.date() == days.today else 0  # console_pages' finished call
    assert answered == str(days.today_answered + seeded_call)
    page.click("#preset-last_month")
    page.wait_for_selector('#preset-last_month[aria-current="page"]')
    last_of_last_month = days.today.replace(day=1) - dt.timedelta(days=1)
    assert page.input_value("#stats-until") == last_of_last_month.isoformat()
    # The form names the last day, included: the period it shows is that day's.
    page.fill("#stats-from", days.yesterday.isoformat())
    page.fill("#stats-until", days.yesterday.isoformat())
    page.click("#stats-form button[type=submit]")
    page.wait_for_selector('.stat-card[data-measure="answered"]')
    assert page.locator('.stat-card[data-measure="answered"] .stat-total').inner_text() == str(
        days.yesterday_answered)

    page.click("text=English")
    page.goto(console.base_url + "/supervisor/stats?preset=yesterday")
    assert page.locator(".stats-group > h2").first.inner_text() == "Volume"
    shoot(page, "03-statistics-english")


def test_rota_from_excel_preview_refusal_and_import(stack, page, tmp_path):
    console, days = stack
    monday = days.today + dt.timedelta(days=7 - days.today.weekday())
    agent = USERS["agent"][0]
    bad = write_rota_sheet(tmp_path / "排班表-错误.xlsx", [
        [agent, monday.isoformat(), "白班", "08:00", "16:00", ""],
        [agent, monday.isoformat(), "中班", "12:00", "20:00", ""],
        ["张三", monday.isoformat(), "夜班", "17:30", "08:30", ""]])
    page.goto(console.base_url + "/supervisor/rota")
    page.set_input_files("#rota-sheet", str(bad))
    page.click("#rota-import-form button[type=submit]")
    page.wait_for_selector("#rota-import-problems")
    lines = [row.locator("td").all_inner_texts()
             for row in page.locator("#rota-import-problems tbody tr").all()]
    assert lines == [["第 5 行", "D / 开始", "与本表第 4 行重叠（同一坐席）"],
                     ["第 6 行", "A / 坐席", "没有这个姓名或用户名的在岗坐席"]]
    assert page.locator("#rota-import-run").count() == 0
    shoot(page, "04-rota-import-refused")

    good = write_rota_sheet(tmp_path / "排班表.xlsx", [
        [agent, monday.isoformat(), "白班", "08:00", "16:00", ""],
        [agent, (monday + dt.timedelta(days=1)).isoformat(), "夜班", "17:30", "08:30", ""]])
    page.goto(console.base_url + "/supervisor/rota")
    page.set_input_files("#rota-sheet", str(good))
    page.click("#rota-import-form button[type=submit]")
    page.wait_for_selector("#rota-import-rows")
    assert page.locator("#rota-import-rows tr.new").count() == 2
    shoot(page, "05-rota-import-preview")
    page.click("#rota-import-run button")
    page.wait_for_selector("#rota-week-table")
    assert "新增 2 个班次" in page.inner_text("body")
    cell = page.locator(f'#rota-week-table td[data-day="{monday.isoformat()}"]').first
    assert "08:00–16:00" in cell.inner_text()
    shoot(page, "06-rota-imported")


def test_live_view_normal_and_full_screen(stack, page):
    console, _days = stack
    page.goto(console.base_url + "/supervisor/wallboard")
    page.wait_for_selector("#agents tbody tr")
    cover = page.inner_text("#night-cover")
    assert "当前夜班值班" in cover and "Alice 李" in cover and "分机 8001" in cover
    rows = {row.get_attribute("data-interface"): row.locator("td").all_inner_texts()
            for row in page.locator("#agents tbody tr").all()}
    # Bob paused for lunch for about five minutes; Alice talking, her stored call counted.
    assert rows["PJSIP/8002"][1] == "暂停 (午餐)" and rows["PJSIP/8002"][2].startswith("5:")
    assert rows["PJSIP/8001"][1] == "通话中" and int(rows["PJSIP/8001"][3]) >= 1
    # The intraday chart: today's half hours, the office day 08:00-20:00 at least (wider
    # when calls came earlier or later), with the service-level norm beside them.
    chart = page.evaluate("""(() => { const c = Chart.getChart(document.getElementById('intraday-chart'));
        return {labels: c.data.labels, sets: c.data.datasets.map(d => d.label)}; })()""")
    assert {"08:00", "12:30", "19:30"} <= set(chart["labels"]) and "服务水平标准" in chart["sets"]
    shoot(page, "07-live-view")
    page.click("#wall-toggle")
    page.wait_for_selector("body.wall")
    assert page.locator(".topbar").is_hidden()
    value_px = page.evaluate("""parseFloat(getComputedStyle(
        document.querySelector('.figure .value')).fontSize)""")
    assert value_px >= 34, value_px  # readable across the room (the normal board: 30 px)
    shoot(page, "08-live-view-full-screen")


def test_call_list(stack, page):
    console, days = stack
    page.goto(console.base_url + f"/supervisor/calls?day={days.yesterday.isoformat()}")
    page.wait_for_selector("table.calls tbody tr")
    assert page.locator("table.calls tbody tr").count() >= 12
    shoot(page, "09-call-list")
    # A softphone's audio report beside its call's recording, in the catalogue's words.
    shown = page.eval_on_selector_all("table.calls tbody tr[data-callid]",
                                      "rows => rows.map(r => r.dataset.callid)")
    with session_factory(console.database_url).begin() as session:
        call = session.scalars(select(Call).where(Call.callid.in_(shown),
                                                  Call.agent_interface.is_not(None))).first()
        callid = call.callid
        reporter = session.scalar(select(User).where(User.username == SUPERVISOR))
        session.add(CallQuality(callid=callid, user_id=reporter.id,
                                interface=call.agent_interface, samples=5,
                                packets_received=995, packets_lost=5, packets_sent=1000,
                                codec="audio/opus", jitter_ms_mean=1.24, jitter_ms_max=3.0,
                                rtt_ms_mean=2.6))
    page.reload()
    quality = page.locator(f".call-quality[data-callid='{callid}']")
    assert quality.inner_text() == "抖动 1.2 毫秒 · 丢包 0.5 % · 往返 3 毫秒"
    shoot(page, "09b-call-list-quality")


def test_the_menu_fits_one_row_and_every_link_is_reachable(stack, page):
    console, _days = stack
    page.goto(console.base_url + "/supervisor/stats")
    tops = page.evaluate("""[...document.querySelectorAll('nav.mainnav > a, nav.mainnav > details')]
        .map(e => Math.round(e.getBoundingClientRect().top))""")
    assert len(set(tops)) == 1, f"the menu wraps at 1366 px: {tops}"
    hidden = page.locator("#nav-supervisor .navgroup-links a")
    assert hidden.count() >= 7 and not hidden.first.is_visible()
    open_supervisor_menu(page)
    links = hidden.all_inner_texts()
    for name in ("监控大屏", "统计报表", "报表", "通话记录", "语音查询锁定", "导入表格"):
        assert name in links, links
    shoot(page, "10-menu-open")
    page.click("#nav-supervisor a[href='/supervisor/calls']")
    page.wait_for_url("**/supervisor/calls")
