"""Wrap-up (issue 13, point 6) and the card's on-demand detail: "ready" refused
until the last answered call has a reason and summary, bad input kept and
explained, the summary in the household's call history; the fee detail adds up
to the pop's balance; an earlier call linked by hand, audited."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from households.call_history import household_calls
from households.fee_detail import fee_detail
from models.base import utcnow
from models.calls import Call
from models.console import AccessAuditEntry, User
from models.wrapup import CallHouseholdLink, CallWrapup
from tests.support.demo import demo_data
from tests.support.console_client import csrf_token_from, log_in

CALLID = "1700000000.7"


@pytest.fixture
def answered_call(console_sessions, agent):
    with console_sessions() as session:
        demo_data(session, 3)
        session.add(Call(callid=CALLID, caller_number_raw="01099990000", caller_number="01099990000",
                         queue="hotline", entered_queue_at=utcnow() - dt.timedelta(minutes=5),
                         answered_at=utcnow() - dt.timedelta(minutes=4), agent_member="Alice",
                         agent_interface="PJSIP/8001", talk_s=75, outcome="answered",
                         recording_path="/nonexistent/rec.wav"))
        session.commit()
    return CALLID


def _ready(client):
    token = csrf_token_from(client, "/console")
    return client.post("/agent/state", data={"csrf_token": token, "action": "ready"})


def _wrapup(client, **fields):
    token = csrf_token_from(client, "/console")
    return client.post(f"/api/calls/{CALLID}/wrapup", data=fields,
                       headers={"X-CSRFToken": token})


def test_ready_is_refused_until_the_answered_call_is_wrapped_up(agent_client, answered_call,
                                                                console_sessions):
    refused = _ready(agent_client)
    assert refused.status_code == 409
    assert refused.json["wrapup_callid"] == CALLID
    assert "wrap-up" in refused.json["console_message"]

    saved = _wrapup(agent_client, reason="repair", summary="  厨房水管漏水，已登记报修  ",
                    household_id="1")
    assert saved.status_code == 200 and saved.json["ok"]
    with console_sessions() as session:
        row = session.scalar(select(CallWrapup).where(CallWrapup.callid == CALLID))
        assert (row.reason, row.summary, row.household_id) == ("repair", "厨房水管漏水，已登记报修", 1)
    # The wrap-up check passes now: what answers is the command channel (no bridge here).
    assert _ready(agent_client).status_code != 409


def test_bad_wrapup_input_is_explained_and_nothing_is_stored(agent_client, answered_call,
                                                            console_sessions):
    for fields, field in (({"reason": "", "summary": "x"}, "reason"),
                          ({"reason": "bogus", "summary": "x"}, "reason"),
                          ({"reason": "repair", "summary": "   "}, "summary"),
                          ({"reason": "repair", "summary": "长" * 501}, "summary")):
        answer = _wrapup(agent_client, **fields)
        assert answer.status_code == 400, fields
        assert answer.json["errors"][field], fields
    with console_sessions() as session:
        assert session.scalar(select(CallWrapup)) is None
    assert _ready(agent_client).status_code == 409


def test_another_agents_call_cannot_be_wrapped_up(other_agent_client, answered_call):
    token = csrf_token_from(other_agent_client, "/console")
    answer = other_agent_client.post(f"/api/calls/{CALLID}/wrapup", headers={"X-CSRFToken": token},
                                     data={"reason": "repair", "summary": "x"})
    assert answer.status_code == 404


def test_ready_is_not_held_back_when_wrapup_is_optional(console_settings, agent, answered_call):
    from agent_console import create_app

    app = create_app(dataclasses.replace(console_settings, wrapup_required=False), testing=True)
    client = app.test_client()
    assert log_in(client, agent.username).status_code == 302
    assert _ready(client).status_code != 409


def test_the_summary_shows_in_the_households_call_history(agent_client, answered_call,
                                                          supervisor):
    _wrapup(agent_client, reason="fee_enquiry", summary="询问第四季度物业费", household_id="1")
    page = agent_client.get("/households/1/card").get_data(as_text=True)
    assert "询问第四季度物业费" in page
    detail = agent_client.get("/api/households/1/detail").json
    [call] = [c for c in detail["calls"] if c["callid"] == CALLID]
    assert call["summary"] == "询问第四季度物业费" and call["reason"] == "fee_enquiry"
    assert call["recording_url"].endswith("/recordings/" + CALLID)  # answered on her phone


def test_detail_needs_the_card_opened_or_a_call(other_agent_client, answered_call):
    assert other_agent_client.get("/api/households/1/detail").status_code == 404
    assert other_agent_client.get("/api/households/1/detail?callid=nope").status_code == 404
    other_agent_client.get("/households/1/card")
    detail = other_agent_client.get("/api/households/1/detail").json
    assert all(c["recording_url"] is None for c in detail["calls"])  # not bob's calls


def test_an_earlier_call_is_linked_to_the_household_and_audited(agent_client, answered_call,
                                                                console_sessions):
    agent_client.get("/households/2/card")
    token = csrf_token_from(agent_client, "/households/2/card")
    refused = agent_client.post("/households/2/link-call",
                                data={"csrf_token": token, "callid": "someone-elses"})
    assert refused.status_code == 302
    agent_client.post("/households/2/link-call", data={"csrf_token": token, "callid": CALLID})
    with console_sessions() as session:
        link = session.scalar(select(CallHouseholdLink))
        assert (link.callid, link.household_id) == (CALLID, 2)
        assert session.scalar(select(AccessAuditEntry).where(
            AccessAuditEntry.action == "call_linked")).callid == CALLID
        assert [c.callid for c in household_calls(session, 2)] == [CALLID]


def test_a_walk_in_order_needs_the_card_opened_by_search(agent_client, answered_call,
                                                         console_sessions):
    first = agent_client.get("/households/1/walk-in")
    assert first.status_code == 302 and first.headers["Location"].endswith("/households/1/card")
    agent_client.get("/households/1/card")
    page = agent_client.get("/households/1/letter").get_data(as_text=True)
    token = csrf_token_from(agent_client, "/households/1/letter")
    import re
    form_token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page).group(1)
    created = agent_client.post("/households/1/letter", data={
        "csrf_token": token, "token": form_token, "kind": "repair", "category": "leak",
        "description": "来信反映楼道漏水", "complaint_tier": ""})
    assert created.status_code == 302, created.get_data(as_text=True)
    with console_sessions() as session:
        entry = session.scalar(select(AccessAuditEntry).where(
            AccessAuditEntry.action == "work_order_letter"))
        assert "household:1" in entry.target


def test_fee_detail_adds_up_to_the_balance(db_url):
    from models.session import session_factory

    with session_factory(db_url)() as session:
        demo_data(session, 20)
        session.commit()
        for household_id in range(1, 21):
            detail = fee_detail(session, household_id, dt.date(2026, 12, 2), Decimal("0.0003"))
            balance = detail.balance
            assert sum(Decimal(k.outstanding) for k in detail.by_kind) == balance.outstanding
            assert sum(Decimal(k.overdue) for k in detail.by_kind) == balance.overdue
            assert sum(Decimal(k.late_fee) for k in detail.by_kind) == balance.late_fee


def test_wrapup_rows_store_on_both_databases(db_url):
    from models.session import session_factory

    with session_factory(db_url)() as session:
        user = User(username="u", password_hash="x", role="agent")
        session.add(user)
        session.flush()
        session.add(CallWrapup(callid="c1", user_id=user.id, reason="other", summary="长" * 500))
        session.commit()
        assert len(session.scalar(select(CallWrapup.summary))) == 500


def test_the_wrapup_countdown_is_the_queues_wrapuptime(console_settings, agent, monkeypatch):
    """The form counts down settings.wrapup_s, the same value queues.conf gets."""
    import re

    from agent_console import create_app
    from hotline.lab_config import render_all

    settings = dataclasses.replace(console_settings, wrapup_s=45)
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "s3cret-for-test")
    queues = render_all(settings)["queues.conf"].split("[hotline]", 1)[1].split("\n[", 1)[0]
    assert "wrapuptime = 45" in queues
    client = create_app(settings, testing=True).test_client()
    assert log_in(client, agent.username).status_code == 302
    page = client.get("/console").get_data(as_text=True)
    assert re.search(r'id="wrapup"[^>]*data-wrapup-s="45"', page)
