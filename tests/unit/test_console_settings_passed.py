"""The console hands its own settings down (issue 12): the late-fee rate and the office
zone come from the app's Settings, not from the environment read below it."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

from agent_console import create_app
from households.samples import add_charge, add_household
from tests.support.console_client import log_in


def _found_total(app, agent) -> str:
    client = app.test_client()
    assert log_in(client, agent.username).status_code == 302
    page = client.get("/households/find?q=3-2-1502").get_data(as_text=True)
    return re.search(r'<td class="num">([^<]+)</td>', page).group(1)


def test_search_balances_use_the_apps_late_fee_rate(console_settings, console_sessions, agent):
    with console_sessions() as session:
        household = add_household(session, "3-2-1502")
        # Overdue for over a year whatever today is: the late fee is large and rate-bound.
        add_charge(session, household.id, f"{dt.date.today().year - 2}Q1", Decimal("1000"))
        session.commit()
    without_fee = create_app(dataclasses.replace(console_settings, late_fee_daily_rate=0.0),
                             testing=True)
    with_fee = create_app(dataclasses.replace(console_settings, late_fee_daily_rate=0.001),
                          testing=True)
    assert _found_total(without_fee, agent) == "¥1,000.00"
    assert _found_total(with_fee, agent) != "¥1,000.00"


def test_times_typed_in_forms_are_read_on_the_apps_office_clock(console_settings):
    from agent_console import work_orders

    for zone, hour in (("Asia/Shanghai", 15), ("America/New_York", 4)):
        app = create_app(dataclasses.replace(console_settings, office_timezone=zone),
                         testing=True)
        with app.test_request_context():
            local = work_orders._office_time(dt.datetime(2026, 11, 23, 0, 0))
        # Midnight on the office's clock, in UTC: 16:00 the day before in Shanghai
        # (UTC+8), 05:00 the same day in New York (UTC-5 in November).
        assert local.hour == hour + 1
