"""The supervisor's campaigns page through the Flask client (issue 18.4): progress and
results of a campaign, pause/resume/stop, a refused new campaign keeps what was typed
and says so by each wrong field, CSV and Excel exports, agents refused."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from campaigns import store
from models.campaigns import Campaign, CampaignTarget
from tests.support.campaigns import OPEN_NOW, agent, done_orders
from tests.support.console_client import csrf_token_from


def a_campaign(console_sessions) -> int:
    with console_sessions() as session:
        done_orders(session, agent(session, "cam"), ["13900001000", "13900002000"], OPEN_NOW)
        campaign = store.create_campaign(session, store.CampaignSpec(
            kind="satisfaction", name="十二月回访"), OPEN_NOW)
        from campaigns.satisfaction import SatisfactionKind
        from zoneinfo import ZoneInfo
        SatisfactionKind(ZoneInfo("Asia/Shanghai")).enrol(session, campaign, OPEN_NOW)
        first = session.scalars(select(CampaignTarget).order_by(CampaignTarget.id)).first()
        first.state, first.outcome, first.score, first.solved = "completed", "reopened", 2, True
        session.commit()
        return campaign.id


def in_chinese(client) -> None:
    client.post("/lang/zh", data={"csrf_token": csrf_token_from(client, "/supervisor/campaigns")})


def test_progress_results_and_exports(console_sessions, supervisor_client):
    campaign_id = a_campaign(console_sessions)
    english = supervisor_client.get("/supervisor/campaigns").get_data(as_text=True)
    assert "Reopened for an agent" in english and "Retries pending" in english
    in_chinese(supervisor_client)
    page = supervisor_client.get("/supervisor/campaigns").get_data(as_text=True)
    card = page[page.index(f'id="campaign-{campaign_id}"'):page.index('id="new-campaign"')]
    assert "十二月回访" in card and "运行中" in card
    assert '<dd data-field="targets">2</dd>' in card and '<dd data-field="completed">1</dd>' in card
    assert "已重新打开" in card  # the reopened outcome, in Chinese by default
    csv_text = supervisor_client.get(
        f"/supervisor/campaigns/{campaign_id}/results.csv").get_data(as_text=True)
    assert "13900001000" in csv_text and "已重新打开" in csv_text
    book = load_workbook(io.BytesIO(supervisor_client.get(
        f"/supervisor/campaigns/{campaign_id}/results.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][0] == "13900001000" and rows[1][5] == 2


def test_pause_resume_stop(console_sessions, supervisor_client):
    campaign_id = a_campaign(console_sessions)
    in_chinese(supervisor_client)
    token = csrf_token_from(supervisor_client, "/supervisor/campaigns")
    base = f"/supervisor/campaigns/{campaign_id}"
    for action, state in (("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        assert supervisor_client.post(f"{base}/{action}", data={"csrf_token": token}
                                      ).status_code == 303
        with console_sessions() as session:
            assert session.get(Campaign, campaign_id).state == state
    page = supervisor_client.post(f"{base}/pause", data={"csrf_token": token},
                                  follow_redirects=True).get_data(as_text=True)
    assert "当前状态下不能这样操作" in page


def test_a_refused_campaign_keeps_what_was_typed(console_sessions, supervisor_client):
    in_chinese(supervisor_client)
    token = csrf_token_from(supervisor_client, "/supervisor/campaigns")
    response = supervisor_client.post("/supervisor/campaigns/new", data={
        "csrf_token": token, "name": "回访甲", "hours": "9-12", "concurrency_cap": "0",
        "hourly_cap": "120", "max_attempts": "3", "retry_spacing_min": "30",
        "ring_timeout_s": "30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="hours-error"' in page and 'id="concurrency_cap-error"' in page
    assert 'value="回访甲"' in page and 'value="9-12"' in page
    assert 'id="name-error"' not in page and "不是允许范围内的数字" in page
    response = supervisor_client.post("/supervisor/campaigns/new", data={
        "csrf_token": token, "name": "回访甲", "hours": "09:00-12:00", "concurrency_cap": "２",
        "hourly_cap": "120", "max_attempts": "3", "retry_spacing_min": "30",
        "ring_timeout_s": "30"})
    assert response.status_code == 303
    with console_sessions() as session:
        campaign = session.scalars(select(Campaign)).one()
        assert (campaign.name, campaign.concurrency_cap, campaign.retry_spacing_s) == \
            ("回访甲", 2, 1800)


def test_agents_are_refused(agent_client):
    assert agent_client.get("/supervisor/campaigns").status_code == 403


def test_a_dunning_campaign_needs_its_stage_and_the_letter_list_exports(
        console_sessions, supervisor_client):
    from tests.support.demo import demo_data

    with console_sessions() as session:
        demo_data(session, households=30, seed=4)
        session.commit()
    in_chinese(supervisor_client)
    token = csrf_token_from(supervisor_client, "/supervisor/campaigns")
    typed = {"csrf_token": token, "kind": "dunning", "dunning_stage": "", "name": "一季度催缴",
             "hours": "09:00-12:00,14:00-20:00", "concurrency_cap": "4", "hourly_cap": "120",
             "max_attempts": "2", "retry_spacing_min": "60", "ring_timeout_s": "30"}
    response = supervisor_client.post("/supervisor/campaigns/new", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请选择要提醒的催缴阶段" in page
    assert '<option value="dunning" selected>' in page and 'value="一季度催缴"' in page
    assert supervisor_client.post("/supervisor/campaigns/new",
                                  data={**typed, "dunning_stage": "2"}).status_code == 303
    with console_sessions() as session:
        campaign = session.scalars(select(Campaign)).one()
        assert (campaign.kind, campaign.dunning_stage) == ("dunning", 2)
    book = load_workbook(io.BytesIO(supervisor_client.get(
        "/supervisor/campaigns/letters.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "住户" and len(rows) >= 2 and rows[1][4] > 0
