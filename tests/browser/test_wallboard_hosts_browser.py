"""The wallboard's table per Asterisk host (issue 19), in Debian's chromium.

A real `hotline console` (tests.support.console_stack: seeded database, private
redis-server) with the main host's board as the seed leaves it; host b's board is
written by a real LiveStateSink (the bridge's, publishing through Redis like a
bridge process) and each host's bridge is "running" through a real CommandExecutor
(its key in telephony.bridge_presence; its AMI a recorder). With one host the table
is hidden; b's bridge appears and the table shows both, in Chinese, with b's figures
pushed live; b's bridge stops and, without a reload, b's line says it is down with
no figures, and b's waiting caller leaves the board; b comes back. 1366×768 without
sideways scroll, screenshots in test-artifacts/wallboard-hosts/. No Asterisk needed.
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from call_queue.live import LiveStateSink
from telephony import events as ev
from tests.support.browser import launched_chromium, shot_without_sideways_scroll
from tests.support.console_stack import USERS, log_in, start_console_stack
from tests.support.recording_ami import bridge_commands
from tests.support.settings import make_settings

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "wallboard-hosts"
PUSH_S = 8  # the console looks every 2 s; a killed bridge's key lapses after 6 s


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for stack in start_console_stack(tmp_path_factory.mktemp("wallboard-hosts"), ARTIFACTS):
        yield stack


def _settings(stack, host: str):
    return make_settings(redis_url=stack.redis_url, database_url=stack.database_url,
                         asterisk_host=host, office_timezone="Asia/Shanghai")


def _host_b(stack) -> LiveStateSink:
    """Host b's bridge sink: two agents (one answers a call, one at lunch), a caller
    waiting since 30 s ago."""
    sink = LiveStateSink(_settings(stack, "b"), spy_recorder=False, span_recorder=False)
    now = time.time()
    sink.handle(ev.BridgeResynced(at=now - 60))
    for interface in ("PJSIP/8026", "PJSIP/8027"):
        sink.handle(ev.MemberStatusChanged(at=now - 60, queue="hotline", interface=interface,
                                           member_name=interface[-4:], status="not_in_use",
                                           paused=False, paused_reason="", in_call=False))
    sink.handle(_queued("b-1796164084.1", now - 50, "13800138026"))
    sink.handle(ev.CallAnswered(at=now - 45, callid="b-1796164084.1", queue="hotline",
                                interface="PJSIP/8026", member_name="8026",
                                agent_channel="PJSIP/8026-00000001", hold_s=5, ring_s=1))
    sink.handle(ev.MemberPaused(at=now - 40, queue="hotline", interface="PJSIP/8027",
                                member_name="8027", paused=True, reason="lunch"))
    sink.handle(_queued("b-1796164084.2", now - 30, "13800138027"))
    return sink


def _queued(callid: str, at: float, number: str) -> ev.CallQueued:
    return ev.CallQueued(at=at, callid=callid, linkedid=callid, queue="hotline",
                         channel=f"PJSIP/trunk-{callid}", caller_number=number, caller_name="",
                         dialled_number="4000", position=1)


def _row(page, host: str) -> list[str]:
    return page.locator(f'#hosts tr[data-host="{host}"] td').all_inner_texts()


def test_the_wallboard_shows_each_host_and_a_stopped_one_as_down(stack):
    with bridge_commands(_settings(stack, "main"), bridge="main"), \
            launched_chromium() as browser, contextlib.ExitStack() as bridge_b:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log_in(page, stack.base_url, USERS["supervisor"][0])
        page.goto(stack.base_url + "/supervisor/wallboard")
        page.wait_for_selector("#agents tbody tr")
        assert page.locator("#hosts-section").is_hidden()  # one host: no table

        bridge_b.enter_context(bridge_commands(_settings(stack, "b"), bridge="b"))
        sink = _host_b(stack)
        page.wait_for_selector('#hosts tr[data-host="b"].host-up', timeout=PUSH_S * 1000)
        assert page.locator("#hosts-section h3").inner_text() == "各电话服务器"
        main, b = _row(page, "main"), _row(page, "b")
        assert main[:3] == ["主电话服务器", "正常上报", "1"], main
        # b: 1 waiting ~30 s (past the 20-s norm), agents free 0 / busy 1 / away 1,
        # 1 answered, 0 abandoned, service level 50 % (1 of 2 offered within 20 s).
        assert (b[0], b[1], b[2], b[4:]) == ("b", "正常上报", "1",
                                             ["0", "1", "1", "1", "0", "50 %"]), b
        assert page.locator('#hosts tr[data-host="b"] td.level-missed').count() == 1
        assert page.locator("#callers tbody tr").count() == 2
        shot_without_sideways_scroll(page, ARTIFACTS, "01-two-hosts")

        sink.handle(_queued("b-1796164084.3", time.time(), "13800138028"))  # pushed live
        page.wait_for_function(
            """() => document.querySelector('#hosts tr[data-host="b"] td:nth-child(3)')
                       .textContent === "2" """, timeout=PUSH_S * 1000)

        stopped = time.monotonic()
        bridge_b.close()  # b's bridge stops: its key goes, no board push from anyone
        page.wait_for_selector('#hosts tr[data-host="b"].host-down', timeout=PUSH_S * 1000)
        (ARTIFACTS / "down-after.txt").write_text(
            f"host b shown down {time.monotonic() - stopped:.2f} s after its bridge stopped\n")
        assert page.locator("#hosts tbody tr").first.get_attribute("data-host") == "main"
        b = _row(page, "b")
        assert b[1] == "未就绪：已停止上报" and b[2:] == ["—"] * 8, b
        assert _row(page, "main")[1] == "正常上报"
        assert page.locator("#callers tbody tr").count() == 1  # b's callers left the board
        assert page.locator("#board-status.current").count() == 1  # the rest is live
        shot_without_sideways_scroll(page, ARTIFACTS, "02-host-b-down")

        bridge_b.enter_context(bridge_commands(_settings(stack, "b"), bridge="b"))
        page.wait_for_selector('#hosts tr[data-host="b"].host-up', timeout=PUSH_S * 1000)
        assert _row(page, "b")[2] == "2"

        page.click("button[lang=en]")
        page.goto(stack.base_url + "/supervisor/wallboard")
        page.wait_for_selector('#hosts tr[data-host="b"]')
        assert page.locator("#hosts-section h3").inner_text() == "Telephone servers"
        assert _row(page, "main")[:2] == ["Main telephone server", "Reporting"]
        shot_without_sideways_scroll(page, ARTIFACTS, "03-two-hosts-en")
        page.goto(stack.base_url + "/supervisor/wallboard?wall=1")
        page.wait_for_selector('#hosts tr[data-host="b"]')
        shot_without_sideways_scroll(page, ARTIFACTS, "04-wall-display-en")
        sink.close()
