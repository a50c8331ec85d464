"""The statistics page through the Flask client: measures in their groups with a chart
each and the table behind it, presets as the office's days, the export kept for a
preset, and a preset that does not exist told, not a 500."""
from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook

from call_queue.stats.groups import GROUPS, grouped
from tests.support.stats_data import seed_stats_days


def _seed(console_sessions, console_settings):
    with console_sessions.begin() as session:
        return seed_stats_days(session, console_settings.office_timezone,
                               dt.datetime.now(dt.timezone.utc))


def _total(html: str, measure: str) -> str:
    card = re.search(rf'data-measure="{measure}">\s*<header>.*?class="stat-total">([^<]*)<',
                     html, re.S)
    return card.group(1)


def test_groups_cards_and_tables(supervisor_client, console_sessions, console_settings):
    days = _seed(console_sessions, console_settings)
    html = supervisor_client.get("/supervisor/stats?preset=yesterday").get_data(as_text=True)
    sections = re.findall(r'<section class="stats-group" id="group-(\w+)"', html)
    assert sections == [group.key for group in GROUPS]
    for entry in grouped():
        for measure in entry.measures:
            assert f'<canvas data-measure="{measure.key}"' in html, measure.key
    assert _total(html, "answered") == str(days.yesterday_answered)
    # 6 of 12 offered within 20 s: 50 %, red against the 80 % norm.
    assert _total(html, "service_level") == "50.0 %"
    assert 'class="stat-card missed" data-measure="service_level"' in html
    # by half hour: yesterday's buckets are the table's columns.
    assert f"<th>{days.yesterday.isoformat()} 09:00</th>" in html
    assert f'value="{days.yesterday.isoformat()}"' in html  # the form's start, office date
    assert 'aria-current="page">Yesterday<' in html


def test_presets_are_the_office_days(supervisor_client, console_sessions, console_settings):
    days = _seed(console_sessions, console_settings)
    today = supervisor_client.get("/supervisor/stats.json?preset=today").get_json()
    assert today["by"] == "halfhour"
    assert today["total"]["answered"]["value"] == days.today_answered
    assert {row["bucket"][:10] for row in today["rows"]} == {days.today.isoformat()}
    month = supervisor_client.get("/supervisor/stats.json?preset=this_month").get_json()
    expected = days.today_answered + (days.yesterday_answered
                                      if days.yesterday.month == days.today.month else 0)
    assert month["total"]["answered"]["value"] == expected and month["by"] == "day"
    week = supervisor_client.get("/supervisor/stats.json?preset=this_week&by=week").get_json()
    assert week["by"] == "week"


def test_export_of_a_preset(supervisor_client, console_sessions, console_settings):
    days = _seed(console_sessions, console_settings)
    page = supervisor_client.get("/supervisor/stats?preset=yesterday").get_data(as_text=True)
    assert 'href="/supervisor/stats.xlsx?preset=yesterday"' in page
    excel = supervisor_client.get("/supervisor/stats.xlsx?preset=yesterday")
    sheet = load_workbook(io.BytesIO(excel.data))["by halfhour"]
    assert sheet.cell(row=3, column=1).value == f"{days.yesterday.isoformat()} 09:00"


def test_bad_fields_are_told_next_to_them_and_kept(supervisor_client, agent_client):
    refused = supervisor_client.get("/supervisor/stats?preset=next_year")
    assert refused.status_code == 400
    assert 'id="stats-preset-error" class="field-error" role="alert">No such period.' in (
        refused.get_data(as_text=True))
    html = supervisor_client.get("/supervisor/stats?from=2026-13-01&until=2026-03-02&by=year")
    text = html.get_data(as_text=True)
    assert html.status_code == 400
    assert 'id="stats-from-error" class="field-error" role="alert">Not a date' in text
    assert 'id="stats-by-error"' in text and 'value="2026-13-01"' in text
    assert 'value="2026-03-02"' in text
    backwards = supervisor_client.get("/supervisor/stats?from=2026-03-05&until=2026-03-02")
    assert "The end date is before the start date." in backwards.get_data(as_text=True)
    assert supervisor_client.get("/supervisor/stats.json?preset=next_year").status_code == 400
    assert agent_client.get("/supervisor/stats?preset=today").status_code == 403


def test_until_is_the_last_day_included(supervisor_client, console_sessions, console_settings):
    days = _seed(console_sessions, console_settings)
    day = days.yesterday.isoformat()
    report = supervisor_client.get(f"/supervisor/stats.json?from={day}&until={day}").get_json()
    assert report["total"]["answered"]["value"] == days.yesterday_answered


def test_the_page_in_chinese(supervisor_client, console_sessions, console_settings):
    _seed(console_sessions, console_settings)
    supervisor_client.post("/lang/zh", data={"csrf_token": _csrf(supervisor_client)})
    html = supervisor_client.get("/supervisor/stats?preset=today").get_data(as_text=True)
    for word in ("话务量", "接听速度", "服务质量", "工单与回访", "今天", "上月", "数据表"):
        assert word in html, word


def _csrf(client) -> str:
    from tests.support.console_client import csrf_token_from
    return csrf_token_from(client)
