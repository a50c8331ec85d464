"""Follow-ups from the console: owed after a repair is done, the call, the result, the rates."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from workflow import orders as service
from models.base import utcnow
from models.console import FollowUp, User, WorkOrder
from tests.support.console_client import csrf_token_from

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")  # the default office_timezone


def done_repair(console_sessions, username="alice", phone="13800138000") -> int:
    now = utcnow()
    with console_sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        order, _ = service.create_order(session, user, service.OrderInput(
            kind="repair", category="leak", description="bathroom ceiling leaks",
            contact_phone=phone, call_at=now - dt.timedelta(hours=2)), "tok-" + phone, now, office_zone=OFFICE_ZONE)
        for step in ("dispatched", "in_progress", "done"):
            service.change_status(session, order, step, user, now, department="engineering")
        return order.follow_up.id


def test_follow_up_is_listed_and_the_call_goes_through_the_command(agent_client,
                                                                   console_sessions,
                                                                   monkeypatch):
    follow_up_id = done_repair(console_sessions)
    page = agent_client.get("/follow-ups").get_data(as_text=True)
    assert "leak_repair_3d_after_test" in page
    calls = []
    monkeypatch.setattr("agent_console.followups.run_command",
                        lambda url, name, **args: calls.append((name, args)) or
                        {"ok": True, "message": "Originate successfully queued"})
    token = csrf_token_from(agent_client, "/follow-ups")
    response = agent_client.post(f"/follow-ups/{follow_up_id}/call", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]  # back to the list
    flashes = re.findall(r'<p class="flash (\w+)" role="alert">([^<]*)</p>',
                         agent_client.get("/follow-ups").get_data(as_text=True))
    assert flashes == [("ok", "Your phone rings first; answer it and the resident 13800138000 "
                              "is dialled.")]
    answer = agent_client.post(f"/follow-ups/{follow_up_id}/call", data={"csrf_token": token},
                               headers={"Accept": "application/json"}).get_json()
    assert answer["ok"] is True and "13800138000" in answer["message"]
    calls.pop()
    assert calls == [("originate_call", {"agent_interface": "PJSIP/8001",
                                         "number": "13800138000", "caller_id": "4000"})]



def test_a_refused_call_is_told_in_the_users_words_not_asterisks(agent_client, console_sessions,
                                                                  monkeypatch):
    follow_up_id = done_repair(console_sessions)
    monkeypatch.setattr("agent_console.followups.run_command",
                        lambda url, name, **args: {"ok": False, "message": "Extension does not exist."})
    token = csrf_token_from(agent_client, "/follow-ups")
    agent_client.post(f"/follow-ups/{follow_up_id}/call", data={"csrf_token": token})
    flashes = re.findall(r'<p class="flash (\w+)" role="alert">([^<]*)</p>',
                         agent_client.get("/follow-ups").get_data(as_text=True))
    assert flashes == [("error", "The call could not be placed: the telephone system did not "
                                 "take it.")]

def test_result_and_satisfaction_are_recorded_and_reported(agent_client, console_sessions):
    follow_up_id = done_repair(console_sessions)
    token = csrf_token_from(agent_client, "/follow-ups")
    response = agent_client.post(f"/follow-ups/{follow_up_id}/result", data={
        "csrf_token": token, "result": "reached", "satisfaction": "5", "notes": "all dry"})
    assert response.status_code == 302
    with console_sessions() as session:
        follow_up = session.get(FollowUp, follow_up_id)
        assert (follow_up.result, follow_up.satisfaction) == ("reached", 5)
        assert session.get(WorkOrder, follow_up.work_order_id).status == "followed_up"
    page = agent_client.get("/follow-ups").get_data(as_text=True)
    assert "Follow-up rate: 100%" in page and "Mean satisfaction: 5.00" in page


def test_out_of_range_satisfaction_is_refused(agent_client, console_sessions):
    follow_up_id = done_repair(console_sessions)
    token = csrf_token_from(agent_client, "/follow-ups")
    response = agent_client.post(f"/follow-ups/{follow_up_id}/result", data={
        "csrf_token": token, "result": "reached", "satisfaction": "9", "notes": ""})
    assert response.status_code == 303
    with console_sessions() as session:
        assert session.get(FollowUp, follow_up_id).result == "pending"


def test_overdue_orders_stand_out(agent_client, console_sessions):
    with console_sessions() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        long_ago = utcnow() - dt.timedelta(minutes=10)
        service.create_order(session, user, service.OrderInput(
            kind="repair", description="lift stuck", call_at=long_ago), "late", long_ago, office_zone=OFFICE_ZONE)
    page = agent_client.get("/work-orders").get_data(as_text=True)
    assert re.search(r'<tr class="overdue" data-order="\d+">', page)
    assert "dispatch" in page
