"""The follow-up flow through the console's Flask client, on SQLite and PostgreSQL:
three unreachable attempts on three half-days, then the supervisor; an unhappy
resident reopens the order, which is done again and followed up happy."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from workflow import orders as service
from models.console import FollowUp, User, WorkOrder, WorkOrderEvent
from tests.support.console_client import csrf_token_from
from tests.support.settings import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the default office_timezone
UTC = dt.timezone.utc


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def console_settings(db_url, tmp_path, console_redis_server, console_redis):
    """The console on each database in turn (db_url: a fresh schema on SQLite, then PostgreSQL)."""
    return make_settings(database_url=db_url, redis_url=console_redis_server,
                         state_dir=tmp_path, secret_key_file=tmp_path / "secret-key",
                         wrapup_s=30)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = at(3, 10)
    monkeypatch.setattr("agent_console.followups.utcnow", lambda: Clock.now)
    return Clock


def done_repair(console_sessions, token: str, now: dt.datetime) -> int:
    with console_sessions() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        order, _ = service.create_order(session, user, service.OrderInput(
            kind="repair", category="plumbing", description="kitchen tap drips",
            contact_name="Wang", contact_phone="13800138000", call_at=now),
            token, now, office_zone=SHANGHAI)
        for step in ("dispatched", "in_progress", "done"):
            service.change_status(session, order, step, user, now, department="engineering")
        return order.id


def pending_of(console_sessions, order_id: int) -> FollowUp:
    with console_sessions() as session:
        return session.scalar(select(FollowUp).where(
            FollowUp.work_order_id == order_id, FollowUp.result == "pending"))


def post_result(client, follow_up_id: int, **fields) -> str:
    token = csrf_token_from(client, "/follow-ups")
    response = client.post(f"/follow-ups/{follow_up_id}/result",
                           data={"csrf_token": token, "notes": "", **fields},
                           follow_redirects=True)
    return response.get_data(as_text=True)


def supervisor_section(page: str) -> str:
    return page.split('id="supervisor-list"', 1)[1].split("</table>", 1)[0]


def test_unreachable_three_times_on_three_half_days_then_the_supervisor(
        agent_client, supervisor_client, console_sessions, clock):
    order_id = done_repair(console_sessions, "tok-unreachable", at(3, 9, 30))
    page = agent_client.get("/follow-ups").get_data(as_text=True)
    assert "1 of 3" in page
    first = pending_of(console_sessions, order_id)
    page = post_result(agent_client, first.id, result="unreachable")
    assert "next attempt 2026-12-03 14:00" in page
    assert "2 of 3" in page and "not yet" in page
    second = pending_of(console_sessions, order_id)
    clock.now = at(3, 13, 0)  # before its slot: refused, still attempt 2
    page = post_result(agent_client, second.id, result="unreachable")
    assert "Not yet: this attempt is offered from 2026-12-03 14:00." in page
    assert pending_of(console_sessions, order_id).id == second.id
    clock.now = at(3, 14, 10)
    page = post_result(agent_client, second.id, result="unreachable")
    assert "next attempt 2026-12-04 09:00" in page and "3 of 3" in page
    clock.now = at(4, 9, 20)
    page = post_result(agent_client, pending_of(console_sessions, order_id).id,
                       result="unreachable")
    assert "unreachable 3 times, the supervisor is told" in page
    assert f"#{order_id}" in supervisor_section(page)
    assert pending_of(console_sessions, order_id) is None
    assert "follow_up_needs_supervisor" not in page and "unreachable</" not in page
    boss_page = supervisor_client.get("/follow-ups").get_data(as_text=True)
    assert f"#{order_id}" in supervisor_section(boss_page) and "Try again" in boss_page
    unread = supervisor_client.get("/notifications").get_data(as_text=True)
    assert f"Order #{order_id}: the resident was unreachable on 3 follow-up attempts" in unread
    with console_sessions() as session:
        rows = session.scalars(select(FollowUp).where(FollowUp.work_order_id == order_id)
                               .order_by(FollowUp.id)).all()
        assert [(r.attempt, r.result) for r in rows] == [
            (1, "unreachable"), (2, "unreachable"), (3, "unreachable")]
        assert session.get(WorkOrder, order_id).status == "done"
        last_id = rows[-1].id
    token = csrf_token_from(agent_client, "/follow-ups")
    assert agent_client.post(f"/follow-ups/{last_id}/retry",
                             data={"csrf_token": token}).status_code == 403
    token = csrf_token_from(supervisor_client, "/follow-ups")
    page = supervisor_client.post(f"/follow-ups/{last_id}/retry", data={"csrf_token": token},
                                  follow_redirects=True).get_data(as_text=True)
    assert "The order is back on the follow-up list." in page
    assert f"#{order_id}" not in supervisor_section(page)
    assert pending_of(console_sessions, order_id).attempt == 1


def test_unhappy_resident_reopens_then_done_again_and_followed_up_happy(
        agent_client, console_sessions, clock):
    order_id = done_repair(console_sessions, "tok-unhappy", at(3, 9, 0))
    first = pending_of(console_sessions, order_id)
    page = post_result(agent_client, first.id, result="reached", satisfaction="4",
                       solved="no", notes="still drips at night")
    assert "the order is reopened for rework" in page
    with console_sessions() as session:
        order = session.get(WorkOrder, order_id)
        assert order.status == "in_progress"
        event = session.scalars(select(WorkOrderEvent).where(
            WorkOrderEvent.work_order_id == order_id).order_by(WorkOrderEvent.id)).all()[-1]
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert (event.from_status, event.to_status, event.user_id) == ("done", "in_progress",
                                                                       alice.id)
        assert event.at == at(3, 10) and "still drips at night" in event.note
        service.change_status(session, order, "done", alice, at(4, 11))
    second = pending_of(console_sessions, order_id)
    assert second is not None and second.id != first.id and second.attempt == 1
    clock.now = at(4, 15)
    post_result(agent_client, second.id, result="reached", satisfaction="5", solved="yes")
    with console_sessions() as session:
        assert session.get(WorkOrder, order_id).status == "followed_up"
        statuses = [e.to_status for e in session.scalars(select(WorkOrderEvent).where(
            WorkOrderEvent.work_order_id == order_id).order_by(WorkOrderEvent.id))]
        assert statuses == ["new", "dispatched", "in_progress", "done", "in_progress", "done",
                            "followed_up"]
    page = agent_client.get("/follow-ups").get_data(as_text=True)
    assert re.search(r"Follow-up rate: 100%", page)
