"""A work order refused for an over-long field, in Debian's chromium: the error stands
next to the field and everything the agent typed is still in the form.

The console runs as `hotline console` over its own SQLite database and a private
redis-server; the agent's call is the live state the bridge would write. The
browser's own maxlength would stop the typing, so the test removes it first (an old
browser, a pasted value, a hand-made request all reach the server the same way).

Run under the lab lock (Chromium is heavy on the shared machine):
`flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser/test_order_form_limits_browser.py`.
Screenshots go to test-artifacts/browser/.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from agent_console.live import AgentLiveStore
from models.console import WorkOrder
from models.session import session_factory
from tests.support.console_stack import log_in
from tests.support.seeded_console import add_user, seeded_console

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
INTERFACE = "PJSIP/8001"
CALLID = "1763900000.901"


@pytest.fixture
def console(tmp_path, private_redis_server):
    def fill(session):
        add_user(session, "form-agent", "agent", "Form Agent", phone=INTERFACE, language="en")

    with seeded_console(tmp_path, private_redis_server.url, fill) as console:
        import redis

        AgentLiveStore(redis.Redis.from_url(console.redis_url)).put(INTERFACE, call=dict(
            callid=CALLID, interface=INTERFACE, agent_channel=f"{INTERFACE}-00000001",
            caller_number="13800138000", ringing_at=time.time() - 40,
            answered_at=time.time() - 30, pop={"unknown": True, "candidates": []}))
        yield console.base_url, console.database_url


def test_over_long_address_is_shown_next_to_the_field_and_nothing_typed_is_lost(console, page):
    base_url, database_url = console
    limit = WorkOrder.address.property.columns[0].type.length
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base_url, "form-agent")

    page.goto(f"{base_url}/work-orders/new?callid={CALLID}")
    assert page.get_attribute("#address", "maxlength") == str(limit)
    page.evaluate("document.getElementById('address').removeAttribute('maxlength')")
    typed = {"#description": "卫生间天花板漏水，楼上 1-1-201 <b>急</b>",
             "#contact_name": "王芳", "#preferred_visit": "明天上午 9-11",
             "#address": "幸福小区" * (limit // 4) + "1号楼"}
    page.select_option("#kind", "repair")
    page.select_option("#category", "leak")
    for selector, value in typed.items():
        page.fill(selector, value)
    page.click("#work-order-form button[type=submit]")
    page.wait_for_selector("#address-error")
    page.screenshot(path=str(ARTIFACTS / "11-order-field-too-long.png"), full_page=True)

    error = page.text_content("#address-error")
    assert error == f"At most {limit} characters (this has {len(typed['#address'])})."
    # next to its field: the error is the address input's following sibling
    assert page.evaluate("document.getElementById('address').nextElementSibling.id") == \
        "address-error"
    for selector, value in typed.items():
        assert page.input_value(selector) == value, selector
    assert page.input_value("#kind") == "repair" and page.input_value("#category") == "leak"
    with session_factory(database_url)() as session:
        assert session.scalars(select(WorkOrder)).all() == []

    page.fill("#address", "幸福小区1号楼2单元301")
    page.click("#work-order-form button[type=submit]")
    page.wait_for_selector("#order-status")
    with session_factory(database_url)() as session:
        (order,) = session.scalars(select(WorkOrder)).all()
    assert (order.address, order.contact_name, order.callid) == (
        "幸福小区1号楼2单元301", "王芳", CALLID)
