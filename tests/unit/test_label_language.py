"""A label written as a constant in a template ("idle"|label("agent_state")) is in
each reader's language, not in the language of whoever made Jinja compile the
template first (Jinja folds constant filter calls at compile time)."""
from __future__ import annotations

import re

from tests.support.console_client import log_in


def _call_phase(client) -> str:
    page = client.get("/console").get_data(as_text=True)
    return re.search(r'id="call-phase"[^>]*>([^<]*)<', page).group(1)


def test_a_constant_label_follows_each_readers_language(app, make_user):
    make_user("li", "agent", "PJSIP/8011", language="zh")
    make_user("ann", "agent", "PJSIP/8012", language="en")
    chinese, english = app.test_client(), app.test_client()
    log_in(chinese, "li")
    log_in(english, "ann")
    assert _call_phase(chinese) == "空闲"  # compiles console.html in Chinese
    assert _call_phase(english) == "idle"
