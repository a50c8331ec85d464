"""Console routes: log-in, CSRF, cookies, escaping, limits, 404s, double submit, access."""
from __future__ import annotations

import dataclasses
import re
import time

import pytest
from sqlalchemy import func, select

from agent_console.live import AgentLiveStore
from models.console import AccessAuditEntry, AgentStateLog, HandoverAcknowledgement, WorkOrder
from telephony.bridge_presence import alive_key
from tests.support.console_client import PASSWORD, csrf_token_from, log_in

CALLID = "1763900000.555"
TOKEN_RE = re.compile(r'id="token" name="token" type="hidden" value="([^"]+)"')


def put_call(console_redis, interface="PJSIP/8001", callid=CALLID, part="call", **extra):
    AgentLiveStore(console_redis).put(interface, **{part: dict(
        callid=callid, interface=interface, caller_number="13800138000",
        ringing_at=time.time() - 30, pop={"unknown": True, "candidates": []}, **extra)})


def order_form(client, callid=CALLID) -> dict:
    page = client.get(f"/work-orders/new?callid={callid}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    return {"csrf_token": csrf_token_from(client, f"/work-orders/new?callid={callid}"),
            "token": TOKEN_RE.search(html).group(1), "callid": callid, "kind": "repair",
            "category": "plumbing", "description": "water pipe burst in the kitchen",
            "address": "1-1-101", "contact_phone": "13800138000", "complaint_tier": ""}


def count_orders(console_sessions) -> int:
    with console_sessions() as session:
        return session.scalar(select(func.count(WorkOrder.id)))


