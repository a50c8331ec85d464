"""The lost-calls page says, per lost call, where its automatic call-back is
(line_callback.lost_calls): booked, under way, reached, reached nobody, in the
user's language; a failed one is listed with the callbacks that reached nobody,
marked as a lost call's."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from line_callback import store
from line_callback.lost_calls import LostCallOptions, book_lost_calls
from line_callback.policy import RetryPolicy
from models.calls import Call

UTC = dt.timezone.utc
POLICY = RetryPolicy(max_attempts=3, spacing_s=0)


def _lost(callid: str, number: str, queue: str, now: dt.datetime) -> Call:
    entered = now - dt.timedelta(hours=1)
    return Call(callid=callid, queue=queue, caller_number=number, caller_number_raw=number,
                entered_queue_at=entered, wait_s=45, outcome="abandoned",
                ended_at=entered + dt.timedelta(seconds=50))


@pytest.fixture
def auto_calls(console_sessions):
    now = dt.datetime.now(UTC)
    with console_sessions() as session:
        session.add_all([_lost("ring.1", "13800000011", "hotline", now),
                         _lost("fail.1", "13800000012", "hotline-line", now),
                         _lost("plain.1", "13800000013", "hotline", now)])
        session.commit()
        book_lost_calls(session, lambda queue: True, "main", now, LostCallOptions(4 * 3600, 20))
        claims = {c.original_callid: c for c in store.claim_due(session, "main", now, 10)}
        store.end_attempt(session, claims["fail.1"].attempt_id, "busy", "BUSY", POLICY, now)
        for _ in range(2):
            (claim,) = store.claim_due(session, "main", now, 10)
            store.end_attempt(session, claim.attempt_id, "busy", "BUSY", POLICY, now)
    return now


def _auto(page: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-callid="([^"]+)".*?</tr>', page, re.S)
    found = {}
    for callid in rows:
        row = re.search(rf'<tr data-callid="{re.escape(callid)}".*?</tr>', page, re.S).group(0)
        match = re.search(r'data-auto="(\w+)">([^<]+)<', row)
        found[callid] = match.groups() if match else None
    return found


def test_each_lost_call_says_where_its_automatic_call_back_is(agent_client, auto_calls):
    page = agent_client.get("/lost-calls").get_data(as_text=True)
    assert _auto(page) == {"ring.1": ("ringing", "Automatic call-back under way"),
                           "fail.1": ("failed", "Automatic call-back reached nobody"),
                           "plain.1": None}
    failed = page.split('id="failed-callbacks"')[1]
    assert "13800000012" in failed and "Lost call, called back automatically" in failed
    # The option is off in these settings: the page does not promise it.
    assert "called back automatically: the agent" not in page


def test_in_chinese(app, make_user, auto_calls):
    from tests.support.console_client import log_in

    make_user("lin", "agent", "PJSIP/8003", language="zh")
    client = app.test_client()
    log_in(client, "lin")
    page = client.get("/lost-calls").get_data(as_text=True)
    for chinese in ("自动回电进行中", "自动回电未能接通", "放弃来电，系统自动回电"):
        assert chinese in page, chinese
    assert "Automatic call-back" not in page and 'data-auto="ringing">ringing<' not in page
