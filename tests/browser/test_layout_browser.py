"""Every page in Debian's chromium at 1366×768 and 1920×1080, as each role sees it:
no horizontal scroll at 1366×768, and screenshots of each for people to look at
(test-artifacts/layout/). The agent's desk is shown on a live call, so the call
bar, household card and work-order panel are filled; its script-rendered text is
checked for raw codes and English as the server-rendered pages are.

Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/browser`.
"""
from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import pytest

from tests.support.console_pages import (
    codes_to_flag, english_ids_translated_in_zh, page_urls, problems,
)
from tests.support.console_stack import USERS, log_in, start_console_stack
from tests.support.browser import launched_chromium

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "layout"
SIZES = ((1366, 768), (1920, 1080))
ROLES_SEEN = ("agent", "supervisor")
# Form controls a screen reader could not name: no <label>, no aria-label.
UNLABELLED = """[...document.querySelectorAll(
  'input:not([type=hidden]):not([type=submit]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.id || e.name)"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from start_console_stack(tmp_path_factory.mktemp("layout"), ARTIFACTS)


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as browser:
        yield browser


def _name(role: str, url: str, size) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "root"
    return f"{role}-{slug}-{size[0]}x{size[1]}.png"


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("role", ROLES_SEEN)
def test_no_page_scrolls_sideways_at_1366_and_every_input_is_labelled(stack, browser, role):
    urls = page_urls(_app(stack), stack.seeded)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, stack.base_url, USERS[role][0])
    wide = []
    for _endpoint, url in urls:
        for size in SIZES:
            page.set_viewport_size({"width": size[0], "height": size[1]})
            response = page.goto(stack.base_url + url)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                break
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(ARTIFACTS / _name(role, url, size)))
            if size == SIZES[0] and _overflow(page) > 0:
                wide.append(f"{url}: {_overflow(page)} px too wide")
            if size == SIZES[0]:
                wide += [f"{url}: no label for {name}" for name in page.evaluate(UNLABELLED)]
    context.close()
    assert not wide, "\n".join(wide)


def _app(stack):
    """An app on the stack's settings, for its URL map and catalogue (not served)."""
    from agent_console import create_app
    from hotline.settings import load_settings

    return create_app(dataclasses.replace(load_settings(), database_url=stack.database_url,
                                          redis_url=stack.redis_url), testing=True)


def test_desk_on_a_call_shows_the_card_without_codes(stack, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, stack.base_url, USERS["agent"][0])
    page.wait_for_selector("#pop-household dd[data-field='rooms']", timeout=10_000)
    page.wait_for_selector("#wo-work-order-form", timeout=10_000)
    assert page.get_attribute("#call-phase", "data-phase") == "talking"
    assert _overflow(page) <= 0
    # The call bar stays on screen while the card scrolls.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    top = page.evaluate("document.getElementById('call-bar').getBoundingClientRect().top")
    assert 0 <= top <= page.evaluate("document.querySelector('.topbar').offsetHeight")
    english_ids, codes = english_ids_translated_in_zh(), codes_to_flag(_app(stack), "zh")
    found = []
    for index, tab in enumerate(("household", "fees", "orders", "calls", "ivr"), start=1):
        page.keyboard.press(f"Alt+{index}")
        assert page.get_attribute(f"#tab-{tab}", "aria-selected") == "true"
        text = page.inner_text("main")
        nodes = [line.strip() for line in text.splitlines() if line.strip()]
        found += [f"tab {tab}: {p}" for p in problems(nodes, "zh", english_ids, codes)]
        page.screenshot(path=str(ARTIFACTS / f"desk-call-tab-{tab}-1366x768.png"))
    assert "¥" in page.evaluate("document.getElementById('panel-fees').innerText")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.keyboard.press("Alt+1")
    page.screenshot(path=str(ARTIFACTS / "desk-call-1920x1080.png"))
    # F3 puts the cursor in the work-order panel's first field, beside the card.
    page.keyboard.press("F3")
    assert page.evaluate("document.activeElement.id") == "wo-kind"
    context.close()
    assert not found, "\n".join(found)


