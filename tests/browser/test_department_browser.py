"""The departments' work contact sheets in Debian's chromium, zh-CN: the agent registers
a repair and dispatches it to engineering at 1366x768; the engineering user, on a
phone (375x812), accepts it with a promised time, adds progress and completes it
with hours, materials and free; the agent sees it done with the sheet. A second
order is sent back: an empty reason is refused next to its field, then with a
reason the agent is notified. Every page: no horizontal scroll, no raw codes, no
untranslated English. Screenshots in test-artifacts/department/.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.base import utcnow
from models.session import session_factory
from tests.support.browser import launched_chromium
from tests.support.console_stack import PASSWORD, USERS, log_in, start_console_stack
from tests.support.department import add_department_user, dispatched_order
from tests.support.page_review import page_review

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "department"
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
OFFICE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("department"), ARTIFACTS):
        add_department_user(session_factory(stack.database_url), "eng01", ("engineering",),
                            PASSWORD, language="zh", display_name="赵师傅")
        # An emergency dispatched three hours ago and never accepted: flagged overdue.
        stack.late_order_id = dispatched_order(
            session_factory(stack.database_url), USERS["agent"][0], "late-emergency",
            utcnow() - dt.timedelta(hours=3), category="leak_active", urgency="emergency",
            address="5-2-1101", description="楼上漏水,正在往下滴")
        yield stack


@pytest.fixture(scope="module")
def review(stack):
    return page_review(stack, ARTIFACTS)



def dispatched_repair(page, base_url: str, description: str) -> int:
    page.goto(base_url + "/work-orders/new")
    page.select_option("#kind", "repair")
    page.select_option("#category", "plumbing")
    page.fill("#description", description)
    page.fill("#address", "3-1-502")
    page.fill("#contact_name", "王先生")
    page.fill("#contact_phone", "13800138000")
    page.click("#work-order-form button[type=submit]")
    page.wait_for_url("**/work-orders/*")
    order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.select_option("#to_status", "dispatched")
    page.select_option("#department", "engineering")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector('#order-status[data-status="dispatched"]')
    return order_id


def department_log_in(page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", "eng01")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/department")


def test_repair_accepted_progressed_completed_on_a_phone_and_sent_back(stack, review):
    found = []
    with launched_chromium() as browser:
        desk = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id=OFFICE)
        agent = desk.new_page()
        log_in(agent, stack.base_url, USERS["agent"][0])
        order_id = dispatched_repair(agent, stack.base_url, "厨房水龙头漏水")

        phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id=OFFICE,
                                    is_mobile=True, has_touch=True)
        dept = phone.new_page()
        department_log_in(dept, stack.base_url)
        card = dept.locator(f"#sheet-{order_id}")
        assert "待接单" in card.inner_text() and "接单时限" in card.inner_text()
        late = dept.locator(f"#sheet-{stack.late_order_id}")
        assert "已超时" in late.inner_text() and "紧急" in late.inner_text()
        assert dept.locator("#worklist article").first.get_attribute("id") == \
            f"sheet-{stack.late_order_id}"  # the overdue first
        found += review.look(dept, "worklist-375x812")
        card.locator("a.dept-order").click()
        dept.wait_for_selector("#accept-form")
        assert dept.input_value("#accept-promised_at")  # two hours ahead, prefilled
        found += review.look(dept, "order-dispatched-375x812")
        dept.click("#accept-form button[type=submit]")
        dept.wait_for_selector("p.flash.ok")
        assert "已接单" in dept.inner_text("p.flash.ok")
        assert dept.get_attribute("#order-status", "data-status") == "in_progress"
        dept.fill("#progress-note", "已到现场,更换阀芯")
        dept.click("#progress-form button[type=submit]")
        dept.wait_for_selector("p.flash.ok")
        dept.fill("#complete-work_hours", "abc")
        dept.fill("#complete-materials", "水龙头阀芯 1 个")
        dept.check("#complete-paid-0")
        dept.click("#complete-form button[type=submit]")
        dept.wait_for_selector("#complete-work_hours-error")
        assert "请填写数字小时数" in dept.inner_text("#complete-work_hours-error")
        assert dept.input_value("#complete-materials") == "水龙头阀芯 1 个"
        assert dept.is_checked("#complete-paid-0")
        found += review.look(dept, "order-complete-error-375x812")
        dept.fill("#complete-work_hours", "1.5")
        dept.click("#complete-form button[type=submit]")
        dept.wait_for_selector('#order-status[data-status="done"]')
        history = dept.inner_text("#history")
        assert "已到现场,更换阀芯" in history and history.count("赵师傅") == 3
        found += review.look(dept, "order-done-375x812")

        agent.goto(f"{stack.base_url}/work-orders/{order_id}")
        assert agent.get_attribute("#order-status", "data-status") == "done"
        sheet = agent.inner_text("#department-sheet")
        assert "已完工" in sheet and "1.50" in sheet and "水龙头阀芯 1 个" in sheet \
            and "免费维修" in sheet
        found += review.look(agent, "agent-order-done-1366x768")

        second = dispatched_repair(agent, stack.base_url, "卫生间地漏堵塞")
        wide = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id=OFFICE)
        dept_desk = wide.new_page()
        department_log_in(dept_desk, stack.base_url)
        found += review.look(dept_desk, "worklist-1366x768")
        dept_desk.goto(f"{stack.base_url}/department/orders/{second}")
        found += review.look(dept_desk, "order-dispatched-1366x768")
        dept.goto(f"{stack.base_url}/department/orders/{second}")
        dept.click("#reject-form button[type=submit]")
        dept.wait_for_selector("#reject-reason-error")
        assert dept.inner_text("#reject-reason-error") == "必填。"
        found += review.look(dept, "order-reject-error-375x812")
        dept.fill("#reject-reason", "属市政管道,非本部门维修范围")
        dept.click("#reject-form button[type=submit]")
        dept.wait_for_selector("p.flash.ok")
        assert "已退回客服中心" in dept.inner_text("p.flash.ok")

        dept_desk.goto(f"{stack.base_url}/department/orders/{order_id}")
        found += review.look(dept_desk, "order-done-1366x768")
        assert dept_desk.goto(f"{stack.base_url}/follow-ups").status == 403

        agent.goto(stack.base_url + "/notifications")
        notices = agent.inner_text("main")
        assert f"工单 #{second}(3-1-502)被部门退回:属市政管道,非本部门维修范围。" in notices
        found += review.look(agent, "agent-notified-1366x768")
        agent.goto(f"{stack.base_url}/work-orders/{second}")
        assert agent.get_attribute("#order-status", "data-status") == "new"
        assert "属市政管道" in agent.inner_text("#department-sheet")
        found += review.look(agent, "agent-order-sent-back-1366x768")
        for context in (desk, phone, wide):
            context.close()
    assert not found, "\n".join(found)
