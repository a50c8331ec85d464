"""The console's pages as a walker sees them: every HTML GET route of the URL map
with real ids substituted, a seeded database behind them, and the visible text
of a page split into nodes, with checks for raw codes and untranslated English.

Used by tests/unit/test_console_i18n.py (Flask test client) and
tests/browser/test_layout_browser.py (Chromium against `hotline console`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from sqlalchemy import select

from agent_console.labels import CATALOGUE

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")  # the default office_timezone

CALLID = "1700000000.1"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "agent_console" / "translations"
# Routes that answer something other than a page, or need a live call of their own.
NOT_PAGES = {"static", "supervisor.static", "vendor.vendor_file", "health.healthz",
             "health.readyz", "auth.set_language", "auth.logout", "assets.ring_sound",
             "assets.alert_sound", "supervisor.wallboard_intraday",
             "supervisor.stats_json", "supervisor.stats_excel", "supervisor.recording",
             "agent.index"}
DOWNLOAD_SUFFIXES = (".xlsx", ".csv", ".json", ".wav", ".pdf")
ROLES = ("anonymous", "agent", "supervisor", "admin")
# Words that stay as they are in Chinese: names of products and formats.
ENGLISH_KEPT = {"JSON", "Excel", "English", "IVR", "PJSIP"}
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ENGLISH_PHRASE = re.compile(r"[A-Za-z][a-z]+(?:[ ,:;'-]+[A-Za-z][a-z]+){2,}")


@dataclasses.dataclass(frozen=True)
class Seeded:
    order_id: int
    complaint_id: int
    follow_up_id: int
    household_id: int
    room: str
    note_id: int
    callid: str


def seed_console(sessions, users_by_role: dict, redis_client) -> Seeded:
    """Demo households, orders in several states (one a complaint, one done with its
    follow-up), a handover note, a finished call, and a live board with a talking agent."""
    from workflow import orders as service
    from call_queue.live import BOARD_KEY
    from tests.support.demo import demo_data
    from models.base import utcnow
    from models.calls import Call
    from models.console import HandoverNote, User
    from models.households import Room

    now = utcnow()
    with sessions() as session:
        demo_data(session, 3)
        session.commit()
        household_id, room = session.execute(
            select(Room.household_id, Room.code).where(Room.household_id.is_not(None))
            .order_by(Room.household_id)).first()
        agent = session.scalar(select(User).where(User.username == users_by_role["agent"]))
        order, _ = service.create_order(session, agent, service.OrderInput(
            kind="repair", category="leak", description="卫生间顶棚漏水",
            contact_phone="13800138000", household_id=household_id,
            call_at=now - dt.timedelta(hours=3)), "tok-repair", now - dt.timedelta(hours=3), office_zone=OFFICE_ZONE)
        for step in ("dispatched", "in_progress", "done"):
            service.change_status(session, order, step, agent, now, department="engineering")
        complaint, _ = service.create_order(session, agent, service.OrderInput(
            kind="complaint", category="noise", description="楼上夜间噪音",
            complaint_tier="major", household_id=household_id,
            call_at=now - dt.timedelta(hours=5)), "tok-complaint", now - dt.timedelta(hours=5), office_zone=OFFICE_ZONE)
        note = HandoverNote(author_id=agent.id, shift="night", notes="3号电梯困人两次",
                            open_items="早上8点联系工程部")
        session.add(note)
        session.add(Call(callid=CALLID, caller_number_raw="13800138000",
                         caller_number="13800138000", queue="hotline",
                         entered_queue_at=now - dt.timedelta(hours=1),
                         answered_at=now - dt.timedelta(minutes=59),
                         agent_interface="PJSIP/8001", agent_member="Alice", wait_s=12,
                         talk_s=95, outcome="answered"))
        session.commit()
        seeded = Seeded(order.id, complaint.id, order.follow_up.id, household_id, room,
                        note.id, CALLID)
    redis_client.set(BOARD_KEY, json.dumps(_board(time.time())))
    return seeded


def _board(now: float) -> dict:
    return {"current": True, "note": "", "updated_at": now,
            "queues": {"hotline": {"waiting": {"1700000001.1": {
                "position": 1, "entered_at": now - 40, "caller_number": "13900139000",
                "caller_name": ""}}, "offered": 10, "answered": 8, "abandoned": 1,
                "short_abandoned": 0, "answered_in_sl": 7, "abandoned_in_sl": 0,
                "other_exits": 0}},
            "agents": {  # the layout of call_queue.projection
                "PJSIP/8001": _agent("Alice", "talking", now - 75, device="in_use",
                                     in_call=True, call={
                                         "callid": CALLID, "queue": "hotline",
                                         "interface": "PJSIP/8001",
                                         "caller_number": "13800138000", "caller_name": "",
                                         "agent_channel": "PJSIP/8001-00000001",
                                         "answered_at": now - 75, "hold_s": 12}),
                "PJSIP/8002": _agent("Bob", "paused", now - 300, paused=True,
                                     paused_reason="lunch", availability="paused")},
            "spies": {}}


def _agent(name: str, state: str, since: float, availability: str = "ready",
           **fields) -> dict:
    return {"name": name, "queues": ["hotline"], "present": True, "device": "not_in_use",
            "paused": False, "paused_reason": "", "in_call": False, "ringing": None,
            "call": None, "wrapup": None, "state": state, "state_since": since,
            "availability": availability, "availability_since": since, **fields}


def page_urls(app, seeded: Seeded) -> list[tuple[str, str]]:
    """(endpoint, url) for every page: GET routes of the URL map with seeded ids."""
    ids = {"order_id": seeded.order_id, "follow_up_id": seeded.follow_up_id,
           "household_id": seeded.household_id, "note_id": seeded.note_id}
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.startswith("/api/"):
            continue  # JSON for the page's script
        if rule.rule.endswith(DOWNLOAD_SUFFIXES):
            continue  # a file to save, not a page to look at
        url = rule.rule
        for name in rule.arguments:
            value = ids.get(name, seeded.callid)
            url = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(value), url)
        found.append((rule.endpoint, url))
    found.append(("work_orders.list_orders", "/work-orders?status=done"))
    found.append(("work_orders.show_order", f"/work-orders/{seeded.complaint_id}"))
    if "search.search_page" in app.view_functions:
        found.append(("search.search_page", "/households/find?q=" + seeded.room))
        found.append(("search.search_page", "/households/find?q=nobody-matches"))
    return sorted(set(found))


class _VisibleText(HTMLParser):
    """Text nodes and the attributes people read (placeholder, title, aria-label)."""

    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.nodes.append(value.strip())

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.nodes


def po_catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def english_ids_translated_in_zh() -> set[str]:
    """Message ids whose Chinese differs from them: seen in a zh page, they are untranslated."""
    zh = po_catalogue("zh")
    return {m.id for m in zh if m.id and isinstance(m.id, str) and m.string
            and m.string != m.id}


def codes_to_flag(app, locale: str) -> set[str]:
    """Enum values a page must never show as they are. In English a label may
    equal its code ("lunch"); only codes with another English label are flagged."""
    from flask_babel import force_locale

    flagged = set()
    with app.test_request_context(), force_locale("en"):
        for entries in CATALOGUE.values():
            for code, label in entries.items():
                if re.fullmatch(r"[a-z][a-z_]*", code) and (locale == "zh" or str(label) != code):
                    flagged.add(code)
    return flagged


def problems(nodes: list[str], locale: str, english_ids: set[str], codes: set[str]) -> list[str]:
    """What a person would see that is not meant for them: raw codes, English in zh."""
    found = []
    for node in nodes:
        if SNAKE_CASE.search(node):
            found.append(f"snake_case code {SNAKE_CASE.search(node).group(0)!r} in {node!r}")
        if node in codes:
            found.append(f"raw code {node!r}")
        if locale == "zh":
            if node in english_ids:
                found.append(f"untranslated message {node!r}")
            phrase = ENGLISH_PHRASE.search(node)
            if phrase and not set(phrase.group(0).split()) <= ENGLISH_KEPT:
                found.append(f"English text {phrase.group(0)!r} in {node!r}")
    return found
