"""The report pages through the console's Flask client: supervisors only, the
hand-counted November on the page, in Excel and in JSON, and a period that cannot
be read told next to its field with what was typed kept."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.support.console_client import csrf_token_from
from tests.support.report_data import seed_november

PAGES = ("/supervisor/reports/weekly-complaints", "/supervisor/reports/monthly",
         "/supervisor/reports/repair-timeliness")


@pytest.fixture
def ids(console_sessions):
    with console_sessions() as session:
        return seed_november(session)


def _zh(client):
    client.post("/lang/zh", data={"csrf_token": csrf_token_from(client, "/console")})
    return client


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"><th scope="row">[^<]*</th>\s*<td>([^<]*)</td>', html)
    assert match, name
    return match.group(1).strip()


@pytest.mark.parametrize("suffix", ["", ".json", ".xlsx"])
def test_agents_may_not_see_reports(agent_client, suffix):
    for page in PAGES:
        assert agent_client.get(page + suffix).status_code == 403


def test_weekly_page_in_chinese(supervisor_client, ids):
    html = _zh(supervisor_client).get(PAGES[0] + "?week=2026-W46").get_data(as_text=True)
    assert "投诉周报表" in html and 'value="2026-W46"' in html
    assert _figure(html, "registered") == "3" and _figure(html, "effective_rate") == "66.7 %"
    assert _figure(html, "handling_rate") == "50.0 %" and _figure(html, "overdue_open") == "1"
    # Office time: C1 was called at 09:00 in Shanghai (01:00 UTC).
    assert "2026-11-10 09:00" in html
    assert f'href="/work-orders/{ids["C1"]}"' in html
    assert 'id="report-charts"' in html and "chart.umd.min.js" in html


def test_monthly_page_lists_recurring_problems(supervisor_client, ids):
    html = _zh(supervisor_client).get(PAGES[1] + "?month=2026-11").get_data(as_text=True)
    recurring = html.split('id="report-recurring"')[1].split("</table>")[0]
    assert recurring.count("<tr>") == 3  # header and two problems
    assert "3-2-1201" in recurring and "给排水" in recurring and "电梯" in recurring
    assert _figure(html, "coverage_rate") == "72.7 %" and _figure(html, "mean_satisfaction") == "3.80"


def test_timeliness_page_and_downloads(supervisor_client, ids):
    query = "?from=2026-11-01&to=2026-11-30"
    html = supervisor_client.get(PAGES[2] + query).get_data(as_text=True)
    assert _figure(html, "repairs") == "8" and _figure(html, "dispatch_3_min_rate") == "50.0 %"
    assert "25:00:00" in html  # R7, call to first completion
    data = supervisor_client.get(PAGES[2] + ".json" + query).get_json()
    assert data["total"]["repairs"] == 8 and data["period"]["label"] == "2026-11-01..2026-11-30"
    response = supervisor_client.get(PAGES[2] + ".xlsx" + query)
    assert response.status_code == 200
    assert "hotline-repair-timeliness-2026-11-01_2026-11-30.xlsx" in response.headers[
        "Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book["Overview"]["B7"].value == 8  # English: the supervisor's language


@pytest.mark.parametrize("page, query, field, kept", [
    (PAGES[0], "?week=2026-W60", "week", 'value="2026-W60"'),
    (PAGES[1], "?month=2026-13", "month", 'value="2026-13"'),
    (PAGES[2], "?from=2026-11-30&to=2026-11-01", "to", 'value="2026-11-01"'),
    (PAGES[2], "?from=30.11.2026&to=2026-11-01", "from", 'value="30.11.2026"'),
])
def test_a_bad_period_is_told_next_to_its_field(supervisor_client, page, query, field, kept):
    response = _zh(supervisor_client).get(page + query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error" role="alert">请输入' in html
    assert f'aria-describedby="{field}-error"' in html and kept in html
    assert supervisor_client.get(page + ".json" + query).get_json()["field"] == field
    assert supervisor_client.get(page + ".xlsx" + query).status_code == 400


def test_default_periods_are_the_week_and_month_before(supervisor_client):
    for page in PAGES:
        assert supervisor_client.get(page).status_code == 200
