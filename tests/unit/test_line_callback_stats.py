"""Keep-my-place callbacks (offered, accepted, completed, failed) on the statistics, by day,
queue and host and none per agent, from the one query `hotline stats verify` reads too
(line_callback.figures.database_measures); the lost calls' automatic call-backs and the
placeholders' own calls are none of them. SQLite and PostgreSQL (db_url runs both)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from call_queue.stats import export as stats_export, report as stats
from line_callback.figures import database_figures
from models.calls import Call
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt
from tests.support.line_stats_data import (
    CALLBACK_OFFER_S, DAY, EXPECTED_CALLBACKS_B, EXPECTED_CALLBACKS_MAIN,
    EXPECTED_CALLBACKS_TOTAL, callback_requests, line_calls,
)
from tests.support.settings import make_settings

SETTINGS = make_settings(service_level_s=20, short_abandon_s=5,
                         callback_offer_s=CALLBACK_OFFER_S)
KEYS = tuple(EXPECTED_CALLBACKS_TOTAL)
MIDNIGHT = DAY.replace(hour=0)


@pytest.fixture
def loaded(session_factory):
    with session_factory.begin() as session:
        session.add_all(line_calls() + callback_requests())
    return session_factory


def report_for(session_factory, settings=SETTINGS, days=1, **filters):
    period = stats.make_period(MIDNIGHT, MIDNIGHT + dt.timedelta(days=days), "day", **filters)
    with session_factory() as session:
        return stats.compute_stats(session, period, settings)


def callback_values(row: dict) -> dict:
    values = stats.flat_values(row)
    return {key: values[key] for key in KEYS}


def test_total_host_queue_and_day_rows(loaded):
    report = report_for(loaded)
    assert callback_values(report["total"]) == EXPECTED_CALLBACKS_TOTAL
    assert {row["host"]: callback_values(row) for row in report["by_host"]} == {
        "main": EXPECTED_CALLBACKS_MAIN, "b": EXPECTED_CALLBACKS_B}
    assert [callback_values(row) for row in report["by_queue"]] == [EXPECTED_CALLBACKS_TOTAL]
    assert [callback_values(row) for row in report["rows"]] == [EXPECTED_CALLBACKS_TOTAL]
    # Counts with no norm: never red or green.
    assert {report["total"][key]["ok"] for key in KEYS} == {None}
    json.dumps(report)  # the JSON export is this report


def test_the_page_and_stats_verify_read_one_number(loaded):
    period = stats.make_period(MIDNIGHT, MIDNIGHT + dt.timedelta(days=1), "day")
    with loaded() as session:
        figures = database_figures(session, period, CALLBACK_OFFER_S)
    assert figures.as_dict() == callback_values(report_for(loaded)["total"])


def test_agents_have_no_callback_figures(loaded):
    for row in report_for(loaded)["by_agent"]:
        assert set(callback_values(row).values()) == {None}
    agent_total = report_for(loaded, agent="PJSIP/8001")["total"]
    assert set(callback_values(agent_total).values()) == {None}


def test_a_queue_and_a_host_filter(loaded):
    assert set(callback_values(report_for(loaded, queue="other")["total"]).values()) == {0}
    period = stats.make_period(MIDNIGHT, MIDNIGHT + dt.timedelta(days=1), "day")
    with loaded() as session:
        host_b = stats.compute_stats(session, dataclasses.replace(period, host="b"), SETTINGS)
    assert callback_values(host_b["total"]) == EXPECTED_CALLBACKS_B


def test_placeholders_are_left_out_and_each_day_has_its_own(loaded):
    """The placeholder of m-3's callback waited 100 s and was answered: not one more caller
    offered a callback. A caller of the next day who waited 70 s counts on that day."""
    with loaded.begin() as session:
        request_id = session.scalar(select(CallbackRequest.id).where(
            CallbackRequest.callid == "m-3"))
        session.add_all([
            CallbackRequestAttempt(request_id=request_id, number=1, callid="ph-1", position=1,
                                   outcome="reached", dial_status="ANSWER"),
            Call(callid="ph-1", queue="hotline", host="main", wait_s=100, outcome="answered",
                 entered_queue_at=DAY + dt.timedelta(seconds=700)),
            Call(callid="n-1", queue="hotline", host="main", wait_s=70, outcome="answered",
                 entered_queue_at=DAY + dt.timedelta(days=1))])
    report = report_for(loaded, days=2)
    assert [callback_values(row) for row in report["rows"]] == [
        EXPECTED_CALLBACKS_TOTAL, {"callbacks_offered": 1, "callbacks_accepted": 0,
                                   "callbacks_completed": 0, "callbacks_failed": 0}]
    assert callback_values(report["total"])["callbacks_offered"] == 5


def test_no_offer_offers_nothing_and_the_rest_still_counts(loaded):
    no_offer = make_settings(service_level_s=20, short_abandon_s=5, callback_offer_s=0)
    assert callback_values(report_for(loaded, no_offer)["total"]) == {
        **EXPECTED_CALLBACKS_TOTAL, "callbacks_offered": 0}


def test_a_period_with_calls_and_no_callback_is_zero(session_factory):
    with session_factory.begin() as session:
        session.add_all([call for call in line_calls() if call.wait_s < CALLBACK_OFFER_S])
    assert set(callback_values(report_for(session_factory)["total"]).values()) == {0}


def test_the_excel_lists_the_callbacks_per_queue_and_per_host(loaded):
    workbook = load_workbook(io.BytesIO(stats_export.to_excel(report_for(loaded))))
    header = [cell.value for cell in workbook["per host"][1]]
    rows = {row[0]: dict(zip(header, row)) for row in
            workbook["per host"].iter_rows(min_row=3, values_only=True)}
    assert rows["b"]["Callbacks failed"] == 1 and rows["main"]["Callbacks offered"] == 3
    queue_header = [cell.value for cell in workbook["per queue"][1]]
    assert {"Callbacks offered", "Callbacks accepted", "Callbacks completed",
            "Callbacks failed"} <= set(queue_header)
    definitions = {row[0]: row[2] for row in workbook["definitions"].iter_rows(values_only=True)}
    assert "pressed 1" in definitions["Callbacks offered"]
