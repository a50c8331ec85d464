"""Every page, every role, both languages: no raw code, no untranslated message;
the catalogue, its filters and what reaches the screen from Asterisk and Flask-Login."""
from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from flask_babel import force_locale
from sqlalchemy import select

from agent_console import labels
from models.console import AccessAuditEntry
from tests.support.console_pages import (
    ROLES, codes_to_flag, english_ids_translated_in_zh, page_urls, problems, seed_console,
    visible_text, po_catalogue,
)
from tests.support.console_client import csrf_token_from, log_in

CONSOLE = Path(labels.__file__).resolve().parent
USERS = {"agent": ("alice", "PJSIP/8001"), "supervisor": ("sam", "PJSIP/8099"),
         "admin": ("ada", None)}


@pytest.fixture
def seeded(app, make_user, console_sessions, console_redis, request):
    callspec = getattr(request.node, "callspec", None)
    locale = callspec.params.get("locale", "zh") if callspec else "zh"
    for role, (username, phone) in USERS.items():
        make_user(username, role, phone, language=locale)
    return seed_console(console_sessions, {r: u for r, (u, _) in USERS.items()}, console_redis)


def _client(app, role: str, locale: str):
    client = app.test_client()
    if role != "anonymous":
        assert log_in(client, USERS[role][0]).status_code == 302
    client.post(f"/lang/{locale}", data={"csrf_token": csrf_token_from(client)})
    return client


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_shows_no_code_and_no_untranslated_text(app, seeded, role, locale):
    client = _client(app, role, locale)
    english_ids = english_ids_translated_in_zh()
    codes = codes_to_flag(app, locale)
    seen, found = 0, []
    for endpoint, url in page_urls(app, seeded):
        response = client.get(url, follow_redirects=True)
        if response.mimetype != "text/html":
            continue
        assert response.status_code in (200, 403), f"{role} {url}: {response.status_code}"
        seen += 1
        found += [f"{url}: {problem}" for problem in
                  problems(visible_text(response.get_data(as_text=True)), locale,
                           english_ids, codes)]
    assert seen >= 10
    assert not found, "\n".join(found)


def test_the_walker_catches_what_it_looks_for(app, seeded):
    """The checks bite: a code, snake_case, a message id and English in a zh page."""
    english_ids = english_ids_translated_in_zh()
    codes = codes_to_flag(app, "zh")
    html = ("<p>owner_occupied</p><td>talking</td><span>Work orders</span>"
            "<p>no live state yet: is the bridge running?</p><b>业主自住</b>")
    found = problems(visible_text(html), "zh", english_ids, codes)
    kinds = sorted(problem.split(" ")[0] for problem in found)
    # "talking" is both a code and a message id with a Chinese translation.
    assert kinds == ["English", "raw", "raw", "snake_case", "untranslated", "untranslated"], found
    assert problems(visible_text("<p>lunch</p>"), "en", english_ids,
                    codes_to_flag(app, "en")) == []


def test_every_message_id_is_translated_and_listed_in_english():
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    ids = {message for _f, _l, message, _c, _x in extract_from_dir(
        str(CONSOLE), method_map, keywords=keywords,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}})}
    zh, en = po_catalogue("zh"), po_catalogue("en")
    untranslated = sorted(m for m in ids if zh.get(m) is None or not zh.get(m).string)
    unlisted = sorted(m for m in ids if en.get(m) is None)
    assert len(ids) > 300
    assert not untranslated, untranslated
    assert not unlisted, unlisted


def test_stats_and_occupancy_wording():
    zh = po_catalogue("zh")
    assert zh.get("Start date").string == "开始日期" and zh.get("End date").string == "结束日期"
    assert zh.get("Occupancy").string == "占用率"
    assert zh.get("Residence status").string == "居住状态"


def test_log_in_prompt_comes_from_the_catalogue(app):
    client = _client(app, "anonymous", "zh")
    page = client.get("/console", follow_redirects=True).get_data(as_text=True)
    assert "请先登录。" in page
    assert "Please log in to access this page." not in page