def test_ringing_sounds_flashes_the_title_and_notifies_a_hidden_tab(stack, browser):
    """A screen-pop pushed through the console's Redis message queue, as the bridge does."""
    from agent_console import message_queue
    from agent_console.live import room_for
    from tests.support.console_stack import AGENT_INTERFACE

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.grant_permissions(["notifications"], origin=stack.base_url)
    page = context.new_page()
    # Chromium shows no notification headless; the page's calls to the API are what we see.
    page.add_init_script("""
      window.__notices = [];
      const Real = window.Notification;
      window.Notification = function (title, options) { window.__notices.push([title, options.body]);
        return new Real(title, options); };
      window.Notification.permission = 'granted';
      window.Notification.requestPermission = () => Promise.resolve('granted');
      Object.defineProperty(document, 'hidden', {get: () => true});""")
    ring_requests = []
    page.on("response", lambda r: r.url.endswith("/assets/ring.wav") and ring_requests.append(r.status))
    log_in(page, stack.base_url, USERS["agent"][0])
    page.wait_for_function("window.HOTLINE && window.HOTLINE.received.some(r => r.event === 'snapshot')")
    call = {"callid": "1700000200.1", "interface": AGENT_INTERFACE, "caller_number": "13912345678",
            "caller_name": "", "ringing_at": time.time(), "pop": {"unknown": True,
            "candidates": [], "household": None, "number": {"display": "139 1234 5678"}}}
    message_queue(stack.redis_url, write_only=True).emit(
        "screen_pop", call, namespace="/agent", room=room_for(AGENT_INTERFACE))
    page.wait_for_selector('#call-phase[data-phase="ringing"]', timeout=10_000)
    titles = set()
    for _ in range(8):  # the title alternates every 0.7 s while it rings
        titles.add(page.evaluate("document.title"))
        page.wait_for_timeout(200)
    assert any(title.startswith("☎") for title in titles) and len(titles) == 2, titles
    assert page.evaluate("window.__notices") == [["来电", "13912345678"]]
    page.wait_for_timeout(500)
    assert ring_requests and set(ring_requests) <= {200, 206}, ring_requests
    assert page.evaluate("window.HOTLINE.ringing") is True
    page.screenshot(path=str(ARTIFACTS / "desk-ringing-1366x768.png"))
    context.close()


# How far the bar's items sit from its middle line (one row: a few px) and its height.
BAR_ROW = """(() => { const bar = document.querySelector('header.topbar').getBoundingClientRect();
  const middle = bar.top + bar.height / 2;
  const off = [...document.querySelector('header.topbar').children]
    .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect())
    .map(r => Math.abs(r.top + r.height / 2 - middle));
  return {height: Math.round(bar.height), off_middle: Math.round(Math.max(...off))}; })()"""


@pytest.mark.parametrize("role", ("agent", "supervisor", "admin"))
def test_the_top_bar_is_one_row_at_1366_in_both_languages(stack, browser, role):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    log_in(page, stack.base_url, USERS[role][0])
    found = {}
    try:
        for language, button in (("zh", "English"), ("en", "中文")):
            page.goto(stack.base_url + "/console")
            found[language] = page.evaluate(BAR_ROW)
            page.screenshot(path=str(ARTIFACTS / f"top-bar-{role}-{language}.png"))
            page.click(f"header.topbar .langs button:text-is('{button}')")
            page.wait_for_load_state("networkidle")
        # Who is logged in and the log-out are one click away, under the name.
        page.click("#who")
        assert page.locator("#user-menu .who-detail").is_visible()
        assert page.locator("#user-menu button[type=submit]").inner_text() == "退出"
    finally:
        context.close()
    for language, bar in found.items():
        assert bar["off_middle"] <= 6 and bar["height"] < 52, f"{role}, {language}: {bar}"


@pytest.mark.parametrize("role", ROLES_SEEN)
def test_every_page_in_english_has_no_codes_and_no_sideways_scroll(stack, browser, role):
    app = _app(stack)
    codes = codes_to_flag(app, "en")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, stack.base_url, USERS[role][0])
    page.click("header.topbar .langs button[lang=en]")
    page.wait_for_selector("html[lang=en]")
    found = []
    try:
        for _endpoint, url in page_urls(app, stack.seeded):
            response = page.goto(stack.base_url + url)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(ARTIFACTS / ("en-" + _name(role, url, (1366, 768)))))
            if _overflow(page) > 0:
                found.append(f"{url}: {_overflow(page)} px too wide")
            nodes = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
            found += [f"{url}: {problem}" for problem in problems(nodes, "en", set(), codes)]
    finally:
        page.click("header.topbar .langs button[lang=zh-CN]")  # the stack's users read Chinese
        context.close()
    assert not found, "\n".join(found)