def test_pages_need_a_login(app):
    client = app.test_client()
    for url in ("/console", "/work-orders", "/follow-ups", "/handover", "/work-orders/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_wrong_password_then_rate_limited_even_with_the_right_one(app, agent):
    client = app.test_client()
    for _ in range(5):
        assert log_in(client, agent.username, "wrong password").status_code == 401
    response = log_in(client, agent.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)  # Chinese by default


def test_session_cookie_is_httponly_and_samesite_lax(app, agent):
    client = app.test_client()
    response = log_in(client, agent.username)
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(app, agent, agent_client, console_redis,
                                            console_sessions):
    anonymous = app.test_client()
    assert anonymous.post("/login", data={"username": agent.username,
                                          "password": PASSWORD}).status_code == 400
    put_call(console_redis)
    form = order_form(agent_client)
    del form["csrf_token"]
    assert agent_client.post("/work-orders/new", data=form).status_code == 400
    assert count_orders(console_sessions) == 0
    assert agent_client.post("/agent/state", data={"action": "ready"}).status_code == 400


def test_double_submit_makes_one_order_linked_to_the_call(agent_client, console_redis,
                                                          console_sessions):
    put_call(console_redis)
    form = order_form(agent_client)
    first = agent_client.post("/work-orders/new", data=form)
    second = agent_client.post("/work-orders/new", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    with console_sessions() as session:
        orders = session.scalars(select(WorkOrder)).all()
    assert len(orders) == 1 and orders[0].callid == CALLID


def test_script_is_escaped_on_output(agent_client, console_redis):
    put_call(console_redis)
    form = order_form(agent_client)
    form["description"] = "<script>alert('x')</script>"
    location = agent_client.post("/work-orders/new", data=form).location
    for url in (location, "/work-orders"):
        html = agent_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def test_over_long_field_is_refused_with_a_message(agent_client, console_redis,
                                                   console_sessions):
    put_call(console_redis)
    form = order_form(agent_client)
    form["description"] = "x" * 2001
    response = agent_client.post("/work-orders/new", data=form)
    assert response.status_code == 400
    assert "At most 2000 characters (this has 2001)." in response.get_data(as_text=True)
    assert count_orders(console_sessions) == 0


def test_unknown_ids_are_404(agent_client, supervisor_client):
    assert agent_client.get("/work-orders/999999").status_code == 404
    assert agent_client.get("/work-orders/new?callid=no-such-call").status_code == 404
    assert agent_client.get("/api/households/search?q=1-1-101&callid=nope").status_code == 404
    assert supervisor_client.get("/follow-ups/424242/call").status_code == 405
    token = csrf_token_from(supervisor_client, "/handover")
    assert supervisor_client.post("/handover/424242/ack",
                                  data={"csrf_token": token}).status_code == 404


def test_agent_cannot_use_another_agents_call(agent_client, supervisor_client, console_redis):
    put_call(console_redis, interface="PJSIP/8002", callid="other.1")
    assert agent_client.get("/work-orders/new?callid=other.1").status_code == 404
    assert agent_client.get("/api/households/search?q=Wang&callid=other.1").status_code == 404
    assert agent_client.get("/api/households/1/pop?callid=other.1").status_code == 404
    assert supervisor_client.get("/work-orders/new?callid=other.1").status_code == 200


def test_household_record_only_during_own_call_and_audited(agent_client, console_redis,
                                                           console_sessions):
    from tests.support.demo import demo_data

    with console_sessions() as session:
        demo_data(session, 2)
        session.commit()
    assert agent_client.get(f"/api/households/1/pop?callid={CALLID}").status_code == 404
    put_call(console_redis)
    response = agent_client.get(f"/api/households/1/pop?callid={CALLID}")
    assert response.status_code == 200
    assert response.get_json()["household"]["id"] == 1
    assert agent_client.get(f"/api/households/424242/pop?callid={CALLID}").status_code == 404
    with console_sessions() as session:
        entry = session.scalars(select(AccessAuditEntry)).one()
    assert (entry.action, entry.target, entry.callid) == ("household_open", "household:1", CALLID)


def test_order_form_prefills_the_chosen_household(agent_client, console_redis,
                                                  console_sessions):
    from tests.support.demo import demo_data

    with console_sessions() as session:
        demo_data(session, 2)
        session.commit()
    put_call(console_redis)
    token = csrf_token_from(agent_client, "/console")
    assert agent_client.post(f"/api/calls/{CALLID}/household", data={
        "household_id": "2"}, headers={"X-CSRFToken": token}).get_json() == {"ok": True}
    html = agent_client.get(f"/work-orders/new?callid={CALLID}").get_data(as_text=True)
    assert 'name="household_id" type="hidden" value="2"' in html
    assert re.search(r'id="address" maxlength="200" name="address" (size="50" )?'
                     r'type="text" value="[^"]+-[^"]+-[^"]+"', html)


def test_submitting_the_order_ends_after_call_work(agent_client, console_redis):
    put_call(console_redis, part="wrapup", wrapup_until=time.time() + 30)
    agent_client.post("/work-orders/new", data=order_form(agent_client))
    assert "wrapup" not in AgentLiveStore(console_redis).get("PJSIP/8001")


def test_status_change_form_and_illegal_step(agent_client, console_redis, console_sessions):
    put_call(console_redis)
    location = agent_client.post("/work-orders/new", data=order_form(agent_client)).location
    token = csrf_token_from(agent_client, location)
    refused = agent_client.post(location + "/status", data={
        "csrf_token": token, "to_status": "done", "department": "", "note": ""})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    # The catalogue's words and the statuses' labels, never the workflow's log text.
    assert "cannot go from" not in text
    assert "A work order that is New cannot become Done." in text, text[-3000:]
    moved = agent_client.post(location + "/status", data={
        "csrf_token": token, "to_status": "dispatched", "department": "engineering",
        "note": "plumber"})
    assert moved.status_code == 302
    with console_sessions() as session:
        order = session.scalars(select(WorkOrder)).one()
        assert order.status == "dispatched" and order.call_to_dispatch_s >= 29


def test_the_order_page_names_the_household_and_offers_only_the_next_steps(
        agent_client, console_redis, console_sessions):
    from models.households import Household
    from tests.support.demo import demo_data

    with console_sessions() as session:
        demo_data(session, 2)
        session.commit()
        household = session.get(Household, 2)
        number, room = household.number, household.rooms[0].code
    put_call(console_redis)
    form = dict(order_form(agent_client), household_id="2")
    location = agent_client.post("/work-orders/new", data=form).location
    html = agent_client.get(location).get_data(as_text=True)
    household_cell = re.search(r'<dd id="order-household">(.*?)</dd>', html).group(1)
    assert number in household_cell and room in household_cell and ">2<" not in household_cell
    assert _status_steps(html) == ["dispatched"]  # a repair is dispatched, never closed unseen
    token = csrf_token_from(agent_client, location)
    moved = agent_client.post(location + "/status", data={
        "csrf_token": token, "to_status": "dispatched", "department": "engineering", "note": ""})
    assert moved.status_code == 302
    page = agent_client.get(location).get_data(as_text=True)
    # The flash names the status by its label, not its code.
    assert "Status changed to Dispatched." in page and "to dispatched." not in page
    assert _status_steps(page) == ["in_progress"]
    with console_sessions() as session:
        session.scalars(select(WorkOrder)).one().status = "closed"
        session.commit()
    page = agent_client.get(location).get_data(as_text=True)
    assert 'id="status-form"' not in page and 'id="status-final"' in page


def _status_steps(html: str) -> list[str]:
    form = html.split('id="to_status"')[1].split("</select>")[0]
    return re.findall(r'<option[^>]*value="(\w+)"', form)


def test_state_buttons_show_the_bridges_answer(agent_client, console_sessions, monkeypatch):
    calls = []

    def fake_run(redis_url, name, **arguments):
        calls.append((name, arguments))
        return {"ok": True, "message": "paused on hotline"}

    monkeypatch.setattr("agent_console.agent_views.run_command", fake_run)
    token = csrf_token_from(agent_client, "/console")
    response = agent_client.post("/agent/state", data={
        "csrf_token": token, "action": "pause", "reason": "lunch"})
    assert response.get_json() == {"ok": True, "message": "paused on hotline"}
    assert calls == [("queue_pause", {"interface": "PJSIP/8001", "paused": True,
                                      "reason": "lunch", "queue": None})]
    with console_sessions() as session:
        logged = session.scalars(select(AgentStateLog)).one()
    assert (logged.action, logged.reason, logged.ok) == ("pause", "lunch", True)


def test_state_command_failure_is_shown_not_raised(agent_client, monkeypatch, console_redis):
    def timing_out(self, name, timeout=5, **arguments):
        raise TimeoutError("no answer from the bridge in 5 s")

    console_redis.set(alive_key("main"), "1", ex=30)  # the bridge is running, then times out
    monkeypatch.setattr("agent_console.commands.CommandClient", type("C", (), {
        "__init__": lambda self, url, **keys: None, "call": timing_out}))
    token = csrf_token_from(agent_client, "/console")
    answer = agent_client.post("/agent/state", data={"csrf_token": token,
                                                     "action": "ready"}).get_json()
    assert answer["ok"] is False and "no answer from the bridge" in answer["message"]


def test_handover_is_seen_and_acknowledged_by_the_next_shift(agent_client, other_agent_client,
                                                            console_sessions):
    token = csrf_token_from(agent_client, "/handover")
    agent_client.post("/handover", data={"csrf_token": token, "shift": "night",
                                         "notes": "lift 3 stuck twice",
                                         "open_items": "call engineering at 8"})
    page = other_agent_client.get("/handover").get_data(as_text=True)
    assert "lift 3 stuck twice" in page and "call engineering at 8" in page
    note_id = re.search(r'data-note="(\d+)"', page).group(1)
    token = csrf_token_from(other_agent_client, "/handover")
    other_agent_client.post(f"/handover/{note_id}/ack", data={"csrf_token": token})
    other_agent_client.post(f"/handover/{note_id}/ack", data={"csrf_token": token})
    with console_sessions() as session:
        assert session.scalar(select(func.count(HandoverAcknowledgement.id))) == 1


def test_healthz_names_what_is_down(console_settings):
    from agent_console import create_app

    broken = dataclasses.replace(console_settings, redis_url="redis://127.0.0.1:1/0")
    response = create_app(broken, testing=True).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "not ready: redis unreachable\n"


def test_vendor_route_serves_only_bundles(agent_client):
    assert agent_client.get("/vendor/socket.io-client/package.json").status_code == 404
    assert agent_client.get(
        "/vendor/socket.io-client/dist/../../../../__init__.py").status_code == 404


@pytest.mark.parametrize("language, word", [("zh", "工单"), ("en", "Work orders")])
def test_language_switch(agent_client, language, word):
    token = csrf_token_from(agent_client, "/console")
    agent_client.post(f"/lang/{language}", data={"csrf_token": token})
    assert word in agent_client.get("/work-orders").get_data(as_text=True)


def test_supervisors_see_the_supervisor_pages_in_the_menu(agent_client, supervisor_client):
    assert "/supervisor/wallboard" in supervisor_client.get("/console").get_data(as_text=True)
    assert "/supervisor/wallboard" not in agent_client.get("/console").get_data(as_text=True)


def test_search_during_own_call_finds_the_household_by_room(agent_client, console_redis,
                                                            console_sessions):
    from tests.support.demo import demo_data
    from models.households import Room

    with console_sessions() as session:
        demo_data(session, 3)
        session.commit()
        room = session.scalars(select(Room).where(Room.household_id.is_not(None))).first()
    put_call(console_redis)
    answer = agent_client.get(f"/api/households/search?q={room.code}&callid={CALLID}")
    assert answer.status_code == 200
    assert room.household_id in [r["household_id"] for r in answer.get_json()["results"]]
    too_long = agent_client.get(f"/api/households/search?q={'x' * 61}&callid={CALLID}")
    assert too_long.status_code == 400 and "too long" in too_long.get_json()["error"]


def test_leak_repair_follow_up_counts_from_the_leak_test(agent_client, console_redis,
                                                         console_sessions):
    put_call(console_redis)
    form = order_form(agent_client)
    form["category"] = "leak"
    location = agent_client.post("/work-orders/new", data=form).location
    token = csrf_token_from(agent_client, location)
    for step in ("dispatched", "in_progress"):
        agent_client.post(location + "/status", data={
            "csrf_token": token, "to_status": step, "department": "engineering"})
    done = agent_client.post(location + "/status", data={
        "csrf_token": token, "to_status": "done", "department": "", "note": "",
        "leak_test_at": "2026-12-01T10:00"})
    assert done.status_code == 302
    with console_sessions() as session:
        order = session.scalars(select(WorkOrder)).one()
        # 10:00 in Shanghai is 02:00 UTC; due three days later
        assert order.follow_up.due_at.isoformat() == "2026-12-04T02:00:00+00:00"