@pytest.mark.parametrize("text, ok, expected", [
    ("Interface unpaused successfully", True, "You are ready for calls."),
    ("Interface paused successfully", True, "Paused."),
    ("Unable to add interface: Already there", False, "You are already logged in to the queue."),
    ("Something Asterisk never said", False, "The telephone system refused the request."),
    ("", True, "Done."),
])
def test_asterisk_answers_become_catalogue_messages(app, text, ok, expected):
    with app.test_request_context(), force_locale("en"):
        assert labels.asterisk_message(text, ok) == expected


def test_catalogue_in_the_page_is_in_the_users_language(app, seeded):
    client = _client(app, "agent", "zh")
    html = client.get("/console").get_data(as_text=True)
    assert '"owner_occupied": "\\u4e1a\\u4e3b\\u81ea\\u4f4f"' in html  # 业主自住, JSON-escaped
    assert '"Interface unpaused successfully": "\\u5df2\\u5c31\\u7eea' in html


@pytest.mark.parametrize("value, shown", [
    (Decimal("1234.5"), "¥1,234.50"), ("1234567.891", "¥1,234,567.89"), (0, "¥0.00"),
    (Decimal("-88.10"), "−¥88.10"), (None, "—"), ("not money", "—"),
    (Decimal("0.005"), "¥0.01"),
])
def test_money(value, shown):
    assert labels.money(value) == shown


@pytest.mark.parametrize("seconds, shown", [(0, "0:00"), (5, "0:05"), (75, "1:15"),
                                            (3600, "60:00"), (None, "—"), (-3, "0:00")])
def test_duration(seconds, shown):
    assert labels.duration(seconds) == shown


def test_localtime_uses_the_configured_office_zone(console_settings):
    from agent_console import create_app

    moment = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.timezone.utc)
    shanghai = create_app(console_settings, testing=True).jinja_env.filters["localtime"]
    london = create_app(dataclasses.replace(console_settings, office_timezone="Europe/London"),
                        testing=True).jinja_env.filters["localtime"]
    assert shanghai(moment) == "2026-07-02 07:30"
    assert london(moment) == "2026-07-02 00:30"  # BST
    assert london(moment.replace(tzinfo=None)) == "2026-07-02 00:30"  # naive = UTC (SQLite)
    assert shanghai(None) == ""


def test_unknown_code_shows_a_dash_not_the_code(app):
    with app.test_request_context(), force_locale("en"):
        assert labels.label("made_up_state", "agent_state") == "—"
        assert labels.label(True, "boolean") == "yes"
        assert labels.label("hotline", "queue") == "Service hotline"


def test_ring_sound_is_built_with_sox_and_served(app, agent_client, console_settings):
    from agent_console.assets import build_ring_sound

    path = build_ring_sound(console_settings.state_dir)
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    rms = float(next(line for line in stat.stderr.splitlines()
                     if line.startswith("RMS     amplitude")).split()[-1])
    assert rms > 0.05, stat.stderr  # a tone, not silence
    response = agent_client.get("/assets/ring.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data == path.read_bytes()
    assert app.test_client().get("/assets/ring.wav").status_code in (302, 401)


def test_household_search_and_card_outside_a_call_are_audited(app, seeded, console_sessions):
    client = _client(app, "agent", "en")
    page = client.get("/households/find?q=" + seeded.room).get_data(as_text=True)
    assert f'data-household="{seeded.household_id}"' in page
    card = client.get(f"/households/{seeded.household_id}/card")
    assert card.status_code == 200 and seeded.room in card.get_data(as_text=True)
    assert client.get("/households/999999/card").status_code == 404
    too_long = client.get("/households/find?q=" + "x" * 61)
    assert too_long.status_code == 400 and "too long" in too_long.get_data(as_text=True)
    with console_sessions() as session:
        actions = [(e.action, e.target, e.callid) for e in session.scalars(
            select(AccessAuditEntry).order_by(AccessAuditEntry.id))]
    assert ("household_search", seeded.room, None) in actions
    assert ("household_open_no_call", f"household:{seeded.household_id}", None) in actions
    assert not any(target == "x" * 61 for _a, target, _c in actions)


def test_household_number_finds_its_household(app, seeded, console_sessions):
    from models.households import Household

    with console_sessions() as session:
        number = session.get(Household, seeded.household_id).number
    page = _client(app, "agent", "en").get("/households/find?q=" + number)
    assert f'data-household="{seeded.household_id}"' in page.get_data(as_text=True)
