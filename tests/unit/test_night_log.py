"""The night duty log and the morning handover: the night shift logs a call and an
event; in the morning one entry becomes a work order (the night's call and
household linked) and the other is closed with its reason; refusals keep what
was typed; nothing is handed over twice."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.calls import Call
from models.console import User, WorkOrder
from models.night_log import NightLogEntry
from tests.support.console_client import csrf_token_from
from tests.support.demo import demo_data, one_household_number
from workflow import night_log as rules
from workflow.errors import WorkflowError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_last_night_is_the_offices_17_30_to_08_30():
    at_dawn = dt.datetime(2026, 12, 3, 7, 0, tzinfo=SHANGHAI)
    start, end = rules.last_night(at_dawn, SHANGHAI)
    assert (start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)) == (
        dt.datetime(2026, 12, 2, 17, 30, tzinfo=SHANGHAI), dt.datetime(2026, 12, 3, 8, 30, tzinfo=SHANGHAI))
    evening = dt.datetime(2026, 12, 3, 18, 0, tzinfo=SHANGHAI)
    assert rules.last_night(evening, SHANGHAI)[0].astimezone(SHANGHAI).day == 3


def test_entries_become_an_order_or_close_with_a_reason(session_factory):
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory() as session:
        user = User(username="night", role="agent", password_hash="x", display_name="夜班")
        session.add(user)
        session.add(Call(callid="n.1", queue="hotline", caller_number="13800000077",
                         entered_queue_at=now - dt.timedelta(minutes=30), outcome="answered"))
        session.commit()
        leak = rules.log_entry(session, user, rules.EntryInput(
            "3栋1单元502厨房水管滴水，已关阀，明早需维修", callid="n.1", caller_number="13800000077"), now)
        noise = rules.log_entry(session, user, rules.EntryInput("楼下装修噪音投诉，已劝停", urgent=True), now)
        session.commit()
        assert [entry.id for entry in rules.open_entries(session)] == [leak.id, noise.id]
        order = rules.turn_into_order(session, leak, user, "repair", now, SHANGHAI)
        rules.close_entry(session, noise, user, "夜间已处理，住户满意", now)
        session.commit()
        assert rules.open_entries(session) == []
        stored = session.get(WorkOrder, order.id)
        assert (stored.kind, stored.callid, stored.contact_phone) == ("repair", "n.1", "13800000077")
        assert stored.description.startswith("3栋1单元502")
        assert session.get(NightLogEntry, leak.id).work_order_id == order.id
        with pytest.raises(WorkflowError, match="already handed over"):
            rules.close_entry(session, leak, user, "again", now)
        with pytest.raises(WorkflowError, match="say why"):
            rules.close_entry(session, rules.log_entry(session, user, rules.EntryInput("x"), now),
                              user, "  ", now)


@pytest.fixture
def night_calls(console_sessions, console_settings):
    with console_sessions() as session:
        demo_data(session, 5)
        session.commit()
    number, household_id = one_household_number(console_settings.database_url)
    start, _ = rules.last_night(dt.datetime.now(dt.timezone.utc), SHANGHAI)
    with console_sessions() as session:
        session.add(Call(callid="night.1", queue="hotline", caller_number=number,
                         entered_queue_at=start + dt.timedelta(minutes=5), outcome="answered"))
        session.add(Call(callid="day.1", queue="hotline", caller_number=number,
                         entered_queue_at=start - dt.timedelta(hours=2), outcome="answered"))
        session.commit()
    return number, household_id


def _post(client, path, **fields):
    token = csrf_token_from(client, "/night-log")
    return client.post(path, data={"csrf_token": token, **fields})


def test_the_page_logs_a_night_call_and_hands_it_over(agent_client, night_calls, console_sessions):
    number, household_id = night_calls
    page = agent_client.get("/night-log").get_data(as_text=True)
    assert 'data-callid="night.1"' in page and 'data-callid="day.1"' not in page
    response = _post(agent_client, "/night-log", callid="night.1", caller_number=number,
                     summary="电梯异响，住户要求白天检查")
    assert response.status_code == 303
    page = agent_client.get("/night-log").get_data(as_text=True)
    assert 'data-callid="night.1"' not in page  # logged: no longer offered
    with console_sessions() as session:
        entry = session.scalar(select(NightLogEntry))
        assert entry.household_id == household_id
    assert _post(agent_client, f"/night-log/{entry.id}/order", kind="repair").status_code == 303
    with console_sessions() as session:
        entry = session.get(NightLogEntry, entry.id)
        order = session.get(WorkOrder, entry.work_order_id)
        assert (entry.disposition, order.household_id, order.callid) == ("order", household_id, "night.1")
    assert "Nothing left for the handover." in agent_client.get("/night-log").get_data(as_text=True)


def test_an_empty_entry_is_refused_next_to_the_field_and_keeps_what_was_typed(agent_client,
                                                                               night_calls):
    response = _post(agent_client, "/night-log", caller_number="13900000001", summary="   ",
                     urgent="1")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="night-summary-error"[^>]*>Say what happened.<', page)
    assert 'value="13900000001"' in page and 'name="urgent" value="1" checked' in page


def test_a_closed_entry_needs_a_reason_and_a_forged_post_is_refused(agent_client, night_calls,
                                                                     console_sessions):
    _post(agent_client, "/night-log", summary="路灯不亮")
    with console_sessions() as session:
        entry_id = session.scalar(select(NightLogEntry.id))
    _post(agent_client, f"/night-log/{entry_id}/close", reason="")
    assert "Say why no order is needed." in agent_client.get("/night-log").get_data(as_text=True)
    assert agent_client.post(f"/night-log/{entry_id}/close", data={"reason": "x"}).status_code == 400
    _post(agent_client, f"/night-log/{entry_id}/close", reason="已报市政")
    _post(agent_client, f"/night-log/{entry_id}/order", kind="repair")
    assert "This entry was already handed over." in agent_client.get("/night-log").get_data(as_text=True)


def test_the_handover_page_counts_the_entries_left_for_it(agent_client, night_calls):
    _post(agent_client, "/night-log", summary="消防通道被占用，已通知保安")
    page = agent_client.get("/handover").get_data(as_text=True)
    assert re.search(r'id="night-log-open".*<strong>1</strong>', page)
