"""The complaint register in Debian's chromium at 1366x768: reached from the menu,
the seed's columns in Chinese, the online-message figure, the Excel export, the
print layout (no menu, the register only), and the register panel of a complaint's
work-order page saving an edit.

The console runs as `hotline console` over its own SQLite database and a private
redis-server. Run under the lab lock:
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_complaint_register_browser.py`.
Screenshots go to test-artifacts/complaints/.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.base import utcnow
from models.complaints import Complaint
from tests.support.console_stack import log_in
from tests.support.seeded_console import add_user, seeded_console
from workflow import complaint_steps
from workflow import orders as service
from workflow.intake import ComplaintFields, Intake, register

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "complaints"
ZONE = ZoneInfo("Asia/Shanghai")


def _seed(session) -> int:
    users = {role: add_user(session, username, role, username)
             for username, role in (("reg-supervisor", "supervisor"), ("reg-agent", "agent"))}
    session.commit()
    now = utcnow()
    major, _ = register(session, users["agent"], service.OrderInput(
        kind="complaint", complaint_tier="major", category="security",
        description="夜间地下车库进水,车辆被淹,保安未及时处理", address="3-2-1201",
        contact_name="李梅", contact_phone="13800001111", call_at=now - dt.timedelta(hours=3)),
        Intake(complaint=ComplaintFields(
            occurred_at=now - dt.timedelta(hours=10), location="地下车库B区",
            respondent_person="夜班保安", respondent_department="security",
            resident_request="赔偿洗车费用并书面道歉")),
        "tok-major", now - dt.timedelta(hours=3), office_zone=ZONE)
    complaint = session.scalar(select(Complaint).where(Complaint.work_order_id == major.id))
    complaint_steps.record_result(session, complaint, "已致歉,物业承担洗车费", users["agent"],
                                  now - dt.timedelta(hours=1))
    complaint_steps.tell_resident(session, complaint, "phone", users["agent"],
                                  now - dt.timedelta(minutes=30))
    register(session, users["agent"], service.OrderInput(
        kind="complaint", complaint_tier="important", category="service",
        description="前台回复态度生硬", contact_name="王强", call_at=now - dt.timedelta(hours=2)),
        Intake(channel="wechat", message_at=now - dt.timedelta(hours=2, minutes=3),
               complaint=ComplaintFields(respondent_department="service_centre",
                                         resident_request="希望改进服务")),
        "tok-imp", now - dt.timedelta(hours=2), office_zone=ZONE)
    return major.id


@pytest.fixture
def console(tmp_path, private_redis_server):
    with seeded_console(tmp_path, private_redis_server.url, _seed) as console:
        yield console.base_url, console.filled


def test_the_register_page_prints_exports_and_edits(console, page):
    base_url, major_id = console
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base_url, "reg-supervisor")
    page.click("nav.mainnav >> text=客户投诉登记表")
    page.wait_for_selector("#complaint-register")
    page.screenshot(path=str(ARTIFACTS / "register-1366x768.png"))
    headers = page.locator("#complaint-register thead th").all_text_contents()
    assert headers[:7] == ["编号", "登记时间", "投诉人", "时间与地点", "被投诉对象", "等级",
                           "发生经过"], headers
    rows = page.locator("#complaint-register tbody tr")
    assert rows.count() == 2
    first = rows.first.inner_text()
    for text in ("李梅", "地下车库B区", "夜班保安", "重大投诉", "赔偿洗车费用并书面道歉",
                 "已致歉,物业承担洗车费", "电话"):
        assert text in first, (text, first)
    assert "微信" in rows.nth(1).inner_text()
    # The wechat message was accepted 3 minutes after it was sent: in time.
    assert "5分钟内受理: 1/1" in page.locator("#online-figure").inner_text()

    with page.expect_download() as download_info:
        page.click("#register-export")
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes())).active
    assert sheet["A1"].value == "编号" and sheet["C2"].value == "李梅 13800001111"
    assert sheet.max_row == 3

    page.emulate_media(media="print")
    assert not page.locator("nav.mainnav").is_visible()
    assert not page.locator("#register-filters").is_visible()
    page.screenshot(path=str(ARTIFACTS / "register-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.goto(f"{base_url}/work-orders/{major_id}")
    panel = page.locator("#complaint-panel")
    assert "已上报" in panel.inner_text()
    page.fill("#resident_request", "赔偿洗车费用")
    page.click("#complaint-register-form button[type=submit]")
    page.wait_for_selector("text=投诉登记已保存。")
    assert page.input_value("#resident_request") == "赔偿洗车费用"
    page.screenshot(path=str(ARTIFACTS / "work-order-complaint-panel.png"), full_page=True)
