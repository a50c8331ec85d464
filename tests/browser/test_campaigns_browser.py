"""The supervisor's campaigns page in Debian's chromium at 1366×768 (issue 18.4): a
satisfaction campaign's progress and results, a figure pushed by the engine's
publisher (Socket.IO over Redis, as the bridge sends it) changing on the open page,
a new campaign refused next to its wrong fields with what was typed kept, pause, and
the page in English. No horizontal scroll. Screenshots in test-artifacts/campaigns/.

Run under the lab lock (Chromium is heavy on the shared machine):
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_campaigns_browser.py`.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from campaigns import store
from campaigns.push import ProgressPublisher
from campaigns.satisfaction import SatisfactionKind
from models.campaigns import Campaign, CampaignTarget
from models.session import session_factory
from tests.support.browser import open_supervisor_menu, shot_without_sideways_scroll
from tests.support.campaigns import OPEN_NOW, agent, done_orders
from tests.support.console_stack import log_in
from tests.support.seeded_console import add_user, seeded_console

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "campaigns"
OUTCOMES = ["satisfied"] * 5 + ["reopened"] * 2 + ["no_answer"] * 2 + ["busy"]


@pytest.fixture
def console(tmp_path, private_redis_server):
    def fill(session):
        add_user(session, "cam-sup", "supervisor", "赵主管")
        done_orders(session, agent(session), [f"139000010{n:02d}" for n in range(12)], OPEN_NOW)
        campaign = store.create_campaign(session, store.CampaignSpec(
            kind="satisfaction", name="十二月维修回访"), OPEN_NOW)
        SatisfactionKind(ZoneInfo("Asia/Shanghai")).enrol(session, campaign, OPEN_NOW)
        targets = session.scalars(select(CampaignTarget).order_by(CampaignTarget.id)).all()
        for target, outcome, score in zip(targets, OUTCOMES, [5, 5, 4, 5, 4, 2, 1]):
            target.attempts = 1 if outcome in ("satisfied", "reopened") else 3
            target.state = "completed" if outcome in ("satisfied", "reopened") else "handed_to_agent"
            target.outcome, target.score = outcome, score
        for target, outcome in zip(targets[7:10], OUTCOMES[7:]):
            target.state, target.outcome, target.score, target.attempts = \
                "handed_to_agent", outcome, None, 3
        return campaign.id

    with seeded_console(tmp_path, private_redis_server.url, fill) as console:
        yield console.base_url, console.database_url, console.filled, console.redis_url


def _shot(page, name: str) -> None:
    shot_without_sideways_scroll(page, ARTIFACTS, name)


def test_the_campaigns_page_in_the_browser(console, page):
    base_url, database_url, campaign_id, redis_url = console
    log_in(page, base_url, "cam-sup")
    page.goto(base_url + "/supervisor/ivr-lockouts")
    open_supervisor_menu(page)  # the link is in the 主管 menu
    page.click("#nav-supervisor >> text=外呼活动")
    card = page.locator(f"#campaign-{campaign_id}")
    card.wait_for()
    assert card.locator('[data-field="completed"]').inner_text() == "7"
    assert card.locator('[data-field="handed_to_agent"]').inner_text() == "3"
    assert "已重新打开，待人工处理" in card.locator(".by-outcome").inner_text()
    page.wait_for_timeout(1500)  # the page's socket joins /wallboard
    with session_factory(database_url)() as session:
        progress = store.progress(session, session.get(Campaign, campaign_id))
    ProgressPublisher(redis_url).publish([dataclasses.replace(progress, dialling=2, called=14)])
    page.wait_for_function(
        f"document.querySelector('#campaign-{campaign_id} [data-field=\"dialling\"]')"
        ".textContent === '2'", timeout=10000)
    assert card.locator('[data-field="called"]').inner_text() == "14"
    _shot(page, "01-campaigns-zh")

    page.fill("#name", "一月回访")
    page.fill("#hours", "9点到12点")
    page.fill("#concurrency_cap", "99")
    page.click("#new-campaign button[type=submit]")
    page.wait_for_selector("#hours-error")
    assert page.inner_text("#hours-error") == "请按 09:00-12:00,14:00-20:00 的格式填写时段。"
    assert page.inner_text("#concurrency_cap-error") == "不是允许范围内的数字。"
    assert page.input_value("#name") == "一月回访" and page.input_value("#hours") == "9点到12点"
    page.locator("#new-campaign").scroll_into_view_if_needed()
    _shot(page, "02-new-campaign-refused-zh")

    page.click(f"#campaign-{campaign_id} button.campaign-pause")
    page.wait_for_selector(f"#campaign-{campaign_id} button.campaign-resume")
    assert page.locator(f'#campaign-{campaign_id} [data-field="state"]').inner_text() == "已暂停"

    page.click("button[lang=en]")
    page.wait_for_load_state()
    page.goto(base_url + "/supervisor/campaigns")
    card.wait_for()
    text = card.inner_text()
    assert "Paused" in text and "Retries pending" in text and "Reopened for an agent" in text
    _shot(page, "03-campaigns-en")
