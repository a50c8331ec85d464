"""The department's pages through the console's Flask client, on SQLite and PostgreSQL:
the worklist with deadlines, accept / progress / complete / send back with CSRF,
a bad field's message next to it with the input kept, 403 on another department's
order and on the centre's pages, the centre's view of the sheet, the user CLI."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from models.console import User, WorkOrder, WorkOrderEvent
from models.departments import DepartmentTask, UserDepartment
from notifications import service as notifications
from tests.support.console_client import PASSWORD, csrf_token_from, log_in
from tests.support.department import add_department_user, dispatched_order, office
from tests.support.settings import make_settings

META_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def console_settings(db_url, tmp_path, console_redis_server, console_redis):
    return make_settings(database_url=db_url, redis_url=console_redis_server,
                         state_dir=tmp_path, secret_key_file=tmp_path / "secret-key",
                         wrapup_s=30)


@pytest.fixture
def dept_users(app, console_sessions, agent, supervisor):
    ids = {"eng01": add_department_user(console_sessions, "eng01", ("engineering",), PASSWORD),
           "sec01": add_department_user(console_sessions, "sec01", ("security",), PASSWORD)}
    yield ids
    notifications.use_department_members(None)


@pytest.fixture
def eng_client(app, dept_users):
    client = app.test_client()
    response = log_in(client, "eng01")
    assert response.status_code == 302 and response.location.endswith("/console")
    return client


def post(client, url: str, page: str, **fields):
    token = META_CSRF.search(client.get(page).get_data(as_text=True)).group(1)
    prefix = url.rsplit("/", 1)[1]
    data = {f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in fields.items()}}
    return client.post(url, data=data)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = office(3, 9, 0)
    monkeypatch.setattr("agent_console.department.views.utcnow", lambda: Clock.now)
    return Clock


def test_walk_accept_progress_complete_and_the_centre_sees_it(
        eng_client, agent_client, console_sessions, clock):
    order_id = dispatched_order(console_sessions, "alice", "tok-walk", office(3, 8, 55))
    assert eng_client.get("/console").location.endswith("/department")
    page = eng_client.get("/department").get_data(as_text=True)
    assert f"#{order_id} Repair · Plumbing" in page and "Accept by" in page
    assert "2026-12-03 10:55" in page and "Waiting for acceptance" in page
    url = f"/department/orders/{order_id}"
    assert eng_client.get(f"/work-orders/{order_id}").location.endswith(url)
    response = post(eng_client, url + "/accept", url, promised_at="2026-12-03T11:00", note="")
    assert response.status_code == 302
    clock.now = office(3, 9, 30)
    assert post(eng_client, url + "/progress", url, note="parts fetched").status_code == 302
    clock.now = office(3, 10, 15)
    response = post(eng_client, url + "/complete", url, work_hours="1.5",
                    materials="washer", paid="free", note="fixed")
    assert response.status_code == 302
    page = eng_client.get(url).get_data(as_text=True)
    assert "Order completed." in page and 'data-status="done"' in page
    with console_sessions() as session:
        assert [(e.user.username, e.to_status) for e in session.scalars(
            select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == order_id)
            .order_by(WorkOrderEvent.id))][2:] == [
            ("eng01", "in_progress"), ("eng01", "in_progress"), ("eng01", "done")]
    centre = agent_client.get(f"/work-orders/{order_id}").get_data(as_text=True)
    assert 'data-status="done"' in centre and 'id="department-sheet"' in centre
    assert 'id="sheet-hours">1.50<' in centre and ">washer<" in centre and ">Free repair<" in centre


def test_bad_input_is_shown_next_to_its_field_and_kept(eng_client, console_sessions, clock):
    order_id = dispatched_order(console_sessions, "alice", "tok-bad", office(3, 8, 55))
    url = f"/department/orders/{order_id}"
    response = post(eng_client, url + "/accept", url, promised_at="2026-12-03T08:00",
                    note="will bring a ladder")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="accept-promised_at"[^>]*value="2026-12-03T08:00"', page)
    assert ('id="accept-promised_at-error" role="alert">That time has passed: give a time '
            'from now on.</small>') in page
    assert 'value="will bring a ladder"' in page
    response = post(eng_client, url + "/accept", url, promised_at="soon")
    assert "Not a time: pick one" in response.get_data(as_text=True)
    response = post(eng_client, url + "/reject", url, reason="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="reject-reason-error" role="alert">Required.' in page
    assert post(eng_client, url + "/accept", url,
                promised_at="2026-12-03T12:00").status_code == 302
    response = post(eng_client, url + "/complete", url, work_hours="abc", materials="pipe 1 m",
                    paid="paid", note="long job")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="complete-work_hours-error" role="alert">Hours as a number, e.g. 1.5.' in page
    assert 'value="abc"' in page and 'value="pipe 1 m"' in page and 'value="long job"' in page
    assert re.search(r'value="paid"[^>]*checked|checked[^>]*value="paid"', page)
    response = post(eng_client, url + "/complete", url, work_hours="1", materials="x")
    assert 'id="complete-paid-error" role="alert">Choose free or paid.' in \
        response.get_data(as_text=True)
    with console_sessions() as session:
        assert session.get(WorkOrder, order_id).status == "in_progress"


def test_csrf_is_required(eng_client, console_sessions, clock):
    order_id = dispatched_order(console_sessions, "alice", "tok-csrf", office(3, 8, 55))
    response = eng_client.post(f"/department/orders/{order_id}/accept",
                               data={"accept-promised_at": "2026-12-03T12:00"})
    assert response.status_code == 400
    with console_sessions() as session:
        assert session.get(WorkOrder, order_id).status == "dispatched"


def test_another_departments_order_and_the_centres_pages_are_403(
        app, dept_users, console_sessions, agent_client, clock):
    order_id = dispatched_order(console_sessions, "alice", "tok-403", office(3, 8, 55))
    sec = app.test_client()
    assert log_in(sec, "sec01").status_code == 302
    url = f"/department/orders/{order_id}"
    assert sec.get(url).status_code == 403
    assert f"#{order_id}" not in sec.get("/department").get_data(as_text=True)
    token = META_CSRF.search(sec.get("/department").get_data(as_text=True)).group(1)
    for step, fields in (("accept", {"promised_at": "2026-12-03T12:00"}), ("progress", {"note": "x"}),
                         ("complete", {"work_hours": "1"}), ("reject", {"reason": "x"})):
        data = {f"{step}-csrf_token": token, **{f"{step}-{k}": v for k, v in fields.items()}}
        assert sec.post(f"{url}/{step}", data=data).status_code == 403, step
    for page in ("/work-orders", "/follow-ups", "/handover", f"/households/{1}"):
        assert sec.get(page).status_code == 403, page
    assert sec.get("/notifications").status_code == 200
    assert agent_client.get("/department").status_code == 403
    assert agent_client.get(url).status_code == 403
    with console_sessions() as session:
        assert session.get(WorkOrder, order_id).status == "dispatched"


def test_send_back_notifies_the_centre_in_its_language(eng_client, agent_client,
                                                       supervisor_client, console_sessions, clock):
    order_id = dispatched_order(console_sessions, "alice", "tok-back", office(3, 8, 55))
    url = f"/department/orders/{order_id}"
    response = post(eng_client, url + "/reject", url, reason="needs the gas company")
    assert response.status_code == 302
    page = eng_client.get("/department").get_data(as_text=True)
    assert "Sent back to the centre; the centre is told." in page and f"#{order_id}" in page
    text = (f"Order #{order_id} (3-1-502) was sent back by the department: needs the gas "
            "company. Call the resident back and dispatch it again.")
    assert text in agent_client.get("/notifications").get_data(as_text=True)
    assert text in supervisor_client.get("/notifications").get_data(as_text=True)
    agent_client.post("/lang/zh", data={"csrf_token": csrf_token_from(agent_client, "/console")})
    zh = agent_client.get("/notifications").get_data(as_text=True)
    assert f"工单 #{order_id}(3-1-502)被部门退回:needs the gas company。请回复住户并重新派单。" in zh
    centre = agent_client.get(f"/work-orders/{order_id}").get_data(as_text=True)
    assert 'data-status="new"' in centre and 'id="sheet-reason">needs the gas company<' in centre


def test_users_cli_binds_departments(console_settings, console_sessions, monkeypatch):
    from agent_console import cli

    monkeypatch.setattr(cli, "get_settings", lambda: console_settings)
    runner = CliRunner()

    def users(*args, password=None):
        return runner.invoke(cli.users_group, list(args), input=password)

    result = users("add", "eng02", "--role", "department", "--department", "engineering",
                   "--department", "finance", "--password-stdin", password="long enough pw\n")
    assert result.exit_code == 0, result.output
    assert "eng02 (department, engineering, finance) added" in result.output
    result = users("add", "eng03", "--role", "department", "--password-stdin",
                   password="long enough pw\n")
    assert result.exit_code != 0 and "at least one --department" in str(result.exception)
    result = users("add", "ag9", "--department", "engineering", "--password-stdin",
                   password="long enough pw\n")
    assert result.exit_code != 0 and "only a department user" in str(result.exception)
    result = users("set-role", "eng02", "department", "--department", "security")
    assert result.exit_code == 0, result.output
    with console_sessions() as session:
        eng02 = session.scalar(select(User).where(User.username == "eng02"))
        assert [d.department for d in session.scalars(select(UserDepartment).where(
            UserDepartment.user_id == eng02.id))] == ["security"]
        assert session.scalar(select(User).where(User.username == "eng03")) is None
    result = users("set-role", "eng02", "department")
    assert result.exit_code != 0 and "at least one --department" in str(result.exception)
    result = users("set-role", "eng02", "agent")
    assert result.exit_code == 0, result.output
    with console_sessions() as session:
        assert session.scalars(select(UserDepartment)).all() == []
        assert session.scalar(select(User).where(User.username == "eng02")).role == "agent"


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_department_pages_show_no_code_and_no_untranslated_text(
        app, eng_client, agent_client, console_sessions, clock, locale):
    from tests.support.console_pages import (
        codes_to_flag, english_ids_translated_in_zh, problems, visible_text)

    waiting = dispatched_order(console_sessions, "alice", "tok-i18n-1", office(3, 6, 0),
                               description="厨房水龙头漏水")
    done = dispatched_order(console_sessions, "alice", "tok-i18n-2", office(3, 8, 0),
                            description="卫生间地漏堵塞")
    url = f"/department/orders/{done}"
    post(eng_client, url + "/accept", url, promised_at="2026-12-03T12:00")
    post(eng_client, url + "/complete", url, work_hours="2", materials="管道疏通剂", paid="paid")
    for client in (eng_client, agent_client):
        client.post(f"/lang/{locale}", data={"csrf_token": csrf_token_from(client, "/notifications")})
    english_ids, codes = english_ids_translated_in_zh(), codes_to_flag(app, locale)
    pages = [(eng_client, "/department"), (eng_client, f"/department/orders/{waiting}"),
             (eng_client, url), (agent_client, f"/work-orders/{done}")]
    found = []
    for client, page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        found += [f"{page}: {p}" for p in problems(visible_text(html), locale, english_ids, codes)]
    assert not found, "\n".join(found)
    overdue = eng_client.get("/department").get_data(as_text=True)
    assert f'id="sheet-{waiting}"' in overdue and 'data-overdue="accept"' in overdue


def test_an_order_that_moved_to_another_department_is_read_only_for_the_first(
        app, dept_users, eng_client, console_sessions, clock):
    """Their "finished" list links to it: the page opens (what they did), with no step
    left to take, and a step posted anyway is still refused."""
    from workflow import orders as service

    order_id = dispatched_order(console_sessions, "alice", "tok-moved", office(3, 8, 55))
    url = f"/department/orders/{order_id}"
    assert post(eng_client, url + "/reject", url, reason="the gate, not a pipe").status_code == 302
    with console_sessions() as session:
        order, alice = session.get(WorkOrder, order_id), session.scalar(
            select(User).where(User.username == "alice"))
        service.change_status(session, order, "dispatched", alice, office(3, 9, 30),
                              department="security")
    worklist = eng_client.get("/department").get_data(as_text=True)
    assert f'href="{url}"' in worklist  # still in their finished list
    page = eng_client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="order-moved-on"' in text and 'data-state="rejected"' in text
    assert "the gate, not a pipe" in text
    assert "accept-form" not in text and "reject-form" not in text
    token = META_CSRF.search(text).group(1)
    refused = eng_client.post(url + "/accept", data={"accept-csrf_token": token,
                                                     "accept-promised_at": "2026-12-03T12:00"})
    assert refused.status_code == 403
    never = dispatched_order(console_sessions, "alice", "tok-never", office(3, 9, 0),
                             department="security")
    assert eng_client.get(f"/department/orders/{never}").status_code == 403
